/**
 * The three-way merge that makes concurrent writers safe. A writer knows three versions of
 * the cache: `base` (the file as it read it before the access), `mine` (the cache after the
 * access) and `disk` (the file as it is now, re-read under the lock). Entries are merged one
 * by one, by section and key:
 *
 * | this process (`mine` vs `base`) | others (`disk` vs `base`) | result                       |
 * | ------------------------------- | ------------------------- | ---------------------------- |
 * | unchanged                       | anything                  | `disk` (theirs, or its absence) |
 * | changed or added                | unchanged                 | `mine`                       |
 * | removed                         | changed                   | `disk`: a removal deletes only the version it saw |
 * | changed                         | removed                   | `mine`: a new version, not the one they removed |
 * | changed                         | changed                   | the newer by revision (below); a tie goes to `mine` |
 *
 * So an entry another process wrote is never dropped (we did not touch it), a removal is
 * never undone by a stale copy (an entry we did not change follows the disk), and a refresh
 * token rotated elsewhere is not overwritten by an older one.
 *
 * "Newer" is a logical clock, not wall time: the file carries a revision number
 * (`EntraAuthSync.revision`, +1 on every write) and every entry we write carries the
 * revision its writer had read (`entra_auth_revision`). A change made from a later read of
 * the cache is newer; changes made from the same read are concurrent and the later commit
 * wins. Entries other libraries wrote have no revision and count as oldest. Unknown fields
 * and sections are carried along with their entry (or, for non-map sections, as a whole).
 *
 * @module
 */

/** A parsed cache file (MSAL's shared format). */
export type CacheDocument = Record<string, unknown>;

/** The top-level member holding the file's revision. */
export const SYNC_SECTION = "EntraAuthSync";
/** The entry field holding the revision its writer had read (a string of digits). */
export const REVISION_FIELD = "entra_auth_revision";

type Entry = Record<string, unknown>;

function isObject(value: unknown): value is Entry {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Sets an own member, even one named `__proto__` (as `JSON.parse` makes it). */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function isEntryMap(value: unknown): value is Record<string, Entry> {
  return isObject(value) && Object.values(value).every(isObject);
}

function canonical(value: unknown, skip?: string): string {
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v)).join(",")}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).filter((k) => k !== skip).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

function same(a: unknown, b: unknown, skip?: string): boolean {
  if (a === b) return true; // the same object: unchanged (entries are never changed in place)
  if (a === undefined || b === undefined) return false;
  // Fast path: the same writer usually keeps the same field order.
  if (JSON.stringify(a) === JSON.stringify(b)) return true;
  return canonical(a, skip) === canonical(b, skip);
}

/**
 * The revision of a cache file (0 when it has none).
 *
 * @param doc the parsed file
 * @returns its revision
 * @example
 * ```ts
 * import { revisionOf } from "./merge.ts";
 * console.log(revisionOf({ EntraAuthSync: { revision: 7 } })); // 7
 * ```
 */
export function revisionOf(doc: CacheDocument): number {
  const sync = doc[SYNC_SECTION];
  const revision = isObject(sync) ? sync.revision : undefined;
  return typeof revision === "number" && Number.isSafeInteger(revision) && revision >= 0
    ? revision
    : 0;
}

function stampOf(entry: Entry): number {
  const value = entry[REVISION_FIELD];
  return typeof value === "string" && /^\d+$/.test(value) ? Number(value) : -1;
}

/** What {@link mergeCache} produced. */
export interface MergeResult {
  /** The document to write. */
  document: CacheDocument;
  /** Whether it differs from `disk` (apart from the revision): false means nothing to write. */
  changed: boolean;
  /** Whether it holds anything `mine` lacks (others' changes): the cache must then reload. */
  hasTheirs: boolean;
}

/**
 * Merges this process's changes (`base` → `mine`) into the file as it is now (`disk`).
 *
 * @param base the file as read before the access (`{}` if there was none)
 * @param mine the cache after the access
 * @param disk the file now (`{}` if there is none)
 * @returns the document to write
 * @example
 * ```ts
 * import { mergeCache } from "./merge.ts";
 * const base = { RefreshToken: {} };
 * const mine = { RefreshToken: { a: { secret: "mine" } } };
 * const disk = { RefreshToken: { b: { secret: "theirs" } } };
 * console.log(Object.keys(mergeCache(base, mine, disk).document.RefreshToken as object)); // ["b", "a"]
 * ```
 */
