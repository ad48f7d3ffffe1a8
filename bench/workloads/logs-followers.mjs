// The WebSocket followers of the `logs` workload, in their own process so that their CPU is theirs, not
// the bench's timer's. Reads `{url, count}` as one JSON line on stdin, opens `count` sockets on `url`,
// and prints one JSON line when every socket has been closed by the server: per follower the messages
// received, the lines they held, the last offset, whether the offsets came in order with no gap or
// duplicate, and the close code. With `?packed=true` each message is a JSON array of packed batches
// (`{"offset":N,…,"lines":{"s":[[stream,count],…],…,"x":texts}}`). Messages are read only for their first
// offset and the last batch's offset and line count (its `s` runs, serialised before the texts): a
// browser on another machine would pay for the rest of the parsing there, and 100 parsers here would
// measure this process.
import WebSocket from "ws";

const input = await new Promise((resolve) => {
  // Loaded and listening: the bench starts the run only now, so this process's start is not the step's.
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  let text = "";
  process.stdin.on("data", (chunk) => {
    text += chunk;
    const newline = text.indexOf("\n");
    if (newline !== -1) resolve(JSON.parse(text.slice(0, newline)));
  });
});

const followers = Array.from({ length: input.count }, () => {
  const state = { messages: 0, lines: 0, last: -1, ordered: true, code: null, error: null };
  const socket = new WebSocket(input.url, { perMessageDeflate: false });
  socket.on("message", (data) => {
    state.messages++;
    const first = Number.parseInt(data.toString("latin1", 11, 33), 10);
    const at = data.lastIndexOf('{"offset":');
    const runs = data.indexOf('"s":', at);
    const head = data.toString("latin1", runs + 4, data.indexOf("]]", runs) + 2);
    const count = JSON.parse(head).reduce((n, [, c]) => n + c, 0);
    const last = Number.parseInt(data.toString("latin1", at + 10, at + 32), 10) + count - 1;
    if (first !== state.last + 1 || last < first) state.ordered = false;
    state.lines += last - first + 1;
    state.last = last;
  });
  state.done = new Promise((resolve) => {
    socket.on("close", (code) => {
      state.code = code;
      resolve();
    });
    socket.on("error", (error) => {
      state.error = error.message;
    });
  });
  return state;
});

process.stdout.write(`${JSON.stringify({ connecting: followers.length })}\n`);
await Promise.all(followers.map((f) => f.done));
process.stdout.write(
  `${JSON.stringify({
    followers: followers.map(({ messages, lines, last, ordered, code, error }) => ({
      messages,
      lines,
      last,
      ordered,
      code,
      error,
    })),
  })}\n`,
);
process.exit(0);
