/**
 * The command line's flags: one table per command (`flags.ts`), parsed with `node:util`'s
 * `parseArgs` (the same in Deno, Bun and Node).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { CliError, EXIT } from "./exit_codes.ts";
import type { FlagSpec, Parsed } from "./flags.ts";

export {
  type FlagSpec,
  helpText,
  type Parsed,
  SETTING_FLAGS,
  settingFlags,
  SIGN_IN_FLAGS,
} from "./flags.ts";

/**
 * Parses `argv` against `flags`; unknown flags are usage errors that name the command's help.
 *
 * @param command the command's name (for messages)
 * @param argv the arguments after the command
 * @param flags the table
 * @returns the values and positionals
 * @throws CliError with exit code 2
 */
export function parse(command: string, argv: string[], flags: Record<string, FlagSpec>): Parsed {
  const options = Object.fromEntries(
    Object.entries(flags).map(([name, f]) => [
      name,
      {
        type: f.type,
        ...(f.short ? { short: f.short } : {}),
        ...(f.multiple ? { multiple: true } : {}),
      },
    ]),
  );
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: options as Parameters<typeof parseArgs>[0] extends infer O
        ? O extends { options?: infer P; } ? NonNullable<P> : never
        : never,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed["values"], positionals };
  } catch (err) {
    const what = (err as Error).message.replace(/\s*\n\s*/g, " ").trim();
    throw new CliError(EXIT.usage, `${what} (see entra-auth ${command} --help)`);
  }
}
