/**
 * The alias table of Entra ID's clouds: which host names are the same identity provider, the
 * host to send requests to (`preferred_network`) and the host MSAL writes into the token
 * cache (`preferred_cache`). Built in for the known clouds; extended at run time by instance
 * discovery. The token cache uses it so that a cache written under `login.windows.net` serves
 * `login.microsoftonline.com`.
 *
 * @module
 */

/** One cloud: its network host, its cache host and every alias (lower case). */
export interface CloudInstance {
  readonly preferredNetwork: string;
  readonly preferredCache: string;
  readonly aliases: readonly string[];
}

/**
 * The clouds known without instance discovery (as in MSAL's built-in metadata).
 *
 * @example
 * ```ts
 * import { KNOWN_CLOUDS } from "./cloud_aliases.ts";
 * console.log(KNOWN_CLOUDS[0].preferredCache); // "login.windows.net"
 * ```
 */
export const KNOWN_CLOUDS: readonly CloudInstance[] = [
  {
    preferredNetwork: "login.microsoftonline.com",
    preferredCache: "login.windows.net",
    aliases: [
      "login.microsoftonline.com",
      "login.windows.net",
      "login.microsoft.com",
      "sts.windows.net",
    ],
  },
  {
    preferredNetwork: "login.partner.microsoftonline.cn",
    preferredCache: "login.partner.microsoftonline.cn",
    aliases: ["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
  },
  {
    preferredNetwork: "login.microsoftonline.de",
    preferredCache: "login.microsoftonline.de",
    aliases: ["login.microsoftonline.de"],
  },
  {
    preferredNetwork: "login.microsoftonline.us",
    preferredCache: "login.microsoftonline.us",
    aliases: ["login.microsoftonline.us", "login.usgovcloudapi.net"],
  },
  {
    preferredNetwork: "login-us.microsoftonline.com",
    preferredCache: "login-us.microsoftonline.com",
    aliases: ["login-us.microsoftonline.com"],
  },
];

const discovered = new Map<string, CloudInstance>();

/**
 * Records clouds reported by instance discovery (its `metadata` array), for this process.
 *
 * @param clouds the clouds
 * @example
 * ```ts
 * import { registerClouds } from "./cloud_aliases.ts";
 * registerClouds([{ preferredNetwork: "a.example", preferredCache: "a.example", aliases: ["a.example"] }]);
 * ```
 */
export function registerClouds(clouds: readonly CloudInstance[]): void {
  for (const cloud of clouds) {
    const normal: CloudInstance = {
      preferredNetwork: cloud.preferredNetwork.toLowerCase(),
      preferredCache: cloud.preferredCache.toLowerCase(),
      aliases: cloud.aliases.map((a) => a.toLowerCase()),
    };
    for (const alias of normal.aliases) discovered.set(alias, normal);
  }
}

/**
 * Forgets the clouds learnt by instance discovery (tests).
 *
 * @example
 * ```ts
 * import { clearDiscoveredClouds } from "./cloud_aliases.ts";
 * clearDiscoveredClouds();
 * ```
 */
export function clearDiscoveredClouds(): void {
  discovered.clear();
}

/**
 * The cloud a host belongs to.
 *
 * @param host a host name (any case)
 * @returns the cloud, or `undefined` for a host in no known cloud
 * @example
 * ```ts
 * import { cloudOf } from "./cloud_aliases.ts";
 * cloudOf("sts.windows.net")?.preferredNetwork; // "login.microsoftonline.com"
 * ```
 */
export function cloudOf(host: string): CloudInstance | undefined {
  const h = host.toLowerCase();
  return KNOWN_CLOUDS.find((c) => c.aliases.includes(h)) ?? discovered.get(h);
}

/**
 * Every host name of the same cloud as `host` (just `[host]` when it is in no known cloud).
 *
 * @param host a host name
 * @returns the aliases, lower case
 * @example
 * ```ts
 * import { hostAliases } from "./cloud_aliases.ts";
 * hostAliases("login.windows.net").includes("login.microsoftonline.com"); // true
 * ```
 */
export function hostAliases(host: string): readonly string[] {
  return cloudOf(host)?.aliases ?? [host.toLowerCase()];
}

/**
 * Whether two hosts name the same cloud (a cache entry written under one serves the other).
 *
 * @param a a host name
 * @param b another host name
 * @returns true for the same host or two aliases of one cloud
 * @example
 * ```ts
 * import { isSameCloud } from "./cloud_aliases.ts";
 * isSameCloud("login.windows.net", "login.microsoftonline.com"); // true
 * ```
 */
export function isSameCloud(a: string, b: string): boolean {
  return hostAliases(a).includes(b.toLowerCase());
}

/**
 * The host MSAL writes as a cache entry's `environment` for requests to `host`.
 *
 * @param host a host name
 * @returns the cloud's `preferred_cache`, or `host` itself for an unknown host
 * @example
 * ```ts
 * import { preferredCacheHost } from "./cloud_aliases.ts";
 * preferredCacheHost("login.microsoftonline.com"); // "login.windows.net"
 * ```
 */
export function preferredCacheHost(host: string): string {
  return cloudOf(host)?.preferredCache ?? host.toLowerCase();
}
