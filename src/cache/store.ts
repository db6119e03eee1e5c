/**
 * The token cache's state: the five sections as stored (unknown fields included), the
 * unknown top-level sections, and the indexes kept in step with them on every change.
 *
 * @module
 */

import { decodeJwtClaims } from "../result.ts";
import type { CloudAliasTable } from "./environment.ts";
import { AccessTokenIndex, KeyGroups } from "./indexes.ts";
import { tokenScheme } from "./keys.ts";
import {
  type AccessTokenEntity,
  type AccountEntity,
  type AppMetadataEntity,
  CACHE_SECTIONS,
  type CacheSection,
  type IdTokenEntity,
  type RefreshTokenEntity,
  type SectionEntity,
} from "./schema.ts";
import { splitScopes } from "./scopes.ts";
import { claimsHash } from "./sha256.ts";
import type { IdTokenMatch } from "./types.ts";

/** Separates the parts of index group ids. */
export const SEP = "\u0000";

/** The entries of each section, by key, in insertion order. */
export type Sections = { [S in CacheSection]: Map<string, SectionEntity[S]>; };

/**
 * Empty sections.
 *
 * @returns a new set of empty sections
 * @example
 * ```ts
 * import { emptySections } from "./store.ts";
 * emptySections().AccessToken.size; // 0
 * ```
 */
export function emptySections(): Sections {
  return {
    AccessToken: new Map(),
    RefreshToken: new Map(),
    IdToken: new Map(),
    Account: new Map(),
    AppMetadata: new Map(),
  };
}

const lower = (s: string) => s.toLowerCase();

/**
 * Entries and their indexes. Every change goes through {@link CacheStore.put} and
 * {@link CacheStore.delete}, which keep the indexes in step.
 *
 * @example
 * ```ts
 * import { CloudAliasTable } from "./environment.ts";
 * import { CacheStore } from "./store.ts";
 * const store = new CacheStore(new CloudAliasTable());
 * store.cloud("login.microsoftonline.com"); // "login.windows.net"
 * ```
 */
export class CacheStore {
  sections: Sections = emptySections();
  extra = new Map<string, unknown>();
  readonly at = new AccessTokenIndex();
  /** home, cloud, `f`+family id or `c`+client id → refresh token keys. */
  readonly rtById = new KeyGroups();
  /** home, cloud, client id → refresh token keys. */
  readonly rtByClient = new KeyGroups();
  /** home, cloud, client, realm → id token keys. */
  readonly idt = new KeyGroups();
  /** home, cloud, realm → id token keys. */
  readonly idtByRealm = new KeyGroups();
  /** home, cloud → account keys. */
  readonly accounts = new KeyGroups();
  /** home, cloud, realm → account keys. */
  readonly accountByRealm = new KeyGroups();
  /** cloud, client → app metadata keys. */
  readonly appMetadata = new KeyGroups();
  /** home, cloud → `section` SEP `key` of every account entry and credential. */
  readonly byAccount = new KeyGroups();
  readonly #claims = new WeakMap<IdTokenEntity, Readonly<Record<string, unknown>>>();

  /** @param aliases the cloud alias table */
  constructor(readonly aliases: CloudAliasTable) {}

  /**
   * Replaces every entry.
   *
   * @param sections the new entries
   * @param extra the unknown top-level sections
   */
  load(sections: Sections, extra: Map<string, unknown>): void {
    this.sections = emptySections();
    this.extra = extra;
    for (
      const index of [this.rtById, this.rtByClient, this.idt, this.idtByRealm, this.accounts]
    ) index.clear();
    for (const index of [this.accountByRealm, this.appMetadata, this.byAccount]) index.clear();
    this.at.clear();
    for (const name of CACHE_SECTIONS) {
      for (const [key, entity] of sections[name]) this.put(name, key, entity as never);
    }
  }

  /**
   * @param environment any host
   * @returns its cloud id
   */
  cloud(environment: string): string {
    return this.aliases.cloudOf(environment);
  }

  /**
   * @param home the home account id
   * @param environment any alias of the cloud
   * @returns the account's group id
   */
  accountGroup(home: string, environment: string): string {
    return lower(home) + SEP + this.cloud(environment);
  }

  /**
   * The bucket of an access-token lookup or entry.
   *
   * @param home home account id
   * @param environment any alias
   * @param clientId client id
   * @param realm tenant
   * @param hash claims hash, `""` for none
   * @param scheme `""` for bearer
   * @returns the bucket id
   */
  bucket(
    home: string,
    environment: string,
    clientId: string,
    realm: string,
    hash: string,
    scheme: string,
  ): string {
    return this.accountGroup(home, environment) + SEP + lower(clientId) + SEP + lower(realm) + SEP
      + hash + SEP + scheme;
  }

