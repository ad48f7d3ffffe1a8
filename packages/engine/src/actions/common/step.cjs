"use strict";
// What Gantry's built-in actions share: their typed inputs, a private folder removed on every exit, the
// programs they start (output straight to the step's log, stopped with the step), outputs and a summary,
// and the optional checkout that comes first. Copied beside each action's main.cjs (scripts/embed-actions.mjs).
const { spawn } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

/** The step's inputs, typed, as Gantry wrote them to $GANTRY_INPUTS. */
function readInputs() {
  return JSON.parse(fs.readFileSync(process.env.GANTRY_INPUTS, "utf8"));
}

const cleanups = [];
let child;
let stopping = false;

/**
 * A folder only this user can read, removed when the action ends however it ends. Secrets the programs
 * need as files (keys, a plan, variables) live here and nowhere else.
 */
function privateDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
  fs.chmodSync(dir, 0o700);
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs `fn` when the action ends, before the private folders made earlier are removed. */
function onCleanup(fn) {
  cleanups.push(fn);
}

function cleanUp() {
  while (cleanups.length > 0) {
    try {
      cleanups.pop()();
    } catch {
      // Best effort: the others still run.
    }
  }
}

// A cancel or timeout sends SIGTERM to the step's whole process group: the running program gets it too.
// This process waits for it to end, removes its private files, then ends.
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    stopping = true;
    if (!child) {
      cleanUp();
      process.exit(128 + os.constants.signals[signal]);
    }
  });
}
process.on("exit", cleanUp);

/**
 * The environment for the programs started: this step's, without its INPUT_* variables (which hold
 * secrets the program is given otherwise, such as node keys and the vault password), plus `extra`.
 */
function childEnv(extra = {}) {
  const env = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("INPUT_")) env[name] = value;
  return { ...env, ...extra };
}

/** Runs a program with its output in the step's log; resolves its exit code (128 + signal when killed). */
function run(program, args, options = {}) {
  return new Promise((resolve) => {
    if (stopping) return resolve(143);
    process.stderr.write(`\u001b[2m$ ${[program, ...args].map(shown).join(" ")}\u001b[0m\n`);
    child = spawn(program, args, {
      stdio: ["ignore", "inherit", "inherit"],
      env: childEnv(options.env),
      cwd: options.cwd,
    });
    child.on("error", (error) => {
      child = undefined;
      process.stderr.write(
        `${program}: ${error.code === "ENOENT" ? "not found (is it installed and on PATH?)" : error.message}\n`,
      );
      resolve(127);
    });
    child.on("exit", (code, signal) => {
      child = undefined;
      resolve(code ?? 128 + (os.constants.signals[signal] ?? 0));
    });
  });
}

/** Runs a program and keeps its standard output (stderr goes to the log). */
function capture(program, args, options = {}) {
  return new Promise((resolve) => {
    if (stopping) return resolve({ code: 143, stdout: "" });
    const chunks = [];
    child = spawn(program, args, {
      stdio: ["ignore", "pipe", "inherit"],
      env: childEnv(options.env),
      cwd: options.cwd,
    });
    child.stdout.on("data", (chunk) => chunks.push(chunk));
    child.on("error", (error) => {
      child = undefined;
      process.stderr.write(`${program}: ${error.message}\n`);
      resolve({ code: 127, stdout: "" });
    });
    child.on("close", (code, signal) => {
      child = undefined;
      resolve({
        code: code ?? 128 + (os.constants.signals[signal] ?? 0),
        stdout: Buffer.concat(chunks).toString("utf8"),
      });
    });
  });
}

/** How a command is printed: arguments that are files of the private folder are shown as such. */
function shown(arg) {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

/** Sets an output ($GANTRY_OUTPUT), multi-line values with a delimiter that cannot occur in them. */
function setOutput(name, value) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (!text.includes("\n")) return fs.appendFileSync(process.env.GANTRY_OUTPUT, `${name}=${text}\n`);
  const delimiter = `GANTRY_${crypto.randomBytes(12).toString("hex")}`;
  fs.appendFileSync(process.env.GANTRY_OUTPUT, `${name}<<${delimiter}\n${text}\n${delimiter}\n`);
}

/** The step's summary: printed at the end of its log, an output, and $GANTRY_STEP_SUMMARY where set. */
function summarize(markdown) {
  process.stdout.write(`\n${markdown}\n`);
  setOutput("summary", markdown);
  const file = process.env.GANTRY_STEP_SUMMARY || process.env.GITHUB_STEP_SUMMARY;
  if (file) fs.appendFileSync(file, `${markdown}\n`);
}

/**
 * Checks out `inputs.repository` at `inputs.ref` into the step's folder first, with gantry/checkout's
 * script, when a repository is given (from a git source it is, by default). Returns the exit code.
 */
function checkout(inputs) {
  if (!inputs.repository) return Promise.resolve(0);
  return run("bash", [path.join(__dirname, "checkout.sh")], {
    env: {
      INPUT_REPOSITORY: inputs.repository,
      INPUT_REF: inputs.ref ?? "",
      INPUT_TOKEN: inputs.git_token ?? "",
      INPUT_USERNAME: inputs.git_username ?? "x-access-token",
      INPUT_SSH_KEY: inputs.git_ssh_key ?? "",
      INPUT_DEPTH: String(inputs.depth ?? 1),
      INPUT_PATH: ".",
      INPUT_RUN: "",
    },
  });
}

/** Ends the action with a message in its log. */
function fail(action, message, code = 2) {
  process.stderr.write(`${action}: ${message}\n`);
  process.exitCode = code;
}

module.exports = {
  capture,
  checkout,
  childEnv,
  fail,
  onCleanup,
  privateDir,
  readInputs,
  run,
  setOutput,
  summarize,
};
