/**
 * Defaults and normalised configuration of the emulator.
 *
 * @module
 */

import type {
  EmulatorApp,
  EmulatorClock,
  EmulatorCloud,
  EmulatorLifetimes,
  EmulatorTenant,
  EmulatorUser,
  EntraEmulatorOptions,
} from "./types.ts";

/**
 * Tenant id of the default test tenant.
 *
 * @example
 * ```ts
 * import { TEST_TENANT_ID } from "./config.ts";
 * console.log(TEST_TENANT_ID);
 * ```
 */
export const TEST_TENANT_ID: string = "72f988bf-0000-4000-8000-00000000c0de";

/**
 * Client id of the default public client app (a FOCI family member).
 *
 * @example
 * ```ts
 * import { TEST_CLIENT_ID } from "./config.ts";
 * console.log(TEST_CLIENT_ID);
 * ```
 */
export const TEST_CLIENT_ID: string = "11111111-0000-4000-8000-00000000a001";

/**
 * Tenant id Entra uses for personal Microsoft accounts (the `consumers` authority).
 *
 * @example
 * ```ts
 * import { CONSUMERS_TENANT_ID } from "./config.ts";
 * console.log(CONSUMERS_TENANT_ID); // 9188040d-6c67-4c5b-b112-36a304b66dad
 * ```
 */
export const CONSUMERS_TENANT_ID: string = "9188040d-6c67-4c5b-b112-36a304b66dad";

/**
 * The clouds instance discovery reports by default.
 *
 * @example
 * ```ts
 * import { DEFAULT_CLOUDS } from "./config.ts";
 * console.log(DEFAULT_CLOUDS[0].preferredCache); // login.windows.net
 * ```
 */
export const DEFAULT_CLOUDS: readonly EmulatorCloud[] = [
  {
    preferredNetwork: "login.microsoftonline.com",
    preferredCache: "login.windows.net",
    aliases: [
      "login.microsoftonline.com",
      "login.windows.net",
      "login.microsoft.com",
      "sts.windows.net",
    ],
    instanceName: "microsoftonline.com",
    graphHost: "graph.microsoft.com",
  },
  {
    preferredNetwork: "login.partner.microsoftonline.cn",
    preferredCache: "login.partner.microsoftonline.cn",
    aliases: ["login.partner.microsoftonline.cn", "login.chinacloudapi.cn"],
    instanceName: "partner.microsoftonline.cn",
    graphHost: "microsoftgraph.chinacloudapi.cn",
  },
  {
    preferredNetwork: "login.microsoftonline.de",
    preferredCache: "login.microsoftonline.de",
    aliases: ["login.microsoftonline.de"],
    instanceName: "microsoftonline.de",
    graphHost: "graph.microsoft.de",
  },
  {
    preferredNetwork: "login.microsoftonline.us",
    preferredCache: "login.microsoftonline.us",
    aliases: ["login.microsoftonline.us", "login.usgovcloudapi.net"],
    instanceName: "microsoftonline.us",
    graphHost: "graph.microsoft.us",
  },
  {
    preferredNetwork: "login-us.microsoftonline.com",
    preferredCache: "login-us.microsoftonline.com",
    aliases: ["login-us.microsoftonline.com"],
    instanceName: "microsoftonline.us",
    graphHost: "graph.microsoft.us",
  },
];

/** Configuration with every default filled in. */
export interface ResolvedConfig {
  tenants: EmulatorTenant[];
  users: EmulatorUser[];
  apps: EmulatorApp[];
  clouds: EmulatorCloud[];
  defaultHost: string;
  lifetimes: Required<EmulatorLifetimes>;
  clock: EmulatorClock;
  revokeRedeemedRefreshTokens: boolean;
  deviceCodeSlowDown: boolean;
  autoLogin: boolean;
  requestLogLimit: number;
}

/**
 * Fills in the defaults of {@link EntraEmulatorOptions}.
 *
 * @param options The caller's options.
 * @returns The complete configuration.
 * @throws {TypeError} When `defaultHost` is not an alias of a configured cloud.
 * @example
 * ```ts
 * import { resolveConfig } from "./config.ts";
 * const config = resolveConfig({});
 * console.log(config.users[0].username);
 * ```
 */
