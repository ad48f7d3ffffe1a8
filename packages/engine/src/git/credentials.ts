import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Credentials of a source or library, already resolved from their secret references. */
export interface GitCredentials {
  /** An HTTPS token (GitHub: a PAT or an app installation token), sent as basic auth. */
  token?: string;
  /** A username for the token; GitHub accepts any, `x-access-token` is what its apps use. */
  username?: string;
  /** An SSH private key (PEM/OpenSSH text) for ssh:// and scp-like URLs. */
  sshKey?: string;
}

export interface GitAuth {
  env: Record<string, string>;
  secrets: string[];
  /** Removes the key file, if one was written. */
  dispose(): Promise<void>;
}

/**
 * The environment that makes `git` authenticate. The token goes in an `http.extraHeader` set through
 * GIT_CONFIG_* variables (git ≥ 2.31), so it is never on a command line (visible in `ps`) or in a URL
 * written to the cache's config. An SSH key is written to a private temporary file for the one command.
 */
export async function gitAuth(credentials: GitCredentials | undefined): Promise<GitAuth> {
  const env: Record<string, string> = {};
  const secrets: string[] = [];
  let keyDir: string | undefined;
  if (credentials?.token) {
    const basic = Buffer.from(`${credentials.username ?? "x-access-token"}:${credentials.token}`).toString(
      "base64",
    );
    Object.assign(env, {
      GIT_CONFIG_COUNT: "1",
      GIT_CONFIG_KEY_0: "http.extraHeader",
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}`,
    });
    secrets.push(credentials.token, basic);
  }
  if (credentials?.sshKey) {
    keyDir = await mkdtemp(path.join(os.tmpdir(), "gantry-ssh-"));
    const keyFile = path.join(keyDir, "key");
    await writeFile(
      keyFile,
      credentials.sshKey.endsWith("\n") ? credentials.sshKey : `${credentials.sshKey}\n`,
      {
        mode: 0o600,
      },
    );
    await chmod(keyFile, 0o600);
    env.GIT_SSH_COMMAND = `ssh -i '${keyFile}' -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new`;
  }
  return {
    env,
    secrets,
    async dispose() {
      if (keyDir) await rm(keyDir, { recursive: true, force: true });
    },
  };
}
