/**
 * Which signed-in account a command works with. Shared by the commands and the token fast
 * path, which must choose (or refuse to choose) exactly as they do.
 *
 * @module
 */

import type { AccountInfo } from "../result.ts";
import { CliError, EXIT } from "./cli_error.ts";

/**
 * The account a command works with: the one named (username or home account id), else the
 * only one.
 *
 * @param accounts the candidates
 * @param wanted a username or home account id
 * @returns the account, or undefined when none matches or there is none
 * @throws CliError when several accounts are signed in and none was named
 * @example
 * ```ts
 * import { pickAccount } from "./pick_account.ts";
 * const alice = { homeAccountId: "a.t", environment: "login.windows.net", tenantId: "t",
 *   username: "alice@contoso.com", localAccountId: "a" };
 * console.log(pickAccount([alice], "ALICE@contoso.com")?.homeAccountId); // a.t
 * ```
 */
export function pickAccount(accounts: AccountInfo[], wanted?: string): AccountInfo | undefined {
  if (wanted) {
    const w = wanted.toLowerCase();
    return accounts.find((a) => a.username.toLowerCase() === w || a.homeAccountId === wanted);
  }
  const distinct = [...new Map(accounts.map((a) => [a.homeAccountId, a])).values()];
  if (distinct.length > 1) {
    throw new CliError(
      EXIT.usage,
      `${distinct.length} accounts are signed in: choose one with --account <username> `
        + `(${distinct.map((a) => a.username).join(", ")})`,
    );
  }
  return distinct[0];
}