export function resolveConfig(options: EntraEmulatorOptions): ResolvedConfig {
  const accessToken = options.lifetimes?.accessToken ?? 3599;
  const config: ResolvedConfig = {
    tenants: options.tenants
      ?? [{ id: TEST_TENANT_ID, domains: ["contoso.onmicrosoft.com"] }],
    users: options.users ?? [{
      oid: "00000000-0000-4000-8000-0000000a11ce",
      tid: TEST_TENANT_ID,
      username: "alice@contoso.onmicrosoft.com",
      name: "Alice Example",
      password: "password",
    }],
    apps: options.apps ?? [{
      clientId: TEST_CLIENT_ID,
      name: "Entra Auth Test App",
      redirectUris: ["http://localhost", "http://127.0.0.1"],
      isPublicClient: true,
      familyId: "1",
    }],
    clouds: options.clouds ?? DEFAULT_CLOUDS.map((c) => ({ ...c, aliases: [...c.aliases] })),
    defaultHost: (options.defaultHost ?? "login.microsoftonline.com").toLowerCase(),
    lifetimes: {
      accessToken,
      extendedAccessToken: options.lifetimes?.extendedAccessToken ?? accessToken,
      refreshIn: options.lifetimes?.refreshIn ?? 0,
      idToken: options.lifetimes?.idToken ?? 3600,
      refreshToken: options.lifetimes?.refreshToken ?? 90 * 24 * 3600,
      authorizationCode: options.lifetimes?.authorizationCode ?? 600,
      deviceCode: options.lifetimes?.deviceCode ?? 900,
      deviceCodeInterval: options.lifetimes?.deviceCodeInterval ?? 5,
    },
    clock: options.clock ?? { now: () => Date.now() },
    revokeRedeemedRefreshTokens: options.revokeRedeemedRefreshTokens ?? false,
    deviceCodeSlowDown: options.deviceCodeSlowDown ?? false,
    autoLogin: options.autoLogin ?? true,
    requestLogLimit: options.requestLogLimit ?? 1000,
  };
  if (!findCloud(config, config.defaultHost)) {
    throw new TypeError(`defaultHost ${config.defaultHost} is not an alias of a configured cloud`);
  }
  return config;
}

/**
 * Finds the cloud a host name belongs to.
 *
 * @param config The configuration.
 * @param host A host name (any case).
 * @returns The cloud, or `undefined` for an unknown host.
 * @example
 * ```ts
 * import { findCloud, resolveConfig } from "./config.ts";
 * console.log(findCloud(resolveConfig({}), "login.windows.net")?.preferredNetwork);
 * ```
 */
export function findCloud(config: ResolvedConfig, host: string): EmulatorCloud | undefined {
  const h = host.toLowerCase();
  return config.clouds.find((c) => c.aliases.some((a) => a.toLowerCase() === h));
}

/** How a tenant path segment resolved. */
export type TenantRef =
  | { kind: "common" | "organizations" | "consumers"; segment: string; }
  | { kind: "tenant"; segment: string; tenant: EmulatorTenant; };

/**
 * Resolves the tenant segment of an authority path.
 *
 * @param config The configuration.
 * @param segment `common`, `organizations`, `consumers`, a tenant id or one of its domains.
 * @returns The tenant reference, or `undefined` when no configured tenant matches.
 * @example
 * ```ts
 * import { resolveConfig, resolveTenant } from "./config.ts";
 * console.log(resolveTenant(resolveConfig({}), "contoso.onmicrosoft.com")?.kind); // tenant
 * ```
 */
export function resolveTenant(config: ResolvedConfig, segment: string): TenantRef | undefined {
  const s = segment.toLowerCase();
  if (s === "common" || s === "organizations" || s === "consumers") return { kind: s, segment };
  if (s === CONSUMERS_TENANT_ID) return { kind: "consumers", segment };
  const tenant = config.tenants.find((t) =>
    t.id.toLowerCase() === s || (t.domains ?? []).some((d) => d.toLowerCase() === s)
  );
  return tenant ? { kind: "tenant", segment, tenant } : undefined;
}

/**
 * Whether a user may sign in through an authority tenant.
 *
 * @param ref The authority's tenant.
 * @param user The user.
 * @returns True when the user's home tenant is accepted there.
 * @example
 * ```ts
 * import { resolveConfig, resolveTenant, userAllowedIn } from "./config.ts";
 * const config = resolveConfig({});
 * console.log(userAllowedIn(resolveTenant(config, "common")!, config.users[0])); // true
 * ```
 */
export function userAllowedIn(ref: TenantRef, user: EmulatorUser): boolean {
  switch (ref.kind) {
    case "common":
      return true;
    case "organizations":
      return user.tid !== CONSUMERS_TENANT_ID;
    case "consumers":
      return user.tid === CONSUMERS_TENANT_ID;
    case "tenant":
      return user.tid.toLowerCase() === ref.tenant.id.toLowerCase();
  }
}
