/**
 * The in-memory token cache in MSAL's shared JSON format. It does no I/O: persistence plugs
 * in around it (see `withCache`). Lookups go through indexes, so their cost does not grow
 * with the number of cached tokens.
 *
 * @module
 */

import type { AccountInfo } from "../result.ts";
import type { TokenRequestContext, TokenResponse } from "../token_response.ts";
import { accountInfoFrom } from "./account.ts";
import { type CloudAliases, CloudAliasTable } from "./environment.ts";
import type { AccessTokenRecord, KeyGroups } from "./indexes.ts";
import {
  accessTokenKey,
  accountKey,
  appMetadataKey,
  idTokenKey,
  refreshTokenKey,
  tokenScheme,
} from "./keys.ts";
import { parseCache } from "./parse.ts";
import { entitiesFromResponse } from "./response_entities.ts";
import {
  type AppMetadataEntity,
  CACHE_SECTIONS,
  type CacheSection,
  type SectionEntity,
} from "./schema.ts";
import { searchScopes, splitScopes } from "./scopes.ts";
import { claimsHash } from "./sha256.ts";
import { CacheStore, SEP } from "./store.ts";
import type {
  AccessTokenMatch,
  AccessTokenQuery,
  AccountFilter,
  AccountRef,
  IdTokenMatch,
  RefreshTokenMatch,
  RefreshTokenQuery,
  SavedTokens,
  TokenCacheOptions,
} from "./types.ts";

const lower = (s: string) => s.toLowerCase();

/**
 * A token cached more than this many seconds in the future means the clock was turned back:
 * it is not served. The slack absorbs other writers' rounding (msal-node rounds to the
 * nearest second) and small differences between processes' clocks.
 */
const CLOCK_BACK_SLACK = 60;

/** The latest instant a `Date` can hold, in epoch seconds (an expiry beyond it is "never"). */
const MAX_DATE_SECONDS = 8.64e12;

/** The lookup keys of one account object, computed once (lookups repeat with one account). */
interface AccountKeys {
  home: string;
  env: string;
  tenant: string;
  epoch: number;
  clients: Map<string, { bucket: string; idGroup: string; }>;
}

/**
 * An in-memory token cache in MSAL's shared format, readable and writable by MSAL Python,
 * msal-node and the other MSAL libraries. Entries keep the fields other libraries wrote.
 *
 * @example
 * ```ts
 * import { TokenCache } from "@entra-auth/core";
 * const cache = new TokenCache();
 * cache.deserialize('{"AccessToken":{},"Account":{}}');
 * console.log(cache.getAccounts().length, cache.serialize());
 * ```
 */
export class TokenCache {
  readonly #store: CacheStore;
  readonly #now: () => number;
  readonly #buffer: number;
  #version = 0;
  #keys = new WeakMap<AccountRef, AccountKeys>();
  #epoch = 0;

  /** @param options cloud aliases, clock and expiry buffer */
  /**
   * Creates a TokenCache.
   *
   * @param options extra clouds (aliases) beyond the well-known ones
   */
  constructor(options: TokenCacheOptions = {}) {
    this.#store = new CacheStore(new CloudAliasTable(options.clouds));
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.#buffer = options.expiryBufferSeconds ?? 300;
  }

  /** Increases on every change: compare two readings to know whether the cache changed. */
  get version(): number {
    return this.#version;
  }

  /** The number of access tokens. */
  get accessTokenCount(): number {
    return this.#store.at.size;
  }

  /**
   * Adds a cloud's aliases (e.g. learned by instance discovery) and re-indexes.
   *
   * @param cloud the alias group
   */
  addCloud(cloud: CloudAliases): void {
    this.#store.aliases.add(cloud);
    this.#epoch++;
    this.#store.load(this.#store.sections, this.#store.extra);
  }

  /**
   * The cache in MSAL's shared JSON format, every unknown field and section included.
   *
   * @returns JSON text
   */
  serialize(): string {
    return JSON.stringify(this.toDocument());
  }

