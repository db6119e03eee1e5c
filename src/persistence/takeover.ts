/**
 * What makes a lock takeover safe after the fact. A lock file cannot stop a writer that was
 * stopped (SIGSTOP, a debugger, a suspended VM) between its last check that the lock is
 * still its own and the rename that replaces the cache file: when it resumes, its rename
 * lands, even if another process took the lock over and committed meanwhile. So:
 *
 * 1. Whoever takes over a lock whose owner may still run leaves a record,
 *    `<cache>.lock.overtaken-<nonce>` (the old lock's text), before it removes the lock.
 * 2. While a record exists, every commit also keeps its new file as `<cache>.guard`, a hard
 *    link (no copy, the same owner-only file), replaced only after the writer checked, once
 *    its rename landed, that the lock was still its own.
 * 3. Under the lock, a commit that finds a record and a guard that is not the cache file
 *    (another inode) knows that a late rename replaced the last commit: it merges the guard
 *    (the commit replaced) with the file (the late writer's) entry by entry
 *    (`unionCache`: nothing of either is dropped), then merges its own changes in as usual.
 * 4. A record is removed, under the lock, once its writer can no longer write: it is dead,
 *    it removed its own record (it knows it has no rename pending), or the record is older
 *    than {@link RECORD_MAX_AGE_MS}. With the last record the guard goes too.
 *
 * Without takeovers (the usual case) this costs one directory listing per commit.
 *
 * @module
 */

import { readdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { parseOwner, processAlive } from "./lock.ts";

/** A record older than this is removed even if its writer seems to run (a day). */
export const RECORD_MAX_AGE_MS = 24 * 60 * 60 * 1000;

const RECORD_MARK = ".overtaken-";

/**
 * The guard file of a cache file.
 *
 * @param path the cache file
 * @returns `<path>.guard`
 * @example
 * ```ts
 * import { guardPath } from "./takeover.ts";
 * console.log(guardPath("/tmp/cache.json")); // "/tmp/cache.json.guard"
 * ```
 */
export function guardPath(path: string): string {
  return `${path}.guard`;
}

/** One takeover record: a lock owner that may still write late. */
export interface TakeoverRecord {
  /** The record file. */
  file: string;
  /** The overtaken lock's nonce. */
  nonce: string;
}

/** The takeover records of a cache, and whether its guard exists. */
export interface TakeoverState {
  /** The records, any order. */
  records: TakeoverRecord[];
  /** Whether `<cache>.guard` exists. */
  guard: boolean;
}

/**
 * Lists a cache's takeover records and guard (one directory listing).
 *
 * @param path the cache file
 * @param lockPath its lock file
 * @returns what exists
 * @example
 * ```ts
 * import { takeoverState } from "./takeover.ts";
 * console.log(await takeoverState("/tmp/cache.json", "/tmp/cache.json.lock"));
 * ```
 */
export async function takeoverState(path: string, lockPath: string): Promise<TakeoverState> {
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return { records: [], guard: false };
  }
  const prefix = basename(lockPath) + RECORD_MARK;
  const guard = basename(guardPath(path));
  const records: TakeoverRecord[] = [];
  let hasGuard = false;
  for (const name of names) {
    if (name === guard) hasGuard = true;
    else if (name.startsWith(prefix)) {
      records.push({ file: join(dirname(lockPath), name), nonce: name.slice(prefix.length) });
    }
  }
  return { records, guard: hasGuard };
}

/**
 * Records that the lock `text` (owned by a process that may still run) is being taken over.
 * Call it while the lock is still in place (the takeover's own mutex held). When no record
 * exists yet, a guard left by an earlier takeover is removed first: it no longer follows the
 * cache file and would look like a late write.
 *
 * @param path the cache file
 * @param lockPath its lock file
 * @param nonce the overtaken lock's nonce
 * @param text the overtaken lock's text
 * @example
 * ```ts
 * import { recordTakeover } from "./takeover.ts";
 * await recordTakeover("/tmp/cache.json", "/tmp/cache.json.lock", "1-2", "{}");
 * ```
 */
export async function recordTakeover(
  path: string,
  lockPath: string,
  nonce: string,
  text: string,
): Promise<void> {
  const state = await takeoverState(path, lockPath);
  if (state.records.length === 0 && state.guard) await unlinkIfPresent(guardPath(path));
  const file = `${lockPath}${RECORD_MARK}${nonce.replace(/[^0-9A-Za-z-]/g, "_")}`;
  await writeFile(file, text, { mode: 0o600, flag: "w" });
}

/**
 * Whether the cache file was replaced by a write that did not keep the guard (a late
 * rename after a takeover, or another library's write while records exist).
 *
 * @param path the cache file
 * @param state its takeover state
 * @returns true when the guard holds a commit the file no longer is
 * @example
 * ```ts
 * import { replacedSinceGuard, takeoverState } from "./takeover.ts";
 * const state = await takeoverState("/tmp/cache.json", "/tmp/cache.json.lock");
 * console.log(await replacedSinceGuard("/tmp/cache.json", state));
 * ```
 */
export async function replacedSinceGuard(path: string, state: TakeoverState): Promise<boolean> {
  if (state.records.length === 0 || !state.guard) return false;
  try {
    const [file, guard] = await Promise.all([stat(path), stat(guardPath(path))]);
    return file.ino !== guard.ino || file.dev !== guard.dev;
  } catch {
    return false; // no file (cleared, kept aside) or no guard: nothing to merge back
  }
}

/**
 * Removes the records whose writers can no longer write late: `finished` (this process's
 * own lost locks, whose writes are over), dead processes on this host, records older than
 * {@link RECORD_MAX_AGE_MS}. Call it under the lock, after {@link replacedSinceGuard} was
 * acted on. With no record left, the guard is removed too.
 *
 * @param path the cache file
 * @param state its takeover state
 * @param finished nonces of this process's locks that were taken over
 * @returns how many records remain (a commit keeps the guard while any does)
 * @example
 * ```ts
 * import { settleRecords, takeoverState } from "./takeover.ts";
 * const state = await takeoverState("/tmp/cache.json", "/tmp/cache.json.lock");
 * console.log(await settleRecords("/tmp/cache.json", state, new Set()));
 * ```
 */
export async function settleRecords(
  path: string,
  state: TakeoverState,
  finished: ReadonlySet<string>,
): Promise<number> {
  let remaining = 0;
  for (const record of state.records) {
    if (await recordDone(record, finished)) await unlinkIfPresent(record.file);
    else remaining++;
  }
  if (remaining === 0 && state.guard) await unlinkIfPresent(guardPath(path));
  return remaining;
}

async function recordDone(record: TakeoverRecord, finished: ReadonlySet<string>): Promise<boolean> {
  if (finished.has(record.nonce)) return true;
  let text: string;
  let mtimeMs: number;
  try {
    [text, { mtimeMs }] = await Promise.all([readFile(record.file, "utf8"), stat(record.file)]);
  } catch {
    return true; // removed meanwhile
  }
  if (Date.now() - mtimeMs > RECORD_MAX_AGE_MS) return true;
  const owner = parseOwner(text);
  if (!owner) return true; // not a record this module wrote: it protects nothing
  return owner.hostname === hostname() && !processAlive(owner.pid);
}

async function unlinkIfPresent(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (err) {
    if ((err as { code?: string; }).code !== "ENOENT") throw err;
  }
}
