import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { waitFor } from "./wait-for.js";

const SSHD = "/usr/sbin/sshd";

/** A real OpenSSH server (Debian's openssh-server) on a loopback port, with keys made by ssh-keygen. */
export interface TestSshd {
  port: number;
  user: string;
  /** The server's public host key line (`ssh-ed25519 AAAA…`). */
  hostKey: string;
  /** A private key the server accepts for `user`, and where it is. */
  clientKey: string;
  clientKeyFile: string;
  /** Another key, encrypted with `passphrase`, also accepted. */
  encryptedKey: string;
  passphrase: string;
  dir: string;
  /** TMPDIR of the server's sessions: the node's temporary folder, where steps make their folders. */
  nodeTmp: string;
  stop(): Promise<void>;
}

/**
 * Starts sshd in the foreground (-D) as a child of the test, listening only on 127.0.0.1, with a config of
 * its own (no PAM, keys only, our authorized_keys). Fails, saying how to install it, when sshd is missing.
 * `stop` ends exactly the process it started.
 */
export async function startSshd(dir: string): Promise<TestSshd> {
  if (!existsSync(SSHD)) {
    throw new Error(
      `${SSHD} is missing: these tests need Debian's openssh-server (apt-get install -y openssh-server)`,
    );
  }
  const user = os.userInfo().username;
  const keygen = (name: string, passphrase = "") => {
    const file = path.join(dir, name);
    execFileSync("ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      passphrase,
      "-C",
      `gantry-test-${name}`,
      "-f",
      file,
    ]);
    return file;
  };
  const hostKeyFile = keygen("host_ed25519");
  const clientKeyFile = keygen("client");
  const passphrase = "correct horse battery staple";
  const encryptedFile = keygen("client-encrypted", passphrase);
  const authorized = path.join(dir, "authorized_keys");
  writeFileSync(
    authorized,
    `${readFileSync(`${clientKeyFile}.pub`, "utf8")}${readFileSync(`${encryptedFile}.pub`, "utf8")}`,
    { mode: 0o600 },
  );
  // sshd checks for its privilege separation folder even when it will not need it.
  if (user === "root" && !existsSync("/run/sshd")) mkdirSync("/run/sshd", { mode: 0o755 });
  // The node's temporary folder, where steps make theirs: inside the test's folder, so that whatever a
  // test leaves on the "node" goes with it, and a test can look at what the runner left there.
  const nodeTmp = path.join(dir, "node-tmp");
  mkdirSync(nodeTmp);
  const config = path.join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKeyFile}`,
      `AuthorizedKeysFile ${authorized}`,
      "StrictModes no",
      "UsePAM no",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PubkeyAuthentication yes",
      "PermitRootLogin prohibit-password",
      `PidFile ${path.join(dir, "sshd.pid")}`,
      "LogLevel VERBOSE",
      `SetEnv TMPDIR=${nodeTmp}`,
      "",
    ].join("\n"),
  );
  let port = 0;
  let child: ChildProcess | undefined;
  let log = "";
  // A free port is looked for, then taken by sshd: another process may take it in between, so retry.
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    const started = spawn(SSHD, ["-D", "-e", "-f", config, "-p", String(port)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    started.stderr?.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    const ready = await waitFor(
      () =>
        started.exitCode !== null ? "exited" : log.includes("Server listening") ? "listening" : undefined,
      { timeoutMs: 20_000, what: `sshd on port ${port} (${log})` },
    );
    if (ready === "listening") child = started;
  }
  if (!child) throw new Error(`sshd did not start: ${log}`);
  const running = child;
  return {
    port,
    user,
    hostKey: readFileSync(`${hostKeyFile}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" "),
    clientKey: readFileSync(clientKeyFile, "utf8"),
    clientKeyFile,
    encryptedKey: readFileSync(encryptedFile, "utf8"),
    passphrase,
    dir,
    nodeTmp,
    async stop() {
      if (running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once("exit", resolve));
      running.kill("SIGTERM");
      await exited;
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
