/**
 * The command line's exit codes and its one error type. Every failure ends in one line on
 * stderr that says what to do, and one of these codes.
 *
 * @module
 */

import { EntraAuthError } from "../errors.ts";
import { CliError, EXIT } from "./cli_error.ts";

export { CliError, EXIT } from "./cli_error.ts";

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
