/**
 * The command line's settings: flags first, then environment variables, then a named profile
 * of the optional config file, then defaults. The user brings their own app registration:
 * no Microsoft first-party client id is ever used silently.
 *
 * The rules live here with the system (platform, home folder, path joining, reading the
 * config file) passed in, so that the token fast path resolves settings by the same rules
 * as every command without loading `node:` modules; `config.ts` gives them the process's.
 *
 * @module
 */

import { CliError, EXIT } from "./cli_error.ts";

/** How the broker is used: `auto` where the OS has one, `on` required, `off` never. */
export type BrokerMode = "auto" | "on" | "off";
/** How tokens are kept between runs. */
export type CacheMode = "keyring" | "plaintext" | "none";

/** Resolved settings every command works with. */
export interface CliSettings {
  clientId: string;
  authority: string;
  broker: BrokerMode;
  cache: CacheMode;
  cachePath?: string;
  knownAuthorityHosts: string[];
  validateAuthority: boolean;
  /** Browser/broker/device-code time limit, ms. */
  timeoutMs: number;
  profile?: string;
}

/** The keys a profile in the config file may hold (the flags' long names, camel-cased). */
export interface ProfileConfig {
  clientId?: string;
  authority?: string;
  tenant?: string;
  broker?: BrokerMode;
  cache?: CacheMode;
  cachePath?: string;
  knownAuthorityHosts?: string[];
  validateAuthority?: boolean;
}

/** The config file: `{ "default": "work", "profiles": { "work": { "clientId": "…" } } }`. */
export interface ConfigFile {
  default?: string;
  profiles?: Record<string, ProfileConfig>;
}

/** The flags that override everything (undefined: not given). */
export interface SettingFlags {
  clientId?: string;
  authority?: string;
  tenant?: string;
  broker?: string;
  cache?: string;
  cachePath?: string;
  profile?: string;
  knownAuthorityHosts?: string[];
  validateAuthority?: boolean;
  timeoutSeconds?: string;
}

/** What settings depend on besides flags and environment. */
export interface SettingsSystem {
  /** `process.platform`'s value. */
  platform: string;
  /** `os.homedir()`. */
  homedir(): string;
  /** `path.join` of the platform. */
  join(...parts: string[]): string;
  /**
   * A file's text, or undefined when it does not exist.
   *
   * @throws the I/O error for anything else
   */
  readText(path: string): string | undefined;
}

/**
 * The default config file: `$XDG_CONFIG_HOME/entra-auth/config.json` and its OS equivalents.
 *
 * @param env the environment
 * @param system the platform, home folder and path joining
 * @returns the path
 * @example
 * ```ts
 * import { join } from "node:path";
 * import { configPathIn } from "./settings.ts";
 * const system = { platform: "linux", homedir: () => "/home/me", join, readText: () => undefined };
 * console.log(configPathIn({}, system)); // /home/me/.config/entra-auth/config.json
 * ```
 */
export function configPathIn(
  env: Record<string, string | undefined>,
  system: Pick<SettingsSystem, "platform" | "homedir" | "join">,
): string {
  const { join, homedir } = system;
  if (env.ENTRA_AUTH_CONFIG) return env.ENTRA_AUTH_CONFIG;
  const os = system.platform;
  if (os === "win32") {
    return join(env.APPDATA || join(homedir(), "AppData", "Roaming"), "entra-auth", "config.json");
  }
  if (os === "darwin") {
    return join(homedir(), "Library", "Application Support", "entra-auth", "config.json");
  }
  const xdg = env.XDG_CONFIG_HOME?.startsWith("/") ? env.XDG_CONFIG_HOME : undefined;
  return join(xdg ?? join(homedir(), ".config"), "entra-auth", "config.json");
}

/**
 * Reads the config file; a missing file is an empty config, a malformed one an error.
 *
 * @param path the file
 * @param readText reads it (undefined: it does not exist)
 * @returns the config
 * @throws CliError with exit code 7
 * @example
 * ```ts
 * import { configFileIn } from "./settings.ts";
 * console.log(configFileIn("/none.json", () => undefined)); // {}
 * ```
 */
export function configFileIn(
  path: string,
  readText: SettingsSystem["readText"],
): ConfigFile {
  let text: string | undefined;
  try {
    text = readText(path);
  } catch (err) {
    throw new CliError(
      EXIT.config,
      `cannot read the config file ${path}: ${(err as Error).message}`,
    );
  }
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError(EXIT.config, `the config file ${path} is not valid JSON: fix or remove it`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new CliError(EXIT.config, `the config file ${path} must hold a JSON object`);
  }
  const config = value as ConfigFile;
  if (config.profiles !== undefined && (typeof config.profiles !== "object" || !config.profiles)) {
    throw new CliError(EXIT.config, `"profiles" in ${path} must be an object of profiles`);
  }
  return config;
}

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  what: string,
): T | undefined {
  if (value === undefined || value === "") return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new CliError(EXIT.usage, `${what} must be one of ${allowed.join(", ")} (got "${value}")`);
}

