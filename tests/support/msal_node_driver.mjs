// Drives @azure/msal-node (a Node library, a dev dependency) in a Node process, so that the
// interop tests run alike under Deno, Bun and Node: the test sends one JSON command on stdin,
// this process runs msal-node offline (authority and cloud metadata from the command, token
// replies from a queue, any other request refused) and prints one JSON result on stdout.
//
// Command: { auth: { clientId, authority, cloudDiscoveryMetadata, authorityMetadata },
//   cache: { serialized } | { file }   (file: msal-node's file cache plug-in, as its docs show)
//   tokenResponses: [...], steps: [{ op: "accounts" } | { op: "silent", homeAccountId, scopes }
//   | { op: "byCode", scopes, redirectUri } | { op: "serialize" }] }
// Result: { results: [...one per step], networkCalls: [...] }; a failed step gives { error }.
import { PublicClientApplication } from "@azure/msal-node";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import process from "node:process";

let text = "";
for await (const chunk of process.stdin) text += chunk;
const command = JSON.parse(text);

const networkCalls = [];
const tokenResponses = [...(command.tokenResponses ?? [])];
const networkClient = {
  sendGetRequestAsync(url) {
    networkCalls.push(`GET ${url}`);
    return Promise.reject(new Error(`msal-node tried the network: GET ${url}`));
  },
  sendPostRequestAsync(url) {
    networkCalls.push(`POST ${url}`);
    const body = tokenResponses.shift();
    if (!url.includes("/oauth2/v2.0/token") || body === undefined) {
      return Promise.reject(new Error(`msal-node tried the network: POST ${url}`));
    }
    return Promise.resolve({ headers: {}, body, status: 200 });
  },
};

let cachePlugin;
if (command.cache?.file !== undefined) {
  const path = command.cache.file;
  cachePlugin = {
    beforeCacheAccess: async (ctx) => {
      if (existsSync(path)) ctx.tokenCache.deserialize(await readFile(path, "utf-8"));
    },
    afterCacheAccess: async (ctx) => {
      if (ctx.cacheHasChanged) await writeFile(path, ctx.tokenCache.serialize());
    },
  };
} else if (command.cache?.serialized !== undefined) {
  const serialized = command.cache.serialized;
  cachePlugin = {
    beforeCacheAccess: (ctx) => Promise.resolve(ctx.tokenCache.deserialize(serialized)),
    afterCacheAccess: () => Promise.resolve(),
  };
}

const app = new PublicClientApplication({
  auth: command.auth,
  system: { networkClient },
  cache: cachePlugin ? { cachePlugin } : undefined,
});

const accountOut = (a) =>
  a && {
    homeAccountId: a.homeAccountId,
    environment: a.environment,
    tenantId: a.tenantId,
    username: a.username,
    name: a.idTokenClaims?.name,
  };

const results = [];
for (const step of command.steps) {
  try {
    switch (step.op) {
      case "accounts":
        results.push((await app.getTokenCache().getAllAccounts()).map(accountOut));
        break;
      case "silent": {
        const accounts = await app.getTokenCache().getAllAccounts();
        const account = accounts.find((a) => a.homeAccountId === step.homeAccountId);
        if (!account) throw new Error(`msal-node does not list the account ${step.homeAccountId}`);
        const r = await app.acquireTokenSilent({ account, scopes: step.scopes });
        results.push({
          accessToken: r.accessToken,
          fromCache: r.fromCache,
          account: accountOut(r.account),
        });
        break;
      }
      case "byCode": {
        const r = await app.acquireTokenByCode({
          code: "code",
          scopes: step.scopes,
          redirectUri: step.redirectUri ?? "http://localhost",
        });
        results.push({ accessToken: r.accessToken, account: accountOut(r.account) });
        break;
      }
      case "serialize":
        results.push(app.getTokenCache().serialize());
        break;
      default:
        throw new Error(`unknown step ${step.op}`);
    }
  } catch (err) {
    results.push({ error: { name: err?.name, errorCode: err?.errorCode, message: err?.message } });
  }
}
process.stdout.write(JSON.stringify({ results, networkCalls }) + "\n");
