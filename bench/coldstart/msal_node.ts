/**
 * One cold start of msal-node (Node): load a plain file cache through its cache plug-in (as
 * its docs show, without msal-node-extensions) and return a valid token silently, offline.
 * Prints the token's length.
 *
 * Usage: node npm/bench/coldstart/msal_node.js <cache file>
 */

import { PublicClientApplication } from "@azure/msal-node";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { authorityMetadata, cloudDiscoveryMetadata } from "../../tests/cache/msal_node.ts";
import { BENCH_CLIENT, BENCH_SCOPES, BENCH_TENANT, BENCH_USERNAME } from "./common.ts";

const [path] = process.argv.slice(2);
const offline = () =>
  Promise.reject(new Error("cold start benchmark: msal-node went to the network"));
const app = new PublicClientApplication({
  auth: {
    clientId: BENCH_CLIENT,
    authority: `https://login.microsoftonline.com/${BENCH_TENANT}`,
    cloudDiscoveryMetadata,
    authorityMetadata,
  },
  system: { networkClient: { sendGetRequestAsync: offline, sendPostRequestAsync: offline } },
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
const account = (await app.getTokenCache().getAllAccounts()).find((a) =>
  a.username === BENCH_USERNAME
);
if (!account) throw new Error("the account is not in the cache");
const result = await app.acquireTokenSilent({ account, scopes: BENCH_SCOPES });
if (!result.fromCache) throw new Error("not from the cache");
console.log(result.accessToken.length);
