/**
 * One cold start of ours: load the persistent cache in a new process and return a valid
 * token silently (offline: `fetch` throws). Prints the token's length.
 *
 * Usage: ours.ts <cache file> <plaintext|keyring> [name]
 */

import process from "node:process";
import { createPersistentCache, PublicClientApplication } from "../../mod.ts";
import { BENCH_CLIENT, BENCH_SCOPES, BENCH_TENANT, BENCH_USERNAME } from "./common.ts";

const [path, encryption, name] = process.argv.slice(2);
const app = new PublicClientApplication({
  clientId: BENCH_CLIENT,
  authority: `https://login.microsoftonline.com/${BENCH_TENANT}`,
  cache: {
    cachePlugin: createPersistentCache({
      path,
      name,
      encryption: encryption as "plaintext" | "keyring",
    }),
  },
  fetch: () => Promise.reject(new Error("cold start benchmark: a cache miss went to the network")),
});
const account = (await app.getAccounts()).find((a) => a.username === BENCH_USERNAME);
if (!account) throw new Error("the account is not in the cache");
const result = await app.acquireTokenSilent({ account, scopes: BENCH_SCOPES });
console.log(result.accessToken.length);
