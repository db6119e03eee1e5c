/**
 * The command line's settings as this process resolves them: the rules of `settings.ts`
 * with the process's platform, home folder, `node:path` and `node:fs`.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import { homedir, platform } from "node:os";
import { join } from "node:path";
import process from "node:process";
import {
  type CliSettings,
  type ConfigFile,
  configFileIn,
  configPathIn,
  resolveSettingsIn,
  type SettingFlags,
  type SettingsSystem,
} from "./settings.ts";

export {
  type BrokerMode,
  type CacheMode,
  type CliSettings,
  type ConfigFile,
  type ProfileConfig,
  type SettingFlags,
  tenantAuthority,
} from "./settings.ts";

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    if ((err as { code?: string; }).code === "ENOENT") return undefined;
    throw err;
  }
}

/** This process's platform, home folder, path joining and file reading. */
function processSystem(): SettingsSystem {
  return { platform: platform(), homedir, join, readText };
}

/**
 * The default config file: `$XDG_CONFIG_HOME/entra-auth/config.json` and its OS equivalents.
 *
 * @param env the environment
 * @returns the path
 * @example
 * ```ts
 * import { defaultConfigPath } from "./config.ts";
 * console.log(defaultConfigPath()); // e.g. /home/me/.config/entra-auth/config.json
 * ```
 */
export function defaultConfigPath(env: Record<string, string | undefined> = process.env): string {
  return configPathIn(env, processSystem());
}

/**
 * Reads the config file; a missing file is an empty config, a malformed one an error.
 *
 * @param path the file
 * @returns the config
 * @throws CliError with exit code 7
 * @example
 * ```ts
 * import { readConfigFile } from "./config.ts";
 * console.log(readConfigFile("/nonexistent/config.json")); // {}
 * ```
 */
export function readConfigFile(path: string): ConfigFile {
  return configFileIn(path, readText);
}

/**
 * Resolves the settings: flags, then `ENTRA_AUTH_*` variables, then the profile, then defaults.
 *
 * @param flags the command line's flags
 * @param env the environment
 * @returns the settings
 * @throws CliError (usage or config) when the client id is missing or a value is invalid
 * @example
 * ```ts
 * import { resolveSettings } from "./config.ts";
 * console.log(resolveSettings({ clientId: "my-app" }, { ENTRA_AUTH_CONFIG: "/none.json" }).cache);
 * // keyring
 * ```
 */
export function resolveSettings(
  flags: SettingFlags,
  env: Record<string, string | undefined> = process.env,
): CliSettings {
  return resolveSettingsIn(flags, env, processSystem());
}
