import { afterEach, describe, expect, it } from "vitest";
import { FakeSteps, FakeWorkerQueue } from "../testing/fake-worker-queue.js";
import { waitFor } from "../testing/wait-for.js";
import { Worker, type WorkerLoopOptions } from "./worker.js";

// The worker's loop and lifecycle against an in-memory queue and step host: no database, no process.
// The same worker runs real runs on both stores in worker-suite.ts.

let workers: Worker[] = [];

function setup(options: Partial<WorkerLoopOptions> = {}) {
  const queue = new FakeWorkerQueue();
  const steps = new FakeSteps();
  const errors: Error[] = [];
  const worker = new Worker(
    { queue, steps },
    {
      id: "w1",
      runner: { types: ["local"] },
      concurrency: 2,
      pollMs: 60_000,
      leaseMs: 60_000,
      // Steps a test leaves running are handed back at once when afterEach stops the worker.
      graceMs: 20,
      onError: (error) => errors.push(error),
      ...options,
    },
  );
  workers.push(worker);
  return { queue, steps, worker, errors };
}

afterEach(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  workers = [];
});

describe("Worker lifecycle", () => {
  it("refuses a second start, naming its state", async () => {
    const { worker, queue } = setup();
    await worker.start();
    expect(worker.state).toBe("running");
    await expect(worker.start()).rejects.toThrow(/worker w1 is running: start\(\) runs once/);
    expect(queue.count("register")).toBe(1);
    expect(queue.count("subscribe")).toBe(1);
  });

  it("refuses a start while it is starting", async () => {
    const { worker, queue } = setup();
    const first = worker.start();
    expect(worker.state).toBe("starting");
    await expect(worker.start()).rejects.toThrow(/is starting/);
    await first;
    expect(worker.state).toBe("running");
    expect(queue.count("register")).toBe(1);
  });

  it("stops before start without touching the queue, and does not start after", async () => {
    const { worker, queue } = setup();
    await worker.stop();
    expect(worker.state).toBe("stopped");
    expect(queue.calls.size).toBe(0);
    await expect(worker.start()).rejects.toThrow(/is stopped: .*make a new worker/);
    expect(queue.calls.size).toBe(0);
  });

  it("stops twice with one drain: the second stop returns the first's promise", async () => {
    const { worker, queue, steps } = setup({ graceMs: 60_000 });
    queue.add("a");
    await worker.start();
    await waitFor(() => steps.running("a"), { what: "step a to start" });
    const first = worker.stop();
    expect(worker.stop()).toBe(first);
    expect(worker.state).toBe("draining");
    steps.end("a");
    await first;
    expect(worker.state).toBe("stopped");
    await worker.stop();
    expect(queue.finished.map((f) => f.id)).toEqual([1]);
    expect(queue.listening).toBe(0);
  });

  it("stops once a start in progress is over", async () => {
    const { worker, queue } = setup();
    let registered: () => void = () => {};
    const register = queue.register.bind(queue);
    queue.register = async (w) => {
      await new Promise<void>((resolve) => {
        registered = resolve;
      });
      return register(w);
    };
    const starting = worker.start();
    const stopping = worker.stop();
    expect(worker.stop()).toBe(stopping);
    expect(worker.state).toBe("starting");
    registered();
    await starting;
    await stopping;
    expect(worker.state).toBe("stopped");
    expect(queue.listening).toBe(0);
  });

  it("goes back to created when its registration fails, and starts on a second try", async () => {
    const { worker, queue } = setup();
    queue.fail("register", new Error("database away"));
    await expect(worker.start()).rejects.toThrow("database away");
    expect(worker.state).toBe("created");
    expect(queue.listening).toBe(0);
    await worker.start();
    expect(worker.state).toBe("running");
  });
});

