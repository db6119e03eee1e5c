/** Cache entries the persistence tests and fixtures write (valid MSAL shared-format entities). */

/** The tenant and client of the test entries. */
export const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const CLIENT = "11111111-1111-1111-1111-111111111111";
const HOME = `00000000-0000-0000-0000-000000000001.${TENANT}`;

/** The key of the refresh token all writers rotate. */
export const SHARED_RT_KEY = `${HOME}-login.windows.net-refreshtoken-${CLIENT}--`;

/** A distinct access token of writer `writer`, round `round`: `[key, entity]`. */
export function writerEntry(writer: string, round: number): [string, Record<string, string>] {
  const target = `scope-${writer}-${round}`;
  const key = `at-${writer}-${round}`;
  const now = Math.floor(Date.now() / 1000);
  return [key, {
    home_account_id: HOME,
    environment: "login.windows.net",
    credential_type: "AccessToken",
    client_id: CLIENT,
    secret: `at-${writer}-${round}`,
    realm: TENANT,
    target,
    cached_at: String(now),
    expires_on: String(now + 3600),
    extended_expires_on: String(now + 7200),
  }];
}

/** The shared refresh token with a given secret. */
export function sharedRefreshToken(secret: string): Record<string, string> {
  return {
    home_account_id: HOME,
    environment: "login.windows.net",
    credential_type: "RefreshToken",
    client_id: CLIENT,
    secret,
  };
}
