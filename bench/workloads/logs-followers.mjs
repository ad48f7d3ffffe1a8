// The WebSocket followers of the `logs` workload, in their own process so that their CPU is theirs, not
// the bench's timer's. Reads `{url, count}` as one JSON line on stdin, opens `count` sockets on `url`,
// and prints one JSON line when every socket has been closed by the server: per follower the messages
// received, the lines they held, the last offset, whether the offsets came in order with no gap or
// duplicate, and the close code. With `?batch=true` each message is a JSON array of lines. Messages are
// read only for their first and last offsets (`{"offset":N` is serialised first): a browser on another
// machine would pay for the rest of the parsing there, and 100 parsers here would measure this process.
import WebSocket from "ws";

const input = await new Promise((resolve) => {
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
    const skip = data[0] === 0x5b ? 1 : 0; // "[": a batch
    const first = Number.parseInt(data.toString("latin1", skip + 10, skip + 32), 10);
    const at = data.lastIndexOf('{"offset":');
    const last = Number.parseInt(data.toString("latin1", at + 10, at + 32), 10);
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