  /**
   * The cache as a document of MSAL's shared format, without serializing it: what
   * `JSON.parse(serialize())` would give, but sharing the entry objects with the cache (an
   * entry is never changed in place: a change stores a new object), so that a caller can
   * tell unchanged entries by identity. Treat it as read-only.
   *
   * @returns the sections (and any unknown top-level members)
   * @example
   * ```ts
   * import { TokenCache } from "./token_cache.ts";
   * console.log(Object.keys(new TokenCache().toDocument())); // ["Account", "IdToken", …]
   * ```
   */
  toDocument(): Record<string, unknown> {
    const root: Record<string, unknown> = {};
    for (const name of CACHE_SECTIONS) root[name] = Object.fromEntries(this.#store.sections[name]);
    for (const [name, value] of this.#store.extra) {
      Object.defineProperty(root, name, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return root;
  }

  /**
   * Replaces the cache's contents with a serialized cache.
   *
   * @param json the serialized cache (`{}` for an empty one)
   * @throws CacheError `empty`, `not_json` or `wrong_shape`; the cache is then unchanged
   */
  deserialize(json: string): void {
    const parsed = parseCache(json);
    this.#store.load(parsed.sections, parsed.extra);
    this.#version++;
  }

  /**
   * Stores a token response: access token (replacing the account's tokens for the same
   * client, realm, claims and scheme whose scopes overlap, as MSAL does), refresh token, id
   * token, account and app metadata. Entries of the same identity under another alias of
   * the cloud are replaced too. `environment` is written as the cloud's preferred cache
   * alias (`login.windows.net` for the public cloud), as msal-node does.
   *
   * @param response the validated token response
   * @param context the request that produced it
   * @returns the account, the stored entries and what a result needs
   * @throws CacheError `invalid_response` when the response names no account
   */
  saveTokenResponse(response: TokenResponse, context: TokenRequestContext): SavedTokens {
    const store = this.#store;
    const environment = store.aliases.preferredCache(context.environment);
    const e = entitiesFromResponse(response, context, environment, this.#now());
    const at = e.accessToken;
    const atKey = accessTokenKey(at);
    store.put("AccessToken", atKey, at);
    const record = store.at.get(atKey)!;
    const overlapping = store.at.withAnyScope(record.bucket, searchScopes(splitScopes(at.target)));
    for (const old of overlapping) if (old.key !== atKey) store.delete("AccessToken", old.key);
    let refreshTokenKey_: string | undefined;
    if (e.refreshToken) {
      refreshTokenKey_ = refreshTokenKey(e.refreshToken);
      this.#replace("RefreshToken", store.rtById, e.refreshToken, refreshTokenKey_);
    }
    let idToken: IdTokenMatch | undefined;
    if (e.idToken) {
      const key = idTokenKey(e.idToken);
      this.#replace("IdToken", store.idt, e.idToken, key);
      idToken = store.idToken(key, e.idTokenClaims);
    }
    this.#replace("Account", store.accountByRealm, e.account, accountKey(e.account), true);
    this.#replace(
      "AppMetadata",
      store.appMetadata,
      e.appMetadata,
      appMetadataKey(e.appMetadata),
      true,
    );
    this.#version++;
    return {
      account: accountInfoFrom(e.account, e.idToken ? e.idTokenClaims : undefined),
      accessToken: this.#match(record, this.#now()),
      idToken,
      refreshTokenKey: refreshTokenKey_,
    };
  }

  /** Replaces the entries of the same identity (any key, any alias), merging if asked. */
  #replace<S extends CacheSection>(
    section: S,
    index: KeyGroups,
    entity: SectionEntity[S],
    key: string,
    keepUnknownFields = false,
  ): void {
    const group = this.#store.groups(section, entity).find(([i]) => i === index)![1];
    const merged: Record<string, unknown> = {};
    for (const old of [...index.get(group) ?? []]) {
      if (keepUnknownFields) Object.assign(merged, this.#store.sections[section].get(old));
      this.#store.delete(section, old);
    }
    this.#store.put(section, key, Object.assign(merged, entity) as SectionEntity[S]);
  }

  #match(record: AccessTokenRecord, now: number): AccessTokenMatch {
    return {
      key: record.key,
      entity: record.entity,
      scopes: record.scopes,
      // Another writer may store any digits: a result's expiry is always a valid Date.
      expiresOn: new Date(Math.min(record.expiresOn, MAX_DATE_SECONDS) * 1000),
      refreshDue: record.refreshOn > 0 && record.refreshOn <= now,
    };
  }

  /** The default bucket and id-token group of an account and client, cached per account. */
  #lookupKeys(account: AccountRef, clientId: string): { bucket: string; idGroup: string; } {
    let keys = this.#keys.get(account);
    if (
      !keys || keys.home !== account.homeAccountId || keys.env !== account.environment
      || keys.tenant !== account.tenantId || keys.epoch !== this.#epoch
    ) {
      keys = {
        home: account.homeAccountId,
        env: account.environment,
        tenant: account.tenantId,
        epoch: this.#epoch,
        clients: new Map(),
      };
      this.#keys.set(account, keys);
    }
    let forClient = keys.clients.get(clientId);
    if (!forClient) {
      const store = this.#store;
      forClient = {
        bucket: store.bucket(keys.home, keys.env, clientId, keys.tenant, "", ""),
        idGroup: store.accountGroup(keys.home, keys.env) + SEP + lower(clientId) + SEP
          + lower(keys.tenant),
      };
      if (keys.clients.size >= 16) keys.clients.clear();
      keys.clients.set(clientId, forClient);
    }
    return forClient;
  }

  /**
   * Finds a valid access token: the account's (under any alias of its cloud), the client's,
   * in the account's tenant (or `tenantId`), granted for every requested scope, bound to the
   * same claims (none by default) and scheme (`Bearer` by default). A token expiring within
   * the expiry buffer (5 minutes), or cached in the future (clock turned back), is not
   * returned (a minute of slack). Nothing is changed.
   *
   * @param query client, account, scopes, and optionally tenant, claims and token type
   * @returns the token and whether its `refresh_on` has passed, or undefined
   */
  findAccessToken(query: AccessTokenQuery): AccessTokenMatch | undefined {
    const { account } = query;
    const scheme = tokenScheme(query.tokenType);
    const bucket = query.tenantId === undefined && !query.claims && !scheme
      ? this.#lookupKeys(account, query.clientId).bucket
      : this.#store.bucket(
        account.homeAccountId,
        account.environment,
        query.clientId,
        query.tenantId ?? account.tenantId,
        query.claims ? claimsHash(query.claims) : "",
        scheme,
      );
    const now = this.#now();
    let best: AccessTokenRecord | undefined;
    for (const record of this.#store.at.withAllScopes(bucket, searchScopes(query.scopes))) {
      if (record.expiresOn < now + this.#buffer || record.cachedAt > now + CLOCK_BACK_SLACK) {
        continue;
      }
      if (!best || record.expiresOn > best.expiresOn) best = record;
    }
    return best && this.#match(best, now);
  }

