/**
 * One msal-node process (Node) for the cache-size benchmark, with the file cache plug-in of
 * its documentation (read the whole file before an access, rewrite it after a change):
 * loads the cache (getAllAccounts) and commits one new access token (acquireTokenByCode
 * from an offline network client), timing each; prints `{ load, write, rss }` as JSON.
 *
 * Usage: node npm/bench/cache/msal_node.js <cache file>
 */

import { PublicClientApplication } from "@azure/msal-node";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { CLIENT, TENANT, tokenResponse, user } from "../../tests/cache/helpers.ts";
import {
  authorityMetadata,
  cloudDiscoveryMetadata,
  OfflineNetwork,
} from "../../tests/cache/msal_node.ts";

const [path] = process.argv.slice(2);
const network = new OfflineNetwork();
network.tokenResponses.push({
  ...tokenResponse(user(1), { scope: `Bench.${process.pid} openid profile offline_access` }),
  expires_in: "86400",
});
const app = new PublicClientApplication({
  auth: {
    clientId: CLIENT,
    authority: `https://login.microsoftonline.com/${TENANT}`,
    cloudDiscoveryMetadata,
    authorityMetadata,
  },
  system: { networkClient: network },
  cache: {
    cachePlugin: {
      async beforeCacheAccess(ctx) {
        if (existsSync(path)) ctx.tokenCache.deserialize(await readFile(path, "utf-8"));
      },
      async afterCacheAccess(ctx) {
        if (ctx.cacheHasChanged) await writeFile(path, ctx.tokenCache.serialize());
      },
    },
  },
});
const t0 = performance.now();
const accounts = await app.getTokenCache().getAllAccounts();
const t1 = performance.now();
await app.acquireTokenByCode({
  code: "code",
  scopes: [`Bench.${process.pid}`],
  redirectUri: "http://localhost",
});
const t2 = performance.now();
if (accounts.length === 0) throw new Error("the cache did not load");
console.log(JSON.stringify({
  load: t1 - t0,
  write: t2 - t1,
  rss: process.memoryUsage().rss / 2 ** 20,
}));
