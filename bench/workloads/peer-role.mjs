// One process of a peer job queue for the `peers` workload: graphile-worker (Postgres) or BullMQ
// (Redis), as a `front` (the producer: an HTTP endpoint shaped like gantry's
// `POST /api/v1/workflows/{name}/runs`, which enqueues step `a` and answers 201 {id}) or a `worker`
// (8 jobs at once). The chain is gantry's two-step workflow: job `a` runs the step, then enqueues `b`
// (before it completes, as gantry queues the successor in the finish); job `b` runs the step and, once
// its completion is stored, prints `{"done": id, "at": epochMs}` on stdout.
//
// The step is gantry's: `bash --noprofile --norc -eo pipefail <workflow>.sh`, spawned detached with piped
// output read to the end, with PATH, MARK_DIR and GANTRY_RUN_ID in its environment.
//
//   node peer-role.mjs '{"system": "graphile"|"bullmq", "role": "front"|"worker", ...}'
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import http from "node:http";
import path from "node:path";

const options = JSON.parse(process.argv[2]);
const out = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);

/** Runs the step of `workflow` for run `id`; rejects unless it exits 0. */
function step(workflow, id) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "bash",
      ["--noprofile", "--norc", "-eo", "pipefail", path.join(options.scripts, `${workflow}.sh`)],
      {
        env: { PATH: process.env.PATH ?? "", MARK_DIR: options.markDir, GANTRY_RUN_ID: id },
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    child.stdout.resume();
    child.stderr.resume();
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`step exited ${code}`))));
  });
}

/** The producer's HTTP front: POST /api/v1/workflows/{name}/runs enqueues `a` and answers its run id. */
function front(enqueue) {
  const server = http.createServer((req, res) => {
    const match = /^\/api\/v1\/workflows\/([^/]+)\/runs$/.exec(req.url ?? "");
    req.resume();
    req.on("end", () => {
      if (req.method !== "POST" || !match) {
        res.writeHead(404).end();
        return;
      }
      const id = randomUUID();
      enqueue({ id, workflow: decodeURIComponent(match[1]) }).then(
        () => {
          const body = JSON.stringify({ id });
          res.writeHead(201, {
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          });
          res.end(body);
        },
        (error) => res.writeHead(500).end(String(error?.message ?? error)),
      );
    });
  });
  server.listen(0, "127.0.0.1", () => out({ ready: `http://127.0.0.1:${server.address().port}` }));
  return () => new Promise((resolve) => server.close(resolve));
}

async function graphile() {
  const { run, makeWorkerUtils } = await import("graphile-worker");
  const connectionString = options.database;
  if (options.role === "front") {
    const utils = await makeWorkerUtils({ connectionString });
    await utils.migrate();
    const close = front((payload) => utils.addJob("a", payload));
    return async () => {
      await close();
      await utils.release();
    };
  }
  const { EventEmitter } = await import("node:events");
  const events = new EventEmitter();
  events.on("job:complete", ({ job, error }) => {
    if (job.task_identifier === "b" && !error) out({ done: job.payload.id, at: Date.now() });
  });
  const runner = await run({
    connectionString,
    concurrency: options.concurrency,
    noHandleSignals: true,
    events,
    logger: quietGraphileLogger(await import("graphile-worker")),
    taskList: {
      a: async (payload, helpers) => {
        await step(payload.workflow, payload.id);
        await helpers.addJob("b", payload);
      },
      b: async (payload) => {
        await step(payload.workflow, payload.id);
      },
    },
  });
  out({ ready: true });
  return () => runner.stop();
}

/** graphile-worker logs every job at info: only warnings and errors, on stderr. */
function quietGraphileLogger({ Logger }) {
  return new Logger(() => (level, message) => {
    if (level === "error" || level === "warning")
      process.stderr.write(`graphile-worker ${level}: ${message}\n`);
  });
}

async function bullmq() {
  const { Queue, Worker } = await import("bullmq");
  const connection = { host: "127.0.0.1", port: options.redisPort, maxRetriesPerRequest: null };
  const queue = new Queue(options.queue, { connection });
  // Completed jobs are not kept: gantry keeps its runs, but BullMQ's default keeps every job forever.
  const jobOptions = { removeOnComplete: true, removeOnFail: 1000 };
  if (options.role === "front") {
    const close = front((payload) => queue.add("a", payload, jobOptions));
    return async () => {
      await close();
      // Nothing of the bench's queue is left in the shared Redis.
      await queue.obliterate({ force: true });
      await queue.close();
    };
  }
  const worker = new Worker(
    options.queue,
    async (job) => {
      await step(job.data.workflow, job.data.id);
      if (job.name === "a") await queue.add("b", job.data, jobOptions);
    },
    { connection, concurrency: options.concurrency },
  );
  worker.on("completed", (job) => {
    if (job.name === "b") out({ done: job.data.id, at: Date.now() });
  });
  worker.on("failed", (job, error) =>
    process.stderr.write(`bullmq: job ${job?.id} failed: ${error.message}\n`),
  );
  await worker.waitUntilReady();
  out({ ready: true });
  return async () => {
    await worker.close();
    await queue.close();
  };
}

const stop = await (options.system === "graphile" ? graphile() : bullmq());
// The bench closes stdin to stop this process (SIGKILL if it does not end in time).
process.stdin.resume();
process.stdin.on("end", async () => {
  await stop();
  process.exit(0);
});