  /**
   * Finds the account's refresh token for a client, or with `familyId` the family refresh
   * token that any app of the family (FOCI) may use, whichever app wrote it.
   *
   * @param query client, account and optionally the family id
   * @returns the refresh token and its key (the most recently stored), or undefined
   */
  findRefreshToken(query: RefreshTokenQuery): RefreshTokenMatch | undefined {
    const store = this.#store;
    const account = store.accountGroup(query.account.homeAccountId, query.account.environment);
    const keys = query.familyId
      ? store.rtById.get(account + SEP + "f" + lower(query.familyId))
      : store.rtByClient.get(account + SEP + lower(query.clientId));
    let last: string | undefined;
    for (const key of keys ?? []) last = key;
    return last === undefined
      ? undefined
      : { key: last, entity: store.sections.RefreshToken.get(last)! };
  }

  /**
   * The refresh token stored under a key (e.g. to see whether a refused one was replaced).
   *
   * @param key the key from {@link TokenCache.findRefreshToken}
   * @returns the key and entry, or undefined when there is none
   * @example
   * ```ts
   * import { TokenCache } from "./token_cache.ts";
   * console.log(new TokenCache().findRefreshTokenByKey("some-key")); // undefined
   * ```
   */
  findRefreshTokenByKey(key: string): RefreshTokenMatch | undefined {
    const entity = this.#store.sections.RefreshToken.get(key);
    return entity === undefined ? undefined : { key, entity };
  }

  /**
   * Finds the id token of an account for a client, in the account's tenant (or `tenantId`).
   *
   * @param query client, account and optionally the tenant
   * @returns the id token with its claims, or undefined
   */
  findIdToken(
    query: { clientId: string; account: AccountRef; tenantId?: string; },
  ): IdTokenMatch | undefined {
    const store = this.#store;
    const group = query.tenantId === undefined
      ? this.#lookupKeys(query.account, query.clientId).idGroup
      : store.accountGroup(query.account.homeAccountId, query.account.environment) + SEP
        + lower(query.clientId) + SEP + lower(query.tenantId);
    const key = store.idt.get(group)?.values().next().value;
    return key === undefined ? undefined : store.idToken(key);
  }

  /**
   * The signed-in accounts, one per user and cloud: entries of one home account in several
   * tenants or under several aliases of a cloud are one account, described by its home
   * tenant's entry when there is one. `idTokenClaims` come from that tenant's id token (the
   * client's, when `clientId` is given).
   *
   * @param filter optionally a client, a home account id, an environment
   * @returns the accounts
   */
  getAccounts(filter: AccountFilter = {}): AccountInfo[] {
    const store = this.#store;
    const out: AccountInfo[] = [];
    const wantedCloud = filter.environment && store.cloud(filter.environment);
    for (const group of store.accounts.groups()) {
      const entries = [...store.accounts.get(group)!].map((k) => store.sections.Account.get(k)!);
      const first = entries[0];
      if (filter.homeAccountId && lower(filter.homeAccountId) !== lower(first.home_account_id)) {
        continue;
      }
      if (wantedCloud && wantedCloud !== store.cloud(first.environment)) continue;
      const homeTenant = lower(first.home_account_id.split(".")[1] ?? "");
      const entity = entries.find((a) => lower(a.realm) === homeTenant) ?? first;
      const realm = SEP + lower(entity.realm);
      if (filter.idTokenClaims === false) {
        out.push(accountInfoFrom(entity));
        continue;
      }
      const idKeys = filter.clientId
        ? store.idt.get(group + SEP + lower(filter.clientId) + realm)
        : store.idtByRealm.get(group + realm);
      const idKey = idKeys?.values().next().value;
      out.push(
        accountInfoFrom(entity, idKey === undefined ? undefined : store.idToken(idKey).claims),
      );
    }
    return out;
  }

