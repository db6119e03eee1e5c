/**
 * Reading a serialized cache: JSON text to validated sections, or a {@link CacheError} that
 * names the first problem. Nothing is half-read: the caller swaps its state only after this
 * returns.
 *
 * @module
 */

import { CacheError } from "./cache_error.ts";
import { CACHE_SECTIONS, type CacheSection, CredentialType, type SectionEntity } from "./schema.ts";

/** A validated serialized cache. */
export interface ParsedCache {
  /** The entries of each known section, in file order. */
  sections: { [S in CacheSection]: Map<string, SectionEntity[S]>; };
  /** Every other top-level member, preserved as read. */
  extra: Map<string, unknown>;
  /**
   * Entries left out because a timestamp is not epoch seconds as a digit string (e.g.
   * `"1e+21"`, written by a library that did not cap a huge lifetime): `Section["key"].field`.
   * One such entry never costs the rest of the cache.
   */
  skipped: string[];
}

type Entry = Record<string, unknown>;

const DIGITS = /^\d+$/;

function isObject(value: unknown): value is Entry {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The entry being validated: its path (with its key, for the error's `path`) and how the
 * message names it (by position: a key of a damaged file may hold anything, even a token).
 */
let current: { path: string; shown: string; } | undefined;

function fail(path: string, what: string): never {
  const shown = current && path.startsWith(current.path)
    ? current.shown + path.slice(current.path.length)
    : path;
  throw new CacheError(
    "wrong_shape",
    `The token cache is not in MSAL's shared format: ${shown} ${what}. The cache was not `
      + "changed; keep the file for diagnosis and sign in again to start a new one.",
    { path },
  );
}

function requireString(entry: Entry, field: string, path: string): void {
  if (typeof entry[field] !== "string") {
    fail(`${path}.${field}`, entry[field] === undefined ? "is missing" : "is not a string");
  }
}

function optionalString(entry: Entry, field: string, path: string): void {
  const value = entry[field];
  if (value !== undefined && value !== null && typeof value !== "string") {
    fail(`${path}.${field}`, "is not a string");
  }
}

/** Thrown by a check when one entry (not the file) is unusable: the entry is skipped. */
class SkipEntry {
  constructor(readonly path: string) {}
}

/** Timestamps beyond this (epoch seconds, year 275760) are not dates. */
const MAX_EPOCH_SECONDS = 8_640_000_000_000;

function timestamp(entry: Entry, field: string, path: string, required: boolean): void {
  const value = entry[field];
  if (value === undefined || value === null) {
    if (required) fail(`${path}.${field}`, "is missing");
    return;
  }
  if (typeof value !== "string" || !DIGITS.test(value) || Number(value) > MAX_EPOCH_SECONDS) {
    throw new SkipEntry(`${path}.${field}`);
  }
}

function credential(entry: Entry, path: string): void {
  for (
    const field of ["home_account_id", "environment", "credential_type", "client_id", "secret"]
  ) {
    requireString(entry, field, path);
  }
}

const validators: { [S in CacheSection]: (entry: Entry, path: string) => void; } = {
  AccessToken(entry, path) {
    credential(entry, path);
    const type = String(entry.credential_type).toLowerCase();
    if (
      type !== CredentialType.ACCESS_TOKEN.toLowerCase()
      && type !== CredentialType.ACCESS_TOKEN_WITH_AUTH_SCHEME.toLowerCase()
    ) fail(`${path}.credential_type`, "is not the section's credential type");
    requireString(entry, "realm", path);
    requireString(entry, "target", path);
    timestamp(entry, "expires_on", path, true);
    for (const field of ["cached_at", "extended_expires_on", "refresh_on"]) {
      timestamp(entry, field, path, false);
    }
    for (const field of ["token_type", "key_id", "requestedClaims", "requestedClaimsHash"]) {
      optionalString(entry, field, path);
    }
  },
  RefreshToken(entry, path) {
    credential(entry, path);
    if (String(entry.credential_type).toLowerCase() !== "refreshtoken") {
      fail(`${path}.credential_type`, "is not the section's credential type");
    }
    optionalString(entry, "family_id", path);
  },
  IdToken(entry, path) {
    credential(entry, path);
    if (String(entry.credential_type).toLowerCase() !== "idtoken") {
      fail(`${path}.credential_type`, "is not the section's credential type");
    }
    requireString(entry, "realm", path);
  },
  Account(entry, path) {
    for (
      const field of [
        "home_account_id",
        "environment",
        "realm",
        "local_account_id",
        "username",
        "authority_type",
      ]
    ) requireString(entry, field, path);
    optionalString(entry, "name", path);
    optionalString(entry, "client_info", path);
  },
  AppMetadata(entry, path) {
    requireString(entry, "client_id", path);
    requireString(entry, "environment", path);
    optionalString(entry, "family_id", path);
  },
};

/**
 * Parses and validates a serialized cache. An access token whose timestamp is not epoch
 * seconds as a digit string (or is past any real date) is left out and listed in `skipped`
 * (it can be fetched again); anything else malformed rejects the whole input.
 *
 * @param json the serialized cache (`{}` is an empty cache)
 * @returns the validated sections and the unknown top-level members
 * @throws CacheError `empty`, `not_json` or `wrong_shape` (with `path`)
 * @example
 * ```ts
 * import { parseCache } from "./parse.ts";
 * parseCache('{"AccessToken":{}}').sections.AccessToken.size; // 0
 * ```
 */
export function parseCache(json: string): ParsedCache {
  if (typeof json !== "string" || json.trim() === "") {
    throw new CacheError(
      "empty",
      "The serialized token cache is empty (a truncated file?). The cache was not changed. "
        + "A cache with no entries serializes as {}.",
    );
  }
  let root: unknown;
  try {
    root = JSON.parse(json);
  } catch (err) {
    // The parser's own message is not kept: some runtimes quote the text (a token) in it.
    const at = /position (\d+)/.exec(String((err as Error)?.message))?.[1];
    throw new CacheError(
      "not_json",
      "The serialized token cache is not valid JSON (truncated or corrupt). The cache was not "
        + "changed; keep the file for diagnosis and sign in again to start a new one."
        + (at === undefined ? "" : ` (The first error is at character ${at}.)`),
    );
  }
  if (!isObject(root)) fail("the top level", "is not a JSON object");
  const sections = {} as ParsedCache["sections"];
  const skipped: string[] = [];
  for (const name of CACHE_SECTIONS) {
    const raw = root[name];
    const map = new Map<string, Entry>();
    if (raw !== undefined && raw !== null) {
      if (!isObject(raw)) fail(name, "is not a JSON object");
      let index = 0;
      try {
        for (const [key, entry] of Object.entries(raw)) {
          const path = `${name}[${JSON.stringify(key)}]`;
          current = { path, shown: `${name} entry #${++index}` };
          if (!isObject(entry)) fail(path, "is not a JSON object");
          try {
            validators[name](entry, path);
          } catch (err) {
            if (!(err instanceof SkipEntry)) throw err;
            skipped.push(err.path);
            continue;
          }
          map.set(key, entry);
        }
      } finally {
        current = undefined;
      }
    }
    (sections as Record<string, Map<string, Entry>>)[name] = map;
  }
  const extra = new Map<string, unknown>();
  for (const [key, value] of Object.entries(root)) {
    if (!(CACHE_SECTIONS as readonly string[]).includes(key)) extra.set(key, value);
  }
  return { sections, extra, skipped };
}
