// Loaded with `node --import` into a measured process: at exit it writes the process's peak resident
// memory (kB, from getrusage) to stderr as one line the bench reads back.
process.on("exit", () => {
  process.stderr.write(`\ngantry-bench-max-rss-kb ${process.resourceUsage().maxRSS}\n`);
});
