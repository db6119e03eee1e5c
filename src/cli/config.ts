/**
 * The command line's settings: flags first, then environment variables, then a named profile
 * of the optional config file, then defaults. The user brings their own app registration:
 * no Microsoft first-party client id is ever used silently.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { homedir, platform } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { CliError, EXIT } from "./exit_codes.ts";

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

/** The default config file: `$XDG_CONFIG_HOME/entra-auth/config.json` and its OS equivalents. */
export function defaultConfigPath(env: Record<string, string | undefined> = process.env): string {
  if (env.ENTRA_AUTH_CONFIG) return env.ENTRA_AUTH_CONFIG;
  const os = platform();
  if (os === "win32") {
    return join(env.APPDATA || join(homedir(), "AppData", "Roaming"), "entra-auth", "config.json");
  }
  if (os === "darwin") {
    return join(homedir(), "Library", "Application Support", "entra-auth", "config.json");
  }
  const xdg = env.XDG_CONFIG_HOME?.startsWith("/") ? env.XDG_CONFIG_HOME : undefined;
  return join(xdg ?? join(homedir(), ".config"), "entra-auth", "config.json");
}

/** Reads the config file; a missing file is an empty config, a malformed one an error. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as { code?: string; }).code === "ENOENT") return {};
    throw new CliError(
      EXIT.config,
      `cannot read the config file ${path}: ${(err as Error).message}`,
    );
  }
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
 * @returns the settings
 * @throws CliError (usage or config) when the client id is missing or a value is invalid
 */
export function resolveSettings(
  flags: SettingFlags,
  env: Record<string, string | undefined> = process.env,
): CliSettings {
  const configPath = defaultConfigPath(env);
  const config = readConfigFile(configPath);
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
