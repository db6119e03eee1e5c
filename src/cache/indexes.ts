/**
 * The in-memory indexes that keep lookups independent of the cache's size: key groups (a
 * group id to the keys in it) and, for access tokens, buckets per account, client, realm,
 * claims and scheme, each with a scope index.
 *
 * @module
 */

import type { AccessTokenEntity } from "./schema.ts";

/**
 * A multimap from a group id to entry keys, kept in insertion order.
 *
 * @example
 * ```ts
 * import { KeyGroups } from "./indexes.ts";
 * const groups = new KeyGroups();
 * groups.add("home|cloud", "key1");
 * groups.get("home|cloud"); // Set { "key1" }
 * ```
 */
export class KeyGroups {
  #groups = new Map<string, Set<string>>();

  /**
   * @param group the group id
   * @param key the entry key
   */
  add(group: string, key: string): void {
    let set = this.#groups.get(group);
    if (!set) this.#groups.set(group, set = new Set());
    set.add(key);
  }

  /**
   * @param group the group id
   * @param key the entry key
   */
  delete(group: string, key: string): void {
    const set = this.#groups.get(group);
    if (set?.delete(key) && set.size === 0) this.#groups.delete(group);
  }

  /**
   * @param group the group id
   * @returns the keys in the group (do not mutate), or undefined
   */
  get(group: string): ReadonlySet<string> | undefined {
    return this.#groups.get(group);
  }

  /** @returns every group id */
  groups(): IterableIterator<string> {
    return this.#groups.keys();
  }

  /** Removes everything. */
  clear(): void {
    this.#groups.clear();
  }
}

/** An access token with what lookups need, computed once. */
export interface AccessTokenRecord {
  readonly key: string;
  readonly entity: AccessTokenEntity;
  /** home, cloud, client, realm, claims hash, scheme (and a mark for tokens we never serve). */
  readonly bucket: string;
  /** The granted scopes as written. */
  readonly scopes: readonly string[];
  /** The granted scopes, lowercase. */
  readonly scopeSet: ReadonlySet<string>;
  readonly expiresOn: number;
  /** 0 when the token has no `refresh_on`. */
  readonly refreshOn: number;
  /** 0 when unknown. */
  readonly cachedAt: number;
}

interface Bucket {
  records: Set<AccessTokenRecord>;
  byScope: Map<string, Set<AccessTokenRecord>>;
}

/**
 * Access tokens by key and by bucket, each bucket indexed by scope: a lookup visits only the
 * tokens of one account, client and realm that hold the rarest requested scope.
 *
 * @example
 * ```ts
 * import { AccessTokenIndex } from "./indexes.ts";
 * const index = new AccessTokenIndex();
 * index.withAllScopes("bucket", ["user.read"]); // []
 * ```
 */
export class AccessTokenIndex {
  #byKey = new Map<string, AccessTokenRecord>();
  #buckets = new Map<string, Bucket>();

  /** The number of access tokens. */
  get size(): number {
    return this.#byKey.size;
  }

  /**
   * @param key an entry key
   * @returns its record
   */
  get(key: string): AccessTokenRecord | undefined {
    return this.#byKey.get(key);
  }

  /** @param record the token to index (replaces a token with the same key) */
  add(record: AccessTokenRecord): void {
    this.delete(record.key);
    this.#byKey.set(record.key, record);
    let bucket = this.#buckets.get(record.bucket);
    if (!bucket) {
      this.#buckets.set(record.bucket, bucket = { records: new Set(), byScope: new Map() });
    }
    bucket.records.add(record);
    for (const scope of record.scopeSet) {
      let set = bucket.byScope.get(scope);
      if (!set) bucket.byScope.set(scope, set = new Set());
      set.add(record);
    }
  }

  /**
   * @param key the entry key
   * @returns the removed record
   */
  delete(key: string): AccessTokenRecord | undefined {
    const record = this.#byKey.get(key);
    if (!record) return undefined;
    this.#byKey.delete(key);
    const bucket = this.#buckets.get(record.bucket)!;
    bucket.records.delete(record);
    for (const scope of record.scopeSet) {
      const set = bucket.byScope.get(scope)!;
      set.delete(record);
      if (set.size === 0) bucket.byScope.delete(scope);
    }
    if (bucket.records.size === 0) this.#buckets.delete(record.bucket);
    return record;
  }

  /**
   * The tokens of a bucket whose scopes include every one of `scopes`.
   *
   * @param bucket the bucket id
   * @param scopes lowercase scopes, at least one
   * @returns matching records
   */
  withAllScopes(bucket: string, scopes: readonly string[]): AccessTokenRecord[] {
    const b = this.#buckets.get(bucket);
    if (!b) return [];
    let smallest: Set<AccessTokenRecord> | undefined;
    for (const scope of scopes) {
      const set = b.byScope.get(scope);
      if (!set) return [];
      if (!smallest || set.size < smallest.size) smallest = set;
    }
    const out: AccessTokenRecord[] = [];
    for (const record of smallest ?? []) {
      if (scopes.every((s) => record.scopeSet.has(s))) out.push(record);
    }
    return out;
  }

  /**
   * The tokens of a bucket that share at least one of `scopes`.
   *
   * @param bucket the bucket id
   * @param scopes lowercase scopes
   * @returns matching records
   */
  withAnyScope(bucket: string, scopes: readonly string[]): AccessTokenRecord[] {
    const b = this.#buckets.get(bucket);
    if (!b) return [];
    const out = new Set<AccessTokenRecord>();
    for (const scope of scopes) for (const record of b.byScope.get(scope) ?? []) out.add(record);
    return [...out];
  }

  /** Removes everything. */
  clear(): void {
    this.#byKey.clear();
    this.#buckets.clear();
  }
}
