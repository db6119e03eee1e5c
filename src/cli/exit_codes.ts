/**
 * The command line's exit codes and its one error type. Every failure ends in one line on
 * stderr that says what to do, and one of these codes.
 *
 * @module
 */

import { EntraAuthError } from "../errors.ts";

/** Documented exit codes (README, `entra-auth --help`). */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** Anything not listed below. */
  failure: 1,
  /** Wrong flags or arguments. */
  usage: 2,
  /** Sign-in needed but not allowed (`--no-interactive`, or kubectl said it cannot prompt). */
  interactionRequired: 3,
  /** `--broker on` and the broker cannot be used. */
  brokerUnavailable: 4,
  /** The token cache or keyring cannot be used. */
  cache: 5,
  /** The network or the identity provider failed. */
  network: 6,
  /** The config file is wrong. */
  config: 7,
  /** The user canceled the sign-in, or a time limit ran out. */
  canceled: 8,
  /** `doctor` found something that blocks sign-in. */
  doctorFailed: 9,
  /** Interrupted (Ctrl-C). */
  interrupted: 130,
} as const;

/** A failure of the command line itself, with the exit code it ends in. */
export class CliError extends Error {
  /** The exit code. */
  readonly exitCode: number;

  /**
   * @param exitCode one of {@link EXIT}
   * @param message one line: what happened and what to do
   */
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
    this.name = "CliError";
  }
}

/**
 * The exit code and the one-line message for any error.
 *
 * @param err what was thrown
 * @returns the code and the message
 */
export function describeFailure(err: unknown): { code: number; message: string; } {
  if (err instanceof CliError) return { code: err.exitCode, message: err.message };
  if (err instanceof EntraAuthError) {
    const message = oneLine(err.message);
    switch (err.code) {
      case "interaction_required":
        return { code: EXIT.interactionRequired, message };
      case "broker_unavailable":
      case "native_library_missing":
      case "native_dependency_missing":
      case "native_symbol_missing":
      case "native_load_failed":
        return { code: EXIT.brokerUnavailable, message };
      case "cache_error": {
        const reason = (err as { reason?: string; }).reason;
        const hint = reason === "keyring_unavailable" || reason === "keyring_locked"
          ? " For the command line: unlock or start a keyring, or pass --cache plaintext "
            + "(ENTRA_AUTH_CACHE=plaintext) to keep tokens in an owner-only file."
          : "";
        return { code: EXIT.cache, message: message + hint };
      }
      case "network_error":
      case "server_error":
      case "throttled":
      case "invalid_response":
      case "invalid_grant":
        return { code: EXIT.network, message };
      case "aborted":
        return { code: EXIT.interrupted, message: "interrupted" };
      case "user_canceled":
      case "timeout":
      case "broker_timeout":
        return { code: EXIT.canceled, message };
      case "invalid_argument":
        return { code: EXIT.usage, message };
      default:
        return { code: EXIT.failure, message };
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: EXIT.failure, message: oneLine(`unexpected failure: ${message}`) };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
