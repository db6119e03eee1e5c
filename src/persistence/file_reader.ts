/**
 * Judging a cache file read without coordination: is it a cache, an encrypted cache, a
 * file another library is rewriting in place right now, or really corrupt? A non-locking
 * writer (msal-node's file plug-in, MSAL Python without msal-extensions) truncates the file
 * and writes it again, so a reader can catch it empty or half-written; such a file is not
 * corrupt. A file is only declared corrupt when it reads the same, unreadable, several
 * times in a row over a short bounded time.
 *
 * @module
 */

import { parseCache } from "../cache/parse.ts";
import { type FileSnapshot, readSnapshot } from "./atomic_file.ts";

/** How often, and how far apart, an unreadable file is read again before it is judged. */
export const SETTLE_READS = 4;
/** The pause between those reads (the whole check stays under about 200 ms). */
export const SETTLE_PAUSE_MS = 50;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Why plaintext cache text is not a cache, or undefined when it is one. The reason holds
 * no text of the file (no token can leak into a message through it).
 *
 * @param text the file's text
 * @returns the first problem, or undefined
 * @example
 * ```ts
 * import { plaintextProblem } from "./file_reader.ts";
 * console.log(plaintextProblem("{}")); // undefined
 * console.log(plaintextProblem("{\"AccessToken\":")); // "The serialized token cache is not valid JSON …"
 * ```
 */
export function plaintextProblem(text: string): string | undefined {
  try {
    parseCache(text);
    return undefined;
  } catch (err) {
    return String((err as Error).message).split(". ")[0];
  }
}

/** What {@link settle} found. */
export type Settled =
  /** The file now reads as something else (valid, or another snapshot to judge). */
  | { kind: "changed"; snapshot: FileSnapshot | undefined; }
  /** The same unreadable bytes every time: really corrupt (this is the last read). */
  | { kind: "stable"; snapshot: FileSnapshot; }
  /** It kept changing while we looked: a writer is at work; do not move it aside. */
  | { kind: "busy"; };

/**
 * Reads an unreadable file again a few times (bounded: {@link SETTLE_READS} ×
 * {@link SETTLE_PAUSE_MS}) to tell a file being rewritten in place from a corrupt one.
 *
 * @param path the file
 * @param first what was read and judged unreadable
 * @param readable whether a snapshot is readable (parses, or decrypts)
 * @returns `changed` with the first readable (or vanished) version, `stable` when the same
 *   bytes came back every time, `busy` when they kept changing without becoming readable
 * @example
 * ```ts
 * import { readSnapshot } from "./atomic_file.ts";
 * import { settle } from "./file_reader.ts";
 * const first = await readSnapshot("/tmp/cache.json");
 * if (first) console.log((await settle("/tmp/cache.json", first, async () => false)).kind);
 * ```
 */
export async function settle(
  path: string,
  first: FileSnapshot,
  readable: (snapshot: FileSnapshot) => Promise<boolean>,
): Promise<Settled> {
  let changed = false;
  for (let i = 0; i < SETTLE_READS; i++) {
    await sleep(SETTLE_PAUSE_MS);
    const again = await readSnapshot(path);
    if (!again) return { kind: "changed", snapshot: undefined };
    if (sameBytes(again.bytes, first.bytes) && again.version === first.version) continue;
    changed = true;
    if (await readable(again)) return { kind: "changed", snapshot: again };
    first = again;
  }
  return changed ? { kind: "busy" } : { kind: "stable", snapshot: first };
}
