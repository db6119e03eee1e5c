/** What the cold start benchmark's processes agree on. */

import { withCache } from "../../src/cache/plugin.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { createPersistentCache } from "../../src/persistence/persistent_cache.ts";
import { CLIENT, requestContext, TENANT, tokenResponse, user } from "../../tests/cache/helpers.ts";

/** The app's client id. */
export const BENCH_CLIENT: string = CLIENT;
/** The tenant. */
export const BENCH_TENANT: string = TENANT;
/** The account whose token is asked for. */
export const BENCH_USERNAME = "user3@contoso.com";
/** The scopes asked for. */
export const BENCH_SCOPES: string[] = ["Mail.Read"];

/** The scopes of the three tokens each account holds, unless a benchmark names others. */
export const BENCH_CACHE_SCOPES: readonly string[] = [
  "User.Read Mail.Read",
  "Files.Read",
  "Calendars.Read",
];

/**
 * Writes the benchmarks' cache: ten accounts, each with a token for each of `scopes` (a
 * realistic developer-machine cache), through the persistent cache.
 *
 * @param path the cache file
 * @param options its encryption, keyring name and the scopes of each account's tokens
 */
export async function fillBenchCache(
  path: string,
  options: {
    encryption: "plaintext" | "keyring";
    name?: string;
    scopes?: readonly string[];
  },
): Promise<void> {
  const now = () => Math.floor(Date.now() / 1000);
  await withCache(
    new TokenCache({ now }),
    createPersistentCache({ path, encryption: options.encryption, name: options.name }),
    (c) => {
      for (let n = 1; n <= 10; n++) {
        for (const scope of options.scopes ?? BENCH_CACHE_SCOPES) {
          c.saveTokenResponse(
            tokenResponse(user(n), {
              scope: `${scope} openid profile offline_access`,
              accessToken: `at-${n}-${scope}`.padEnd(1200, "x"),
              expiresIn: 86_400,
            }),
            requestContext({
              requestedAt: now(),
              tenant: user(n).utid,
              authority: `https://login.microsoftonline.com/${user(n).utid}`,
            }),
          );
        }
      }
    },
  );
}