  #entityBucket(at: AccessTokenEntity): string {
    const components = at.additionalCacheKeyComponents;
    // Tokens of other flows (on-behalf-of, msal-node's key components) never serve ours.
    const foreign = at.userAssertionHash
        || (components && typeof components === "object" && Object.keys(components).length > 0)
      ? SEP + "foreign"
      : "";
    const hash = at.requestedClaimsHash
      ?? (at.requestedClaims ? claimsHash(at.requestedClaims) : "");
    const scheme = tokenScheme(at.token_type)
      || (lower(at.credential_type) === "accesstoken_with_authscheme" ? "pop" : "");
    return this.bucket(at.home_account_id, at.environment, at.client_id, at.realm, hash, scheme)
      + foreign;
  }

  /**
   * The index groups an entry belongs to (other than the access-token index).
   *
   * @param section the entry's section
   * @param entity the entry
   * @returns pairs of index and group id
   */
  groups<S extends CacheSection>(section: S, entity: SectionEntity[S]): [KeyGroups, string][] {
    if (section === "AppMetadata") {
      const e = entity as AppMetadataEntity;
      return [[this.appMetadata, this.cloud(e.environment) + SEP + lower(e.client_id)]];
    }
    const e = entity as SectionEntity["AccessToken" | "RefreshToken" | "IdToken" | "Account"];
    const account = this.accountGroup(e.home_account_id, e.environment);
    switch (section) {
      case "RefreshToken": {
        const rt = entity as RefreshTokenEntity;
        const id = rt.family_id ? "f" + lower(rt.family_id) : "c" + lower(rt.client_id);
        return [
          [this.rtById, account + SEP + id],
          [this.rtByClient, account + SEP + lower(rt.client_id)],
          [this.byAccount, account],
        ];
      }
      case "IdToken": {
        const idt = entity as IdTokenEntity;
        return [
          [this.idt, account + SEP + lower(idt.client_id) + SEP + lower(idt.realm)],
          [this.idtByRealm, account + SEP + lower(idt.realm)],
          [this.byAccount, account],
        ];
      }
      case "Account":
        return [
          [this.accounts, account],
          [this.accountByRealm, account + SEP + lower((entity as AccountEntity).realm)],
          [this.byAccount, account],
        ];
      default:
        return [[this.byAccount, account]];
    }
  }

  /**
   * Stores an entry (replacing the entry with the same key) and indexes it.
   *
   * @param section the section
   * @param key the key
   * @param entity the entry
   */
  put<S extends CacheSection>(section: S, key: string, entity: SectionEntity[S]): void {
    if (this.sections[section].has(key)) this.delete(section, key);
    (this.sections[section] as Map<string, SectionEntity[S]>).set(key, entity);
    for (const [index, group] of this.groups(section, entity)) {
      index.add(group, index === this.byAccount ? section + SEP + key : key);
    }
    if (section === "AccessToken") {
      const at = entity as AccessTokenEntity;
      const scopes = splitScopes(at.target);
      this.at.add({
        key,
        entity: at,
        bucket: this.#entityBucket(at),
        scopes,
        scopeSet: new Set(scopes.map(lower)),
        expiresOn: Number(at.expires_on),
        refreshOn: at.refresh_on ? Number(at.refresh_on) : 0,
        cachedAt: at.cached_at ? Number(at.cached_at) : 0,
      });
    }
  }

  /**
   * Removes an entry and its index entries.
   *
   * @param section the section
   * @param key the key
   * @returns whether it was there
   */
  delete(section: CacheSection, key: string): boolean {
    const entity = this.sections[section].get(key);
    if (!entity) return false;
    this.sections[section].delete(key);
    for (const [index, group] of this.groups(section, entity)) {
      index.delete(group, index === this.byAccount ? section + SEP + key : key);
    }
    if (section === "AccessToken") this.at.delete(key);
    return true;
  }

  /**
   * An id token with its claims, decoded once per entry.
   *
   * @param key the id token's key
   * @param claims its claims when already known
   * @returns the match
   */
  idToken(key: string, claims?: Readonly<Record<string, unknown>>): IdTokenMatch {
    const entity = this.sections.IdToken.get(key)!;
    let known = this.#claims.get(entity);
    if (!known) this.#claims.set(entity, known = claims ?? decodeJwtClaims(entity.secret));
    return { key, entity, claims: known };
  }
}
