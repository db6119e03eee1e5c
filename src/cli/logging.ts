/**
 * What the command line logs, and where: warnings (and with `--verbose` or
 * `ENTRA_AUTH_LOG=broker`, everything, MSALRuntime's own lines included) as
 * `entra-auth: <level>: <message>` lines on stderr, never stdout.
 *
 * @module
 */

import type { LoggerOptions, LogLevel } from "../logger.ts";

/**
 * Whether this run logs beyond warnings.
 *
 * @param env the environment
 * @param verbose `--verbose`
 * @returns true for `--verbose` or `ENTRA_AUTH_LOG=broker`
 * @example
 * ```ts
 * import { logsVerbose } from "./logging.ts";
 * console.log(logsVerbose({ ENTRA_AUTH_LOG: "broker" }, false)); // true
 * ```
 */
export function logsVerbose(env: Record<string, string | undefined>, verbose: boolean): boolean {
  return verbose || brokerLogs(env);
}

function brokerLogs(env: Record<string, string | undefined>): boolean {
  return /\bbroker\b/.test(env.ENTRA_AUTH_LOG ?? "");
}

/**
 * The library's logger options for a command line run.
 *
 * @param env the environment (`ENTRA_AUTH_LOG=broker` forwards MSALRuntime's own lines)
 * @param verbose `--verbose`
 * @param writeErr writes to stderr
 * @returns the options
 * @example
 * ```ts
 * import { cliLogger } from "./logging.ts";
 * const logger = cliLogger({}, false, (text) => console.error(text.trimEnd()));
 * logger.loggerCallback?.("warning", "the keyring is slow", false);
 * ```
 */
export function cliLogger(
  env: Record<string, string | undefined>,
  verbose: boolean,
  writeErr: (text: string) => void,
): LoggerOptions {
  return {
    level: (logsVerbose(env, verbose) ? "verbose" : "warning") as LogLevel,
    brokerLogs: brokerLogs(env),
    loggerCallback: (level: LogLevel, message: string) =>
      writeErr(`entra-auth: ${level}: ${message}\n`),
  };
}