export function mergeCache(
  base: CacheDocument,
  mine: CacheDocument,
  disk: CacheDocument,
): MergeResult {
  const ourStamp = revisionOf(base);
  const stamped = (entry: Entry): Entry => ({ ...entry, [REVISION_FIELD]: String(ourStamp) });
  const out: CacheDocument = {};
  let changed = false;
  let hasTheirs = false;
  const names = new Set([...Object.keys(disk), ...Object.keys(mine), ...Object.keys(base)]);
  names.delete(SYNC_SECTION);
  for (const name of names) {
    const b = base[name], m = mine[name], d = disk[name];
    const mapped = [b, m, d].every((v) => v === undefined || isEntryMap(v));
    if (!mapped) {
      const value = same(m, b) ? d : m;
      if (!same(value, d)) changed = true;
      if (value !== m && !same(value, m)) hasTheirs = true;
      if (value !== undefined) put(out, name, value);
      continue;
    }
    const bs = (b ?? {}) as Record<string, Entry>;
    const ms = (m ?? {}) as Record<string, Entry>;
    const ds = (d ?? {}) as Record<string, Entry>;
    const section: Record<string, Entry> = {};
    const keys = new Set([...Object.keys(ds), ...Object.keys(ms), ...Object.keys(bs)]);
    for (const key of keys) {
      const be = bs[key], me = ms[key], de = ds[key];
      let result: Entry | undefined;
      if (same(me, be, REVISION_FIELD)) result = de;
      else if (same(de, be, REVISION_FIELD)) result = me && stamped(me);
      else if (me === undefined) result = de;
      else if (de === undefined) result = stamped(me);
      else result = ourStamp >= stampOf(de) ? stamped(me) : de;
      if (result !== de) changed = true;
      if (result === de && !same(de, me, REVISION_FIELD)) hasTheirs = true;
      if (result !== undefined) put(section, key, result);
    }
    if (d !== undefined || m !== undefined) put(out, name, section);
  }
  const previous = disk[SYNC_SECTION];
  out[SYNC_SECTION] = {
    ...(isObject(previous) ? previous : {}),
    revision: Math.max(revisionOf(disk), ourStamp) + 1,
  };
  return { document: out, changed, hasTheirs };
}

/**
 * Merges two versions of the cache of which neither knows the other: the commit a late
 * writer's rename replaced (`kept`) and that late writer's file (`late`), after a lock
 * takeover (see `takeover.ts`). Nothing of either is dropped: every entry of both is kept;
 * an entry both hold in different versions keeps the newer by revision (a tie keeps
 * `kept`'s, the later commit). Removals made by either are undone: a signed-out account
 * may come back, a sign-in is never lost. Sections that are not entry maps keep `kept`'s.
 *
 * @param kept the replaced commit
 * @param late the late writer's file
 * @returns the union, with the higher revision of the two
 * @example
 * ```ts
 * import { unionCache } from "./merge.ts";
 * const kept = { AccessToken: { a: { secret: "1" } } };
 * const late = { AccessToken: { b: { secret: "2" } } };
 * console.log(Object.keys(unionCache(kept, late).AccessToken as object)); // ["a", "b"]
 * ```
 */
export function unionCache(kept: CacheDocument, late: CacheDocument): CacheDocument {
  const out: CacheDocument = {};
  const names = new Set([...Object.keys(kept), ...Object.keys(late)]);
  names.delete(SYNC_SECTION);
  for (const name of names) {
    const k = kept[name], l = late[name];
    if (!(isEntryMap(k) && isEntryMap(l))) {
      put(out, name, k === undefined ? l : k);
      continue;
    }
    const section: Record<string, Entry> = {};
    for (const key of new Set([...Object.keys(k), ...Object.keys(l)])) {
      const ke = k[key], le = l[key];
      put(
        section,
        key,
        ke === undefined || (le !== undefined && stampOf(le) > stampOf(ke)) ? le : ke,
      );
    }
    put(out, name, section);
  }
  const sync = isObject(kept[SYNC_SECTION]) ? kept[SYNC_SECTION] : late[SYNC_SECTION];
  out[SYNC_SECTION] = {
    ...(isObject(sync) ? sync : {}),
    revision: Math.max(revisionOf(kept), revisionOf(late)),
  };
  return out;
}
