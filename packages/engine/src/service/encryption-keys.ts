import { listEncryptionKeys } from "../store/queries/encryption-keys-list.js";
import { recordFirstEncryptionKey } from "../store/queries/encryption-keys-record.js";
import { makeEncryptionKeyCurrent } from "../store/queries/encryption-keys-rotate.js";
import {
  newestSealedInputs,
  replaceSealedValue,
  SEALED_RUN_COLUMNS,
  sealedValuesPage,
} from "../store/queries/sealed-inputs.js";
import type { Db } from "../store/queries/types.js";
import { type SecretBox, shortFingerprint } from "./secret-box.js";

/** A process's key ring does not fit the deployment's recorded key: it must not start. */
export class EncryptionKeyMismatch extends Error {}

const PAGE = 200;
/** Passes over the stored values before concluding that another process keeps sealing with an old key. */
const MAX_PASSES = 5;

/**
 * Checked by every process before it serves or runs anything: the deployment's current key (recorded by
 * fingerprint on the first start) must be in this process's ring, and the ring's sealing key must not be
 * one a rotation retired. So no two processes ever seal with different keys, and a process given a wrong
 * key stops at once instead of failing runs later. On the first start of a store that already holds
 * sealed values (made before keys were recorded), the newest of them must open with this ring.
 */
export async function checkEncryptionKey(
  db: Db,
  box: SecretBox,
  now: number,
): Promise<{ recorded: boolean; current: string }> {
  let keys = await listEncryptionKeys(db);
  let recorded = false;
  if (!keys.some((k) => k.retired_at === null)) {
    const sample = await newestSealedInputs(db);
    if (sample !== undefined) {
      try {
        box.open(sample);
      } catch (error) {
        throw new EncryptionKeyMismatch(
          `GANTRY_ENCRYPTION_KEY cannot open the secret inputs already in the store (${(error as Error).message}): ` +
            "give this process the key the store was used with",
        );
      }
    }
    await recordFirstEncryptionKey(db, box.fingerprint, now);
    keys = await listEncryptionKeys(db);
    recorded = keys[0]?.fingerprint === box.fingerprint;
  }
  const current = keys.find((k) => k.retired_at === null);
  if (!current) throw new Error("no current encryption key recorded in the store");
  const held = box.fingerprints.map(shortFingerprint).join(", ");
  if (!box.fingerprints.includes(current.fingerprint)) {
    const retired = keys.find((k) => k.retired_at !== null && box.fingerprints.includes(k.fingerprint));
    throw new EncryptionKeyMismatch(
      `GANTRY_ENCRYPTION_KEY is not this deployment's key: the store's secrets are sealed with ` +
        `${shortFingerprint(current.fingerprint)} (recorded ${iso(current.created_at)}), and this process holds ${held}` +
        (retired
          ? `, which \`gantry keys rotate-encryption\` retired on ${iso(retired.retired_at as number)}`
          : "") +
        ". Every server and worker must share one key: give this one the same GANTRY_ENCRYPTION_KEY as the others",
    );
  }
  const sealing = keys.find((k) => k.fingerprint === box.fingerprint);
  if (sealing?.retired_at != null) {
    throw new EncryptionKeyMismatch(
      `the first key in GANTRY_ENCRYPTION_KEY (${shortFingerprint(box.fingerprint)}) was retired by ` +
        `\`gantry keys rotate-encryption\` on ${iso(sealing.retired_at)}; the current key is ` +
        `${shortFingerprint(current.fingerprint)}: put it first`,
    );
  }
  return { recorded, current: current.fingerprint };
}

export interface RotationProgress {
  resealed: number;
  seen: number;
}

/**
 * Makes the ring's first key the deployment's current key and re-seals every stored secret with it (each
 * run's secret inputs and its `::add-mask::` values), so old runs stay readable (and re-runnable, their
 * masks still known) once the old key is gone. The ring must hold every key stored
 * values were sealed with (`NEW,OLD`). Values are re-sealed a page at a time, each only if nobody changed
 * it meanwhile; passes repeat until one finds nothing left to re-seal. Safe to run again after a failure.
 */
export async function rotateEncryptionKey(
  db: Db,
  box: SecretBox,
  now: number,
  onProgress: (progress: RotationProgress) => void = () => {},
): Promise<{ resealed: number; retired: string[] }> {
  const before = await listEncryptionKeys(db);
  const current = before.find((k) => k.retired_at === null);
  if (current && !box.fingerprints.includes(current.fingerprint)) {
    throw new EncryptionKeyMismatch(
      `GANTRY_ENCRYPTION_KEY does not hold the deployment's current key ${shortFingerprint(current.fingerprint)}: ` +
        "give it as NEW,CURRENT (the new key first, then the one in use)",
    );
  }
  await db.transaction().execute((tx) => makeEncryptionKeyCurrent(tx, box.fingerprint, now));
  let resealed = 0;
  for (let pass = 1; ; pass++) {
    let stale = 0;
    let seen = 0;
    for (const column of SEALED_RUN_COLUMNS) {
      let after = "";
      for (;;) {
        const page = await sealedValuesPage(db, column, after, PAGE);
        if (page.length === 0) break;
        for (const row of page) {
          seen++;
          if (box.sealedWithCurrentKey(row.sealed)) continue;
          stale++;
          let plain: string;
          try {
            plain = box.open(row.sealed);
          } catch (error) {
            throw new EncryptionKeyMismatch(
              `run ${row.id} (${column}): ${(error as Error).message}. Add the key it was sealed with to ` +
                "GANTRY_ENCRYPTION_KEY (after the new one) and run the rotation again; the values re-sealed so far stay readable",
            );
          }
          if (await replaceSealedValue(db, row.id, column, row.sealed, box.seal(plain))) resealed++;
        }
        after = (page.at(-1) as { id: string }).id;
        onProgress({ resealed, seen });
      }
    }
    if (stale === 0) break;
    if (pass >= MAX_PASSES) {
      throw new EncryptionKeyMismatch(
        `values sealed with another key keep appearing (${stale} in pass ${pass}): a server or worker ` +
          "still seals with an old key. Restart every one with the new key first in GANTRY_ENCRYPTION_KEY, then " +
          "run the rotation again",
      );
    }
  }
  return {
    resealed,
    retired: before
      .filter((k) => k.retired_at === null && k.fingerprint !== box.fingerprint)
      .map((k) => k.fingerprint),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
}
