/**
 * Accounts signed out of an app through the broker. MSALRuntime's SignOutSilently records the
 * sign-out in its own store but DiscoverAccounts keeps listing the account (the next silent
 * call reports status 13), so entra-auth remembers the sign-out itself: per client id and
 * shared by every application object of the process, until the account signs in again.
 *
 * @module
 */

const signedOut = new Map<string, Set<string>>();

/**
 * The process's record of broker sign-outs for one client id (internal).
 *
 * @example
 * ```ts
 * import { SignedOutAccounts } from "./signed_out.ts";
 * const record = new SignedOutAccounts("client-id");
 * record.add("uid.utid");
 * console.log(record.has("uid.utid")); // true
 * ```
 */
export class SignedOutAccounts {
  readonly #ids: Set<string>;

  /** @param clientId the app's client id (sign-outs are per app, as in MSALRuntime) */
  constructor(clientId: string) {
    let ids = signedOut.get(clientId);
    if (!ids) signedOut.set(clientId, ids = new Set());
    this.#ids = ids;
  }

  /** Records a sign-out. */
  add(homeAccountId: string): void {
    if (homeAccountId) this.#ids.add(homeAccountId);
  }

  /** Forgets a sign-out (the account signed in again). */
  delete(homeAccountId: string): void {
    this.#ids.delete(homeAccountId);
  }

  /** Whether the account was signed out and has not signed in since. */
  has(homeAccountId: string): boolean {
    return this.#ids.has(homeAccountId);
  }
}