  /**
   * Removes an account: its entries in every tenant and under every alias of its cloud, and
   * all its access, refresh and id tokens (of every client). App metadata stays.
   *
   * @param account the account (`homeAccountId` and `environment` are used)
   * @returns whether anything was removed
   */
  removeAccount(account: Pick<AccountInfo, "homeAccountId" | "environment">): boolean {
    const store = this.#store;
    const group = store.accountGroup(account.homeAccountId, account.environment);
    const members = [...store.byAccount.get(group) ?? []];
    for (const member of members) {
      const at = member.indexOf(SEP);
      store.delete(member.slice(0, at) as CacheSection, member.slice(at + 1));
    }
    if (members.length > 0) this.#version++;
    return members.length > 0;
  }

  /**
   * Removes a refresh token (e.g. one the server rejected with `invalid_grant`).
   *
   * With `onlyIfSecret`, it is a compare-and-delete: the entry is removed only if it still
   * holds that secret. Pass the refused token's secret, so that a newer refresh token stored
   * under the same key meanwhile (another process signed in again, or rotated it) stays.
   *
   * @param key the key from {@link TokenCache.findRefreshToken}
   * @param onlyIfSecret remove only if the stored secret is this one
   * @returns whether it was removed
   * @example
   * ```ts
   * import { TokenCache } from "./token_cache.ts";
   * const cache = new TokenCache();
   * console.log(cache.removeRefreshToken("some-key", "the-refused-secret")); // false
   * ```
   */
  removeRefreshToken(key: string, onlyIfSecret?: string): boolean {
    if (onlyIfSecret !== undefined) {
      const stored = this.#store.sections.RefreshToken.get(key);
      if (!stored || stored.secret !== onlyIfSecret) return false;
    }
    return this.#remove("RefreshToken", key);
  }

  /**
   * Removes an access token.
   *
   * @param key the key from {@link TokenCache.findAccessToken}
   * @returns whether it was there
   */
  removeAccessToken(key: string): boolean {
    return this.#remove("AccessToken", key);
  }

  #remove(section: CacheSection, key: string): boolean {
    const removed = this.#store.delete(section, key);
    if (removed) this.#version++;
    return removed;
  }

  /**
   * Records that an app is not in a family (FOCI), as MSAL does when the authority refuses
   * the family refresh token to an app whose membership it did not know: app metadata with
   * an empty `family_id`. The family refresh token stays, for the apps that are members.
   * Nothing changes when the cache already knows the app (another process may have learnt
   * meanwhile that it is a member).
   *
   * @param query the client and any alias of the cloud
   * @returns whether the metadata was recorded
   * @example
   * ```ts
   * import { TokenCache } from "@entra-auth/core";
   * const cache = new TokenCache();
   * cache.markOutsideFamily({ clientId: "c", environment: "login.microsoftonline.com" });
   * console.log(cache.getAppMetadata({ clientId: "c", environment: "login.windows.net" }));
   * // { client_id: "c", environment: "login.windows.net", family_id: "" }
   * ```
   */
  markOutsideFamily(query: { clientId: string; environment: string; }): boolean {
    if (this.getAppMetadata(query)) return false;
    const meta: AppMetadataEntity = {
      client_id: query.clientId,
      environment: this.#store.aliases.preferredCache(query.environment),
      family_id: "",
    };
    this.#store.put("AppMetadata", appMetadataKey(meta), meta);
    this.#version++;
    return true;
  }

  /**
   * The app metadata of a client in a cloud (its `family_id` says whether it is in a family).
   *
   * @param query the client and any alias of the cloud
   * @returns the entry, or undefined
   */
  getAppMetadata(query: { clientId: string; environment: string; }): AppMetadataEntity | undefined {
    const store = this.#store;
    const group = store.cloud(query.environment) + SEP + lower(query.clientId);
    const key = store.appMetadata.get(group)?.values().next().value;
    return key === undefined ? undefined : store.sections.AppMetadata.get(key);
  }
}
