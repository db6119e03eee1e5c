/**
 * entra-auth: sign in to Microsoft Entra ID from Deno, Bun and Node, through the operating
 * system's authentication broker where there is one.
 *
 * @example
 * ```ts
 * import { EntraAuthError } from "@entra-auth/core";
 * console.log(typeof EntraAuthError);
 * ```
 *
 * @module
 */

export {
  EntraAuthError,
  type EntraAuthErrorOptions,
  type ErrorCode,
  NativeLibraryError,
  type NativeLibraryErrorCode,
  type NativeLibraryErrorDetails,
  NativeTimeoutError,
} from "./src/errors.ts";
