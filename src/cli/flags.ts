/**
 * The command line's flag tables, the help text made from them, and a parser of their common
 * forms with no imports (`parseSimple`): the token fast path (`token_from_cache.ts`) parses
 * its arguments against the same tables as the commands do, without loading `node:util`.
 *
 * @module
 */

import type { SettingFlags } from "./settings.ts";

/** One flag: its type, short form, the value's name and its help line. */
export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  value?: string;
  help: string;
}

/** The flags every command that signs in takes. */
export const SETTING_FLAGS: Record<string, FlagSpec> = {
  "client-id": {
    type: "string",
    value: "ID",
    help: "your app registration's client id (ENTRA_AUTH_CLIENT_ID)",
  },
  "tenant": { type: "string", value: "TENANT", help: "tenant id or domain (ENTRA_AUTH_TENANT_ID)" },
  "authority": {
    type: "string",
    value: "URL",
    help:
      "authority URL, default https://login.microsoftonline.com/organizations (ENTRA_AUTH_AUTHORITY)",
  },
  "profile": {
    type: "string",
    value: "NAME",
    help: "a profile of the config file (ENTRA_AUTH_PROFILE)",
  },
  "broker": {
    type: "string",
    value: "auto|on|off",
    help: "use the OS broker: auto (default), on (required), off",
  },
  "cache": {
    type: "string",
    value: "keyring|plaintext|none",
    help: "token cache: keyring-encrypted (default), plaintext file, or none (ENTRA_AUTH_CACHE)",
  },
  "cache-path": { type: "string", value: "FILE", help: "the cache file (ENTRA_AUTH_CACHE_PATH)" },
  "known-authority-host": {
    type: "string",
    multiple: true,
    value: "HOST",
    help: "treat HOST (host[:port]) as Entra ID (sovereign clouds, emulators)",
  },
  "no-validate-authority": { type: "boolean", help: "skip instance discovery for unknown hosts" },
  "timeout": {
    type: "string",
    value: "SECONDS",
    help: "how long a sign-in may take (default 600)",
  },
  "verbose": { type: "boolean", short: "v", help: "print what happens, to stderr" },
  "help": { type: "boolean", short: "h", help: "show this help" },
};

/** Flags of the commands that get tokens. */
export const SIGN_IN_FLAGS: Record<string, FlagSpec> = {
  "account": {
    type: "string",
    value: "USER",
    help: "the account (username), when several are signed in",
  },
  "device-code": { type: "boolean", help: "sign in with a device code instead of a browser" },
  "no-interactive": { type: "boolean", help: "never prompt: fail with exit code 3 instead" },
};

/** The parsed command line of one command. */
export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** The setting flags out of parsed values. */
export function settingFlags(values: Parsed["values"]): SettingFlags {
  const s = (name: string) => values[name] as string | undefined;
  return {
    clientId: s("client-id"),
    tenant: s("tenant"),
    authority: s("authority"),
    profile: s("profile"),
    broker: s("broker"),
    cache: s("cache"),
    cachePath: s("cache-path"),
    knownAuthorityHosts: values["known-authority-host"] as string[] | undefined,
    validateAuthority: values["no-validate-authority"] ? false : undefined,
    timeoutSeconds: s("timeout"),
  };
}

/**
 * A command's help: usage, what it does, its flags, an example.
 *
 * @param usage the usage line
 * @param summary what it does
 * @param flags its flags
 * @param examples example lines
 * @returns the help text
 */
export function helpText(
  usage: string,
  summary: string,
  flags: Record<string, FlagSpec>,
  examples: string[],
): string {
  const rows = Object.entries(flags).map(([name, f]) => {
    const left = `${f.short ? `-${f.short}, ` : "    "}--${name}${f.value ? ` ${f.value}` : ""}`;
    return `  ${left.padEnd(38)} ${f.help}`;
  });
  return `Usage: ${usage}\n\n${summary}\n\nOptions:\n${rows.join("\n")}\n\nExamples:\n${
    examples.map((e) => `  ${e}`).join("\n")
  }\n`;
}

/**
 * Parses what `node:util`'s `parseArgs` (strict, positionals allowed) parses the same way:
 * `--name value`, `--name=value`, `-x value` of the table's flags. Anything else (an unknown
 * flag, a positional, `--`, a value that starts with `-`, grouped short flags, `--flag=` on a
 * boolean) gives undefined, and the full command parses it (and reports it) as always.
 *
 * @param argv the arguments
 * @param flags the command's table
 * @returns the values, or undefined
 * @example
 * ```ts
 * import { parseSimple } from "./flags.ts";
 * import { TOKEN_FLAGS } from "./token_request.ts";
 * console.log(parseSimple(["--scope", "a", "--scope=b", "-o", "json"], TOKEN_FLAGS));
 * // { scope: ["a", "b"], output: "json" }
 * ```
 */
export function parseSimple(
  argv: readonly string[],
  flags: Readonly<Record<string, FlagSpec>>,
): Parsed["values"] | undefined {
  const shorts = new Map(
    Object.entries(flags).filter(([, f]) => f.short).map(([name, f]) => [f.short!, name]),
  );
  const values: Parsed["values"] = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    let name: string | undefined;
    let inline: string | undefined;
    if (arg.startsWith("--") && arg.length > 2) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else if (/^-[^-]$/.test(arg)) {
      name = shorts.get(arg[1]);
    }
    const spec = name === undefined ? undefined : flags[name];
    if (!spec || name === undefined || !Object.hasOwn(flags, name)) return undefined;
    if (spec.type === "boolean") {
      if (inline !== undefined) return undefined;
      values[name] = true;
      continue;
    }
    let value = inline;
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined || value.startsWith("-")) return undefined;
    }
    if (spec.multiple) values[name] = [...(values[name] as string[] | undefined ?? []), value];
    else values[name] = value;
  }
  return values;
}
