/**
 * Cloud aliases: every host name of one cloud names the same cache environment, so a token
 * msal-node wrote under `login.windows.net` serves a request to `login.microsoftonline.com`.
 *
 * @module
 */

import { KNOWN_CLOUDS } from "../network/cloud_aliases.ts";

/** One cloud's hosts, as instance discovery reports them. */
export interface CloudAliases {
  /** Every host name of the cloud. */
  aliases: readonly string[];
  /** The host MSAL writes as `environment` in the cache (msal-node's `preferred_cache`). */
  preferredCache: string;
  /** The host requests go to. */
  preferredNetwork?: string;
}

/**
 * The clouds MSAL knows without instance discovery: public, China, Germany, US Government
 * (and the US sovereign host `login-us.microsoftonline.com`, its own cloud). The one table is
 * src/network/cloud_aliases.ts's.
 */
export const DEFAULT_CLOUD_ALIASES: readonly CloudAliases[] = KNOWN_CLOUDS;

/**
 * Maps hosts to their cloud. A host in no alias group is a cloud of its own.
 *
 * @example
 * ```ts
 * import { CloudAliasTable } from "./environment.ts";
 * const table = new CloudAliasTable();
 * table.cloudOf("login.microsoftonline.com") === table.cloudOf("LOGIN.WINDOWS.NET"); // true
 * ```
 */
export class CloudAliasTable {
  #cloud = new Map<string, string>();
  #preferred = new Map<string, string>();

  /** @param clouds the alias groups (default {@link DEFAULT_CLOUD_ALIASES}) */
  constructor(clouds: readonly CloudAliases[] = DEFAULT_CLOUD_ALIASES) {
    for (const cloud of clouds) this.add(cloud);
  }

  /**
   * Adds (or extends) a cloud. Hosts already known move to the new group.
   *
   * @param cloud the alias group
   */
  add(cloud: CloudAliases): void {
    const id = cloud.preferredCache.toLowerCase();
    for (const host of [...cloud.aliases, cloud.preferredCache]) {
      this.#cloud.set(host.toLowerCase(), id);
    }
    this.#preferred.set(id, id);
  }

  /**
   * The cloud's id (its preferred cache host, lowercase), or the host itself if unknown.
   *
   * @param host a host name
   * @returns the cloud id
   */
  cloudOf(host: string): string {
    const lower = host.toLowerCase();
    return this.#cloud.get(lower) ?? lower;
  }

  /**
   * The host to write as `environment`: the cloud's preferred cache host, or the host itself.
   *
   * @param host the host the request went to
   * @returns the environment to store
   */
  preferredCache(host: string): string {
    const lower = host.toLowerCase();
    return this.#preferred.get(this.#cloud.get(lower) ?? "") ?? lower;
  }
}