/** The authority for a tenant id or domain on the public cloud. */
export function tenantAuthority(tenant: string): string {
  if (!/^[\w.-]+$/.test(tenant)) {
    throw new CliError(EXIT.usage, `"${tenant}" is not a tenant id or domain`);
  }
  return `https://login.microsoftonline.com/${tenant}`;
}

/**
 * Resolves the settings: flags, then `ENTRA_AUTH_*` variables, then the profile, then defaults.
 *
 * @param flags the command line's flags
 * @param env the environment
 * @param system the platform, home folder, path joining and config file reader
 * @returns the settings
 * @throws CliError (usage or config) when the client id is missing or a value is invalid
 * @example
 * ```ts
 * import { join } from "node:path";
 * import { resolveSettingsIn } from "./settings.ts";
 * const system = { platform: "linux", homedir: () => "/home/me", join, readText: () => undefined };
 * console.log(resolveSettingsIn({ clientId: "my-app" }, {}, system).authority);
 * // https://login.microsoftonline.com/organizations
 * ```
 */
export function resolveSettingsIn(
  flags: SettingFlags,
  env: Record<string, string | undefined>,
  system: SettingsSystem,
): CliSettings {
  const configPath = configPathIn(env, system);
  const config = configFileIn(configPath, system.readText);
  const profileName = flags.profile ?? env.ENTRA_AUTH_PROFILE ?? config.default;
  let profile: ProfileConfig = {};
  if (profileName !== undefined) {
    const found = config.profiles?.[profileName];
    if (!found) {
      throw new CliError(
        EXIT.config,
        `no profile "${profileName}" in ${configPath}: add it under "profiles", or drop --profile`,
      );
    }
    profile = found;
  }
  const pick = (flag?: string, envName?: string, fromProfile?: string) =>
    flag ?? (envName && env[envName] ? env[envName] : undefined) ?? fromProfile;
  const clientId = pick(flags.clientId, "ENTRA_AUTH_CLIENT_ID", profile.clientId);
  if (!clientId) {
    throw new CliError(
      EXIT.usage,
      "no client id: pass --client-id <your app's client id>, set ENTRA_AUTH_CLIENT_ID, or add "
        + `a profile to ${configPath} (entra-auth uses your app registration, never a default one)`,
    );
  }
  const tenant = pick(flags.tenant, "ENTRA_AUTH_TENANT_ID", profile.tenant);
  const authority = flags.authority
    ?? (flags.tenant ? tenantAuthority(flags.tenant) : undefined)
    ?? env.ENTRA_AUTH_AUTHORITY
    ?? (env.ENTRA_AUTH_TENANT_ID ? tenantAuthority(env.ENTRA_AUTH_TENANT_ID) : undefined)
    ?? profile.authority
    ?? (tenant ? tenantAuthority(tenant) : "https://login.microsoftonline.com/organizations");
  const broker = oneOf(
    pick(flags.broker, "ENTRA_AUTH_BROKER", profile.broker),
    ["auto", "on", "off"] as const,
    "--broker",
  ) ?? "auto";
  const cache = oneOf(
    pick(flags.cache, "ENTRA_AUTH_CACHE", profile.cache),
    ["keyring", "plaintext", "none"] as const,
    "--cache",
  ) ?? "keyring";
  const hosts = flags.knownAuthorityHosts?.length
    ? flags.knownAuthorityHosts
    : env.ENTRA_AUTH_KNOWN_AUTHORITY_HOSTS
    ? env.ENTRA_AUTH_KNOWN_AUTHORITY_HOSTS.split(",").map((h) => h.trim()).filter(Boolean)
    : profile.knownAuthorityHosts ?? [];
  const timeout = pick(flags.timeoutSeconds, "ENTRA_AUTH_TIMEOUT");
  const seconds = timeout === undefined ? 600 : Number(timeout);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 86_400) {
    throw new CliError(EXIT.usage, `--timeout must be a number of seconds (1 to 86400)`);
  }
  return {
    clientId,
    authority,
    broker,
    cache,
    cachePath: pick(flags.cachePath, "ENTRA_AUTH_CACHE_PATH", profile.cachePath),
    knownAuthorityHosts: hosts,
    validateAuthority: flags.validateAuthority ?? profile.validateAuthority ?? true,
    timeoutMs: Math.round(seconds * 1000),
    profile: profileName,
  };
}
