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
 * The entry being validated, reused for every entry (a cold start reads the whole cache, and
 * building each entry's path up front was half the time it took): its section, key and
 * position. The error's `path` names the key; the message names the entry by position (a key
 * of a damaged file may hold anything, even a token).
 */
const current = { section: "", key: "", index: 0 };

/** `Section["key"]`: where in the file the current entry is. */
function entryPath(): string {
  return `${current.section}[${JSON.stringify(current.key)}]`;
}

/** `Section["key"].field`: where in the file a field of the current entry is. */
function fieldPath(field: string): string {
  return `${entryPath()}.${field}`;
}

function failAt(path: string, shown: string, what: string): never {
  throw new CacheError(
    "wrong_shape",
    `The token cache is not in MSAL's shared format: ${shown} ${what}. The cache was not `
      + "changed; keep the file for diagnosis and sign in again to start a new one.",
    { path },
  );
}

/** Fails on a field of the current entry. */
function fail(what: string, field: string): never {
  failAt(fieldPath(field), `${current.section} entry #${current.index}.${field}`, what);
}

function requireString(entry: Entry, field: string): void {
  if (typeof entry[field] !== "string") {
    fail(entry[field] === undefined ? "is missing" : "is not a string", field);
  }
}

function optionalString(entry: Entry, field: string): void {
  const value = entry[field];
  if (value !== undefined && value !== null && typeof value !== "string") {
    fail("is not a string", field);
  }
}

/** Thrown by a check when one entry (not the file) is unusable: the entry is skipped. */
class SkipEntry {
  constructor(readonly path: string) {}
}

/** Timestamps beyond this (epoch seconds, year 275760) are not dates. */
const MAX_EPOCH_SECONDS = 8_640_000_000_000;

function timestamp(entry: Entry, field: string, required: boolean): void {
  const value = entry[field];
  if (value === undefined || value === null) {
    if (required) fail("is missing", field);
    return;
  }
  if (typeof value !== "string" || !DIGITS.test(value) || Number(value) > MAX_EPOCH_SECONDS) {
    throw new SkipEntry(fieldPath(field));
  }
}

const CREDENTIAL_FIELDS = [
  "home_account_id",
  "environment",
  "credential_type",
  "client_id",
  "secret",
];
const AT_TYPES = [CredentialType.ACCESS_TOKEN, CredentialType.ACCESS_TOKEN_WITH_AUTH_SCHEME]
  .map((type) => type.toLowerCase());
const AT_TIMES = ["cached_at", "extended_expires_on", "refresh_on"];
const AT_OPTIONAL = ["token_type", "key_id", "requestedClaims", "requestedClaimsHash"];
const ACCOUNT_FIELDS = [
  "home_account_id",
  "environment",
  "realm",
  "local_account_id",
  "username",
  "authority_type",
];

function credential(entry: Entry): void {
  for (const field of CREDENTIAL_FIELDS) requireString(entry, field);
}

const validators: { [S in CacheSection]: (entry: Entry) => void; } = {
  AccessToken(entry) {
    credential(entry);
    if (!AT_TYPES.includes(String(entry.credential_type).toLowerCase())) {
      fail("is not the section's credential type", "credential_type");
    }
    requireString(entry, "realm");
    requireString(entry, "target");
    timestamp(entry, "expires_on", true);
    for (const field of AT_TIMES) timestamp(entry, field, false);
    for (const field of AT_OPTIONAL) optionalString(entry, field);
  },
  RefreshToken(entry) {
    credential(entry);
    if (String(entry.credential_type).toLowerCase() !== "refreshtoken") {
      fail("is not the section's credential type", "credential_type");
    }
    optionalString(entry, "family_id");
  },
  IdToken(entry) {
    credential(entry);
    if (String(entry.credential_type).toLowerCase() !== "idtoken") {
      fail("is not the section's credential type", "credential_type");
    }
    requireString(entry, "realm");
  },
  Account(entry) {
    for (const field of ACCOUNT_FIELDS) requireString(entry, field);
    optionalString(entry, "name");
    optionalString(entry, "client_info");
  },
  AppMetadata(entry) {
    requireString(entry, "client_id");
    requireString(entry, "environment");
    optionalString(entry, "family_id");
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
  if (!isObject(root)) failAt("the top level", "the top level", "is not a JSON object");
  const sections = {} as ParsedCache["sections"];
  const skipped: string[] = [];
  for (const name of CACHE_SECTIONS) {
    const raw = root[name];
    const map = new Map<string, Entry>();
    if (raw !== undefined && raw !== null) {
      if (!isObject(raw)) failAt(name, name, "is not a JSON object");
      const validate = validators[name];
      current.section = name;
      current.index = 0;
      for (const key of Object.keys(raw)) {
        const entry = raw[key];
        current.key = key;
        current.index++;
        if (!isObject(entry)) {
          failAt(
            entryPath(),
            `${name} entry #${current.index}`,
            "is not a JSON object",
          );
        }
        try {
          validate(entry);
        } catch (err) {
          if (!(err instanceof SkipEntry)) throw err;
          skipped.push(err.path);
          continue;
        }
        map.set(key, entry);
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
