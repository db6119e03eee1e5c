/**
 * The cache contents of the cache-size benchmark: `tokens` access tokens in MSAL's shared
 * format, ten per account (each account also has its account, id token and refresh token
 * entries), written directly as JSON so that 100,000 tokens take seconds, not minutes.
 */

import { b64url, CLIENT, jwt, TENANT } from "../../tests/cache/helpers.ts";

/** The environment the entries are stored under (MSAL's preferred cache host). */
export const ENVIRONMENT = "login.windows.net";

/**
 * A cache document with `tokens` access tokens.
 *
 * @param tokens how many access tokens
 * @returns the document (MSAL's shared format)
 */
export function cacheContents(tokens: number): Record<string, Record<string, unknown>> {
  const now = Math.floor(Date.now() / 1000);
  const doc: Record<string, Record<string, unknown>> = {
    Account: {},
    IdToken: {},
    AccessToken: {},
    RefreshToken: {},
    AppMetadata: {},
  };
  const accounts = Math.max(1, Math.ceil(tokens / 10));
  for (let a = 0; a < accounts; a++) {
    const uid = `00000000-0000-0000-0000-${String(a).padStart(12, "0")}`;
    const home = `${uid}.${TENANT}`;
    const base = { home_account_id: home, environment: ENVIRONMENT };
    doc.Account[`${home}-${ENVIRONMENT}-${TENANT}`] = {
      ...base,
      realm: TENANT,
      local_account_id: uid,
      username: `user${a}@contoso.com`,
      authority_type: "MSSTS",
      client_info: b64url(JSON.stringify({ uid, utid: TENANT })),
    };
    doc.IdToken[`${home}-${ENVIRONMENT}-idtoken-${CLIENT}-${TENANT}-`] = {
      ...base,
      credential_type: "IdToken",
      client_id: CLIENT,
      realm: TENANT,
      secret: jwt({ oid: uid, tid: TENANT, preferred_username: `user${a}@contoso.com` }),
    };
    doc.RefreshToken[`${home}-${ENVIRONMENT}-refreshtoken-${CLIENT}--`] = {
      ...base,
      credential_type: "RefreshToken",
      client_id: CLIENT,
      secret: `rt-${a}-`.padEnd(800, "r"),
    };
    for (let t = 0; t < 10 && a * 10 + t < tokens; t++) {
      const target = `scope${t}.read`;
      doc.AccessToken[`${home}-${ENVIRONMENT}-accesstoken-${CLIENT}-${TENANT}-${target}`] = {
        ...base,
        credential_type: "AccessToken",
        client_id: CLIENT,
        realm: TENANT,
        target,
        secret: `at-${a}-${t}-`.padEnd(1500, "a"),
        cached_at: String(now),
        expires_on: String(now + 86_400),
        extended_expires_on: String(now + 86_400),
        token_type: "Bearer",
      };
    }
  }
  return doc;
}
