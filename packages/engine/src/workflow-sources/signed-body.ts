import { createHash, createHmac, type Hmac, timingSafeEqual } from "node:crypto";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** A request body as the HTTP layer hands it over: the bytes, or the stream they arrive on. */
export type BodySource = Buffer | AsyncIterable<Buffer | string>;

/**
 * Bytes of a body kept in memory; the rest goes to a temporary file until the signature is known. A
 * webhook body is mostly a few kB; twenty 20 MB bodies nobody signed must not hold 400 MB of memory.
 */
const KEPT_IN_MEMORY = 1024 * 1024;

/** A body read to its end: one HMAC-SHA256 per key, its SHA-256, and its bytes until discarded. */
export interface SignedBody {
  /** `sha256=<hex>` for each key, in the keys' order. */
  signatures: string[];
  /** `sha256:<hex>` of the body alone. */
  sha256: string;
  size: number;
  /** The whole body: read back from the temporary file when it was large. */
  bytes(): Promise<Buffer>;
  /** Removes the temporary file, if any. Safe to call twice. */
  discard(): Promise<void>;
}

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the body is larger than ${limit} bytes`);
  }
}

/**
 * Reads a body once, as it streams in: each chunk updates an HMAC per key (its `prefix` signed first,
 * as `<timestamp>.` for workflow hooks) and a SHA-256, and is kept (in memory up to 1 MB, beyond that
 * in a temporary file). Nothing is parsed here: the caller compares the signatures and asks for the
 * bytes only when one matched. Throws BodyTooLarge past `limit` bytes, having read no further.
 */
export async function readSignedBody(
  body: BodySource,
  keys: ReadonlyArray<{ key: string; prefix?: string }>,
  limit: number,
): Promise<SignedBody> {
  const macs: Hmac[] = keys.map(({ key, prefix }) => {
    const mac = createHmac("sha256", key);
    if (prefix) mac.update(prefix);
    return mac;
  });
  const hash = createHash("sha256");
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let size = 0;
  let spill: { dir: string; file: string; out: WriteStream } | undefined;
  const discard = async () => {
    const s = spill;
    spill = undefined;
    if (!s) return;
    if (!s.out.closed) await new Promise<void>((resolve) => s.out.end(resolve));
    await rm(s.dir, { recursive: true, force: true });
  };
  try {
    const chunks: AsyncIterable<Buffer | string> | Buffer[] = Buffer.isBuffer(body) ? [body] : body;
    for await (const piece of chunks) {
      const chunk = typeof piece === "string" ? Buffer.from(piece) : piece;
      size += chunk.length;
      if (size > limit) throw new BodyTooLarge(limit);
      for (const mac of macs) mac.update(chunk);
      hash.update(chunk);
      if (!spill && keptBytes + chunk.length <= KEPT_IN_MEMORY) {
        kept.push(chunk);
        keptBytes += chunk.length;
        continue;
      }
      if (!spill) {
        const dir = await mkdtemp(path.join(os.tmpdir(), "gantry-hook-"));
        const file = path.join(dir, "body");
        spill = { dir, file, out: createWriteStream(file) };
      }
      // Waits for the disk when it is slower than the network: what is in flight stays small.
      if (!spill.out.write(chunk)) await new Promise<void>((resolve) => spill?.out.once("drain", resolve));
    }
    if (spill) {
      const out = spill.out;
      await new Promise<void>((resolve, reject) =>
        out.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
    }
  } catch (error) {
    await discard();
    throw error;
  }
  const head = Buffer.concat(kept);
  return {
    signatures: macs.map((mac) => `sha256=${mac.digest("hex")}`),
    sha256: `sha256:${hash.digest("hex")}`,
    size,
    async bytes() {
      return spill ? Buffer.concat([head, await readFile(spill.file)]) : head;
    },
    discard,
  };
}

/** The indexes of the signatures a `sha256=<hex>` header matches: compared in constant time, case-blind. */
export function signaturesMatched(header: string | undefined, signatures: readonly string[]): number[] {
  if (!header) return [];
  const given = Buffer.from(header.trim().toLowerCase());
  const matched: number[] = [];
  signatures.forEach((signature, index) => {
    const expected = Buffer.from(signature);
    // The length is no secret (always 71 bytes); timingSafeEqual needs equal lengths.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched.push(index);
  });
  return matched;
}
