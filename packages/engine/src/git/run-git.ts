import { execFile } from "node:child_process";

export interface GitOptions {
  cwd?: string;
  /** Extra environment (credentials); the host's GIT_* variables are never passed on. */
  env?: Record<string, string>;
  /** A fetch of a large repository over a slow link takes minutes; anything longer is stuck. */
  timeoutMs?: number;
  /** Texts (tokens, passwords) to replace with *** in an error message. */
  secrets?: string[];
}

export class GitError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = "GitError";
  }
}

const DEFAULT_TIMEOUT_MS = 300_000;

/**
 * Runs the `git` CLI and returns its stdout. Never prompts (a missing credential fails at once instead
 * of hanging the syncer), ignores the user's and system's git config, and a failure is a GitError with
 * git's own last lines, passwords in URLs and the given secrets masked.
 */
export function runGit(args: string[], options: GitOptions = {}): Promise<string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith("GIT_") && k !== "SSH_ASKPASS") env[k] = v;
  Object.assign(env, {
    GIT_TERMINAL_PROMPT: "0",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_ASKPASS: "/bin/false",
    LC_ALL: "C",
    ...options.env,
  });
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      {
        cwd: options.cwd,
        env,
        timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(stdout);
          return;
        }
        const lines = redact(String(stderr || error.message), options.secrets ?? [])
          .trim()
          .split("\n")
          .filter((l) => l.trim() !== "")
          .slice(-3)
          .join("; ");
        const killed = (error as { killed?: boolean }).killed;
        reject(
          new GitError(
            killed
              ? `git ${args[0]} took longer than ${(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000}s`
              : `git ${args[0]} failed: ${lines}`,
            String(stderr),
          ),
        );
      },
    );
  });
}

/** A URL as it may be shown: without a password or token in it. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@]*)@/i, (_m, scheme: string, user: string) =>
    user.includes(":") ? `${scheme}${user.split(":")[0]}:***@` : `${scheme}${user}@`,
  );
}

function redact(text: string, secrets: string[]): string {
  let out = text.replace(/([a-z][a-z0-9+.-]*:\/\/[^/@\s:]*):[^/@\s]*@/gi, "$1:***@");
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("***");
  return out;
}
