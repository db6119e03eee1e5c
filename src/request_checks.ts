/**
 * Checks of what an app passes to {@link PublicClientApplication}'s methods, at the public
 * boundary: misuse is a typed error that says what to pass, never a `TypeError` from deep
 * inside a flow.
 *
 * @module
 */

import { EntraAuthError, InteractionRequiredError } from "./errors.ts";
import type { AccountInfo } from "./result.ts";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Requires a request object and checks the fields every request may carry (`signal`,
 * `correlationId`, `claims`, and any named callbacks).
 *
 * @param request what the app passed
 * @param method the method's name, for the message
 * @param callbacks names of fields that must be functions when present
 * @param required names of callbacks that must be present
 * @throws EntraAuthError `invalid_argument`
 * @example
 * ```ts
 * import { checkRequest } from "./request_checks.ts";
 * checkRequest({ scopes: ["User.Read"] }, "acquireTokenSilent");
 * ```
 */
export function checkRequest(
  request: unknown,
  method: string,
  callbacks: readonly string[] = [],
  required: readonly string[] = [],
): asserts request is Record<string, unknown> {
  if (!isObject(request)) {
    throw new EntraAuthError(
      "invalid_argument",
      `${method} takes a request object, e.g. { scopes: ["User.Read"] }; got ${
        request === null ? "null" : typeof request
      }.`,
    );
  }
  const signal = request.signal;
  if (
    signal !== undefined
    && !(isObject(signal) && typeof signal.aborted === "boolean"
      && typeof signal.addEventListener === "function")
  ) {
    throw new EntraAuthError("invalid_argument", `${method}: signal must be an AbortSignal.`);
  }
  for (const name of ["correlationId", "claims", "loginHint", "domainHint"]) {
    const value = request[name];
    if (value !== undefined && typeof value !== "string") {
      throw new EntraAuthError("invalid_argument", `${method}: ${name} must be a string.`);
    }
  }
  for (const name of callbacks) {
    const value = request[name];
    if (value === undefined && !required.includes(name)) continue;
    if (typeof value !== "function") {
      throw new EntraAuthError(
        "invalid_argument",
        `${method}: ${name} must be a function${required.includes(name) ? " (required)" : ""}.`,
      );
    }
  }
}

/**
 * Whether a value looks like an account from `getAccounts()` or an earlier result.
 *
 * @param account any value
 * @returns true when it has a non-empty `homeAccountId`
 * @example
 * ```ts
 * import { isAccount } from "./request_checks.ts";
 * isAccount({}); // false
 * ```
 */
export function isAccount(account: unknown): account is AccountInfo {
  return isObject(account) && typeof account.homeAccountId === "string"
    && account.homeAccountId !== ""
    && (account.environment === undefined || typeof account.environment === "string");
}

/**
 * The account of a silent request: none (`undefined`, `null`, `{}`) means the user has not
 * signed in, which is an {@link InteractionRequiredError}, as in MSAL.
 *
 * @param account the request's account
 * @returns the account
 * @throws InteractionRequiredError when there is no usable account
 * @example
 * ```ts
 * import { silentAccount } from "./request_checks.ts";
 * try {
 *   silentAccount(undefined);
 * } catch (err) {
 *   console.log((err as Error).name); // "InteractionRequiredError"
 * }
 * ```
 */
export function silentAccount(account: unknown): AccountInfo {
  if (!isAccount(account)) {
    throw new InteractionRequiredError(
      "acquireTokenSilent needs an account (from getAccounts() or an earlier result) and got "
        + "none: sign in with acquireTokenInteractive or acquireTokenByDeviceCode.",
    );
  }
  return account;
}

/**
 * Requires an account argument (`removeAccount`).
 *
 * @param account what the app passed
 * @param method the method's name, for the message
 * @returns the account
 * @throws EntraAuthError `invalid_argument`
 * @example
 * ```ts
 * import { requireAccount } from "./request_checks.ts";
 * requireAccount({ homeAccountId: "u.t", environment: "login.windows.net" }, "removeAccount");
 * ```
 */
export function requireAccount(account: unknown, method: string): AccountInfo {
  if (!isAccount(account)) {
    throw new EntraAuthError(
      "invalid_argument",
      `${method} takes an account from getAccounts() or an earlier result (with a homeAccountId).`,
    );
  }
  return account;
}

/**
 * Requires a non-empty array of non-blank scope strings.
 *
 * @param scopes what the app passed
 * @throws EntraAuthError `invalid_argument`
 * @example
 * ```ts
 * import { checkScopes } from "./request_checks.ts";
 * checkScopes(["User.Read"]);
 * ```
 */
export function checkScopes(scopes: readonly string[]): void {
  if (
    !Array.isArray(scopes) || scopes.length === 0
    || scopes.some((s) => typeof s !== "string" || !s.trim())
  ) {
    throw new EntraAuthError(
      "invalid_argument",
      "scopes must be a non-empty array of scope strings",
    );
  }
}