describe("Worker claim loop", () => {
  it("claims every free slot in one call, and claims again when a slot of a full worker opens", async () => {
    const { worker, queue, steps } = setup({ concurrency: 2 });
    for (const step of ["a", "b", "c"]) queue.add(step);
    await worker.start();
    await waitFor(() => steps.started.length === 2, { what: "two steps to start" });
    expect(steps.started).toEqual(["a", "b"]);
    expect(queue.count("claim")).toBe(1);
    expect(worker.running).toBe(2);
    steps.end("a");
    await waitFor(() => steps.running("c"), { what: "step c to start" });
    expect(queue.count("claim")).toBe(2);
    expect(queue.finished[0]).toMatchObject({ id: 1, outcome: { status: "succeeded" } });
    expect(queue.finished[0]?.request).toMatchObject({ workerId: "w1", secrets: ["s3cret"] });
    expect(steps.archived).toEqual(["a"]);
  });

  it("claims only jobs whose labels it has", async () => {
    const { worker, queue, steps } = setup({ labels: ["gpu"] });
    queue.add("docker-only", { labels: ["runner:docker"] });
    queue.add("gpu", { labels: ["gpu", "runner:local"] });
    await worker.start();
    await waitFor(() => steps.running("gpu"), { what: "the gpu step" });
    expect(queue.status("docker-only")).toBe("queued");
    expect(queue.registrations[0]?.labels).toEqual(["gpu", "runner:local"]);
  });

  it("claims on a wake-up, not at its fallback poll", async () => {
    const { worker, queue, steps } = setup({ pollMs: 600_000 });
    await worker.start();
    await waitFor(() => queue.count("nextDue") === 1, { what: "the first look at the queue" });
    expect(queue.count("claim")).toBe(1);
    queue.add("a");
    queue.wake();
    await waitFor(() => steps.running("a"), { what: "step a to start" });
    expect(queue.count("claim")).toBe(2);
  });

  it("wakes when a delayed job is due: asking the queue at start, then told by the wake-up", async () => {
    const { worker, queue, steps } = setup({ pollMs: 600_000 });
    queue.add("early", { availableAt: Date.now() + 200 });
    await worker.start();
    await waitFor(() => steps.running("early"), { what: "the delayed step announced by the queue" });
    const due = Date.now() + 200;
    queue.add("later", { availableAt: due });
    queue.wake(String(due));
    await waitFor(() => steps.running("later"), { what: "the delayed step announced by its wake-up" });
    expect(Date.now()).toBeGreaterThanOrEqual(due);
    // The queue was asked once, at start; the second delay came with its wake-up.
    expect(queue.count("nextDue")).toBe(1);
  });

  it("runs the successor its finish took, with no claim between the two steps", async () => {
    // Four slots: with two, the successor fills the worker for a moment and the slot its predecessor
    // frees wakes a claim, as it should in a full worker.
    const { worker, queue, steps } = setup({ concurrency: 4 });
    queue.successors.set("a", "b");
    queue.add("a");
    await worker.start();
    await waitFor(() => steps.running("a"), { what: "step a" });
    const claims = queue.count("claim");
    steps.end("a");
    await waitFor(() => steps.running("b"), { what: "step b" });
    expect(queue.count("claim")).toBe(claims);
    expect(queue.count("start")).toBe(1);
    expect(queue.finished[0]?.request.take?.labels).toEqual(["runner:local"]);
  });

  it("runs a new run's first task that its creator handed over, with no claim and no start", async () => {
    const claimed: number[] = [];
    const { worker, queue, steps } = setup({ onClaimed: (seconds) => claimed.push(seconds) });
    await worker.start();
    await waitFor(() => queue.count("nextDue") === 1, { what: "the first look at the queue" });
    expect(queue.create("a")).toBe("handed");
    await waitFor(() => steps.running("a"), { what: "step a" });
    expect(queue.count("claim")).toBe(1);
    expect(queue.count("start")).toBe(0);
    expect(claimed).toEqual([0]);
    steps.end("a");
    await waitFor(() => queue.finished.length === 1, { what: "step a's finish" });
    expect(queue.finished[0]?.request.workerId).toBe("w1");
  });

  it("takes no first task when full, stopping, or without the labels: it stays queued for a claim", async () => {
    const { worker, queue, steps } = setup({ concurrency: 1 });
    queue.add("a");
    await worker.start();
    await waitFor(() => steps.running("a"), { what: "step a" });
    expect(queue.create("b")).toBe("queued");
    expect(queue.status("b")).toBe("queued");
    expect(queue.offer(["gpu", "runner:local"])).toBeUndefined();
    steps.end("a");
    await waitFor(() => steps.running("b"), { what: "step b, claimed" });
    expect(queue.count("start")).toBe(2);
    const stopping = worker.stop();
    expect(queue.create("c")).toBe("queued");
    steps.end("b");
    await stopping;
    expect(queue.status("c")).toBe("queued");
  });

  it("keeps an offered slot from claims until the offer is settled; a decline wakes a full worker", async () => {
    const { worker, queue, steps } = setup({ concurrency: 3, pollMs: 600_000 });
    queue.add("a");
    await worker.start();
    await waitFor(() => steps.running("a"), { what: "step a" });
    const offer = queue.offer();
    expect(offer).toMatchObject({ workerId: "w1", labels: ["runner:local"] });
    // One slot is left for claims: b is claimed, c waits, and no second offer is made.
    queue.add("b");
    queue.add("c");
    queue.wake();
    await waitFor(() => steps.running("b"), { what: "step b" });
    expect(queue.status("c")).toBe("queued");
    expect(queue.offer()).toBeUndefined();
    offer?.decline();
    await waitFor(() => steps.running("c"), { what: "step c, claimed once the offered slot was free" });
    expect(() => offer?.decline()).toThrow(/settled twice/);
  });

  it("looks for jobs it holds after an offer whose write failed uncertainly", async () => {
    const { worker, queue, steps } = setup({ pollMs: 600_000 });
    await worker.start();
    await waitFor(() => queue.count("nextDue") === 1, { what: "the first look at the queue" });
    const offer = queue.offer();
    if (!offer) throw new Error("no slot offered");
    // The write committed, but its answer was lost: the worker holds a job it does not know of.
    queue.write(offer, "lost");
    offer.decline(true);
    await waitFor(() => steps.running("lost"), { what: "the held job to be adopted" });
    expect(queue.count("held")).toBe(1);
    expect(queue.count("start")).toBe(1);
  });

  it("hands back a first task accepted after stopping began", async () => {
    const { worker, queue } = setup();
    await worker.start();
    const offer = queue.offer();
    if (!offer) throw new Error("no slot offered");
    const stopping = worker.stop();
    expect(queue.create("late")).toBe("queued");
    const started = queue.write(offer, "accepted-late");
    offer.accept(started);
    await stopping;
    await waitFor(() => queue.released.includes(started.job.id), { what: "the hand-back" });
    expect(queue.status("accepted-late")).toBe("queued");
  });

  it("hands a sub-workflow step to the queue and frees its slot at once", async () => {
    const { worker, queue, steps } = setup();
    queue.add("child", { subWorkflow: true });
    await worker.start();
    await waitFor(() => queue.subWorkflows.length === 1 && worker.running === 0, {
      what: "the sub-workflow to start",
    });
    expect(steps.started).toEqual([]);
    expect(queue.finished).toEqual([]);
  });

  it("stops a cancelled run's steps, but not a clean-up step started after the cancel", async () => {
    const { worker, queue, steps } = setup({ concurrency: 3 });
    queue.add("a");
    queue.add("b");
    queue.cancel("run-cleanup", true);
    queue.add("cleanup");
    await worker.start();
    await waitFor(() => steps.started.length === 3, { what: "three steps" });
    queue.cancel("run-a");
    queue.cancel("run-cleanup");
    await waitFor(() => queue.finished.length === 1, { what: "the cancelled step to end" });
    expect(queue.finished[0]).toMatchObject({ id: 1, outcome: { status: "cancelled" } });
    expect(steps.signals.get("b")?.aborted).toBe(false);
    expect(steps.signals.get("cleanup")?.aborted).toBe(false);
  });

  it("finds a cancel whose wake-up was lost at its next heartbeat", async () => {
    const { worker, queue, steps } = setup({ leaseMs: 300 });
    queue.add("a");
    await worker.start();
    await waitFor(() => steps.running("a"), { what: "step a" });
    queue.cancel("run-a", true);
    await waitFor(() => steps.signals.get("a")?.aborted, { what: "the heartbeat to stop step a" });
    expect(queue.count("cancelRequested")).toBeGreaterThan(0);
    expect(queue.count("renew")).toBeGreaterThan(0);
  });

  it("stops a step whose lease the reaper took, and reports the try as lost", async () => {
    const { worker, queue, steps, errors } = setup({ leaseMs: 300 });
    const job = queue.add("a");
    queue.reaped.add(job.id);
    await worker.start();
    await waitFor(() => queue.finished.length === 1, { what: "the lost try to be reported" });
    expect(steps.signals.get("a")?.aborted).toBe(true);
    expect(queue.finished[0]?.outcome).toMatchObject({
      status: "failed",
      workerLost: true,
      error: expect.stringMatching(
        /^worker lost: w1 stopped its step: it its lease was taken over by the reaper/,
      ),
    });
    expect(errors.some((e) => /taken over by the reaper/.test(e.message))).toBe(true);
  });

  it("runs the jobs a claim took when the claim's answer was lost, without waiting for their lease", async () => {
    const { worker, queue, steps, errors } = setup({ pollMs: 50 });
    queue.add("a");
    queue.loseAnswer("claim");
    await worker.start();
    await waitFor(() => steps.running("a"), { what: "the held job to be adopted" });
    expect(queue.count("held")).toBe(1);
    expect(errors.map((e) => e.message)).toContain("the answer to claim was lost");
  });

  it("retries a finish until the queue takes it", async () => {
    const { worker, queue, steps } = setup();
    queue.add("a");
    queue.fail("finish", new Error("connection reset"), 2);
    await worker.start();
    await waitFor(() => steps.running("a"), { what: "step a" });
    steps.end("a");
    await waitFor(() => queue.finished.length === 1, { what: "the finish to get through" });
    expect(queue.count("finish")).toBe(3);
  });

  it("hands a step back when it outlives the grace period of a graceful stop", async () => {
    const { worker, queue, steps } = setup({ graceMs: 50 });
    const job = queue.add("slow");
    await worker.start();
    await waitFor(() => steps.running("slow"), { what: "the slow step" });
    await worker.stop();
    expect(steps.signals.get("slow")?.aborted).toBe(true);
    expect(queue.released).toEqual([job.id]);
    expect(queue.status("slow")).toBe("queued");
    expect(queue.finished).toEqual([]);
    expect(steps.archived).toEqual(["slow"]);
  });

  it("lets a step finish within the grace period, claims nothing while draining, and takes no successor", async () => {
    const { worker, queue, steps } = setup({ graceMs: 60_000 });
    queue.successors.set("a", "after-a");
    queue.add("a");
    await worker.start();
    await waitFor(() => steps.running("a"), { what: "step a" });
    const claims = queue.count("claim");
    const stopping = worker.stop();
    queue.add("b");
    queue.wake();
    steps.end("a");
    await stopping;
    expect(queue.finished.map((f) => [f.id, f.request.take])).toEqual([[1, undefined]]);
    expect(queue.count("claim")).toBe(claims);
    expect(queue.status("b")).toBe("queued");
    expect(queue.status("after-a")).toBe("queued");
    expect(steps.started).toEqual(["a"]);
  });

  it("asks the queue which workers are alive when its runner removes orphans", async () => {
    const asked = new Map<string, boolean>();
    const { worker, queue } = setup({
      id: "self",
      runner: {
        types: ["local"],
        async removeOrphans(isAlive) {
          for (const id of ["fresh", "stale", "never-seen", "self"]) asked.set(id, await isAlive(id));
          return 0;
        },
      },
    });
    queue.heartbeats.set("fresh", Date.now());
    queue.heartbeats.set("stale", Date.now() - 3600_000);
    await worker.start();
    await waitFor(() => asked.size === 4, { what: "the sweep at start" });
    expect(Object.fromEntries(asked)).toEqual({ fresh: true, stale: false, "never-seen": false, self: true });
  });
});
