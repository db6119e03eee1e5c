/**
 * Silent token lookup from a warm in-memory cache holding 10, 1,000 and 10,000 access tokens
 * (many accounts, many scopes), in the running runtime: "ours" is
 * PublicClientApplication.acquireTokenSilent (offline: its fetch throws), "lookup" the cache
 * alone (TokenCache.findAccessToken + findIdToken + authenticationResultFrom). Under Node,
 * msal-node's acquireTokenSilent runs on the same cache contents (deserialized into msal-node,
 * offline). Prints one JSON line. Run by bench/silent/run.sh.
 */

import process from "node:process";
import { currentRuntime } from "../../ffi/runtime.ts";
import { PublicClientApplication } from "../../mod.ts";
import { authenticationResultFrom } from "../../src/cache/result.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import type { AccountInfo } from "../../src/result.ts";
import { CLIENT, requestContext, tokenResponse, user } from "../../tests/cache/helpers.ts";

const SIZES = [10, 1_000, 10_000];
const SCOPES_PER_ACCOUNT = 10;
const nowSeconds = () => Math.floor(Date.now() / 1000);

interface Query {
  account: AccountInfo;
  scopes: string[];
}

function buildCache(size: number): { cache: TokenCache; queries: Query[]; } {
  const cache = new TokenCache();
  const accounts: AccountInfo[] = [];
  const users = Math.max(1, size / SCOPES_PER_ACCOUNT);
  for (let u = 0; u < users; u++) {
    for (let s = 0; s < SCOPES_PER_ACCOUNT; s++) {
      const saved = cache.saveTokenResponse(
        tokenResponse(user(u), {
          scope: `api://resource-${s}/Data.Read api://resource-${s}/Data.Write openid profile`,
          accessToken: `at-${u}-${s}-${"x".repeat(1200)}`,
          expiresIn: 7200,
        }),
        requestContext({ requestedAt: nowSeconds() }),
      );
      if (s === 0) accounts.push(saved.account);
    }
  }
  if (cache.accessTokenCount !== size) throw new Error(`expected ${size} tokens`);
  // a fixed pseudo-random sequence of lookups over every account and scope
  const queries: Query[] = [];
  let seed = 12345;
  for (let i = 0; i < 1024; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const account = accounts[seed % accounts.length];
    queries.push({
      account,
      scopes: [`api://resource-${(seed >> 8) % SCOPES_PER_ACCOUNT}/Data.Read`],
    });
  }
  return { cache, queries };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median ns per operation over rounds of at least `minMs`. */
async function measure(
  op: (i: number) => unknown,
  minMs: number,
  rounds: number,
  isAsync: boolean,
): Promise<number> {
  for (let i = 0; i < (isAsync ? 50 : 5_000); i++) isAsync ? await op(i) : op(i); // warm up
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const t0 = performance.now();
    let elapsed = 0;
    while (elapsed < minMs) {
      if (isAsync) { for (let k = 0; k < 64; k++) await op(n++); }
      else for (let k = 0; k < 1024; k++) op(n++);
      elapsed = performance.now() - t0;
    }
    samples.push((elapsed * 1e6) / n);
  }
  return median(samples);
}

const runtime = currentRuntime();
const ours: Record<number, number> = {};
const lookups: Record<number, number> = {};
const oursHot: Record<number, number> = {};
const msal: Record<number, number> = {};
for (const size of SIZES) {
  const { cache, queries } = buildCache(size);
  let sink = 0;
  const lookup = (i: number) => {
    const q = queries[i & 1023];
    const accessToken = cache.findAccessToken({
      clientId: CLIENT,
      account: q.account,
      scopes: q.scopes,
    });
    if (!accessToken) throw new Error("cache miss");
    const idToken = cache.findIdToken({ clientId: CLIENT, account: q.account });
    const result = authenticationResultFrom({
      accessToken,
      idToken,
      account: q.account,
      correlationId: "bench",
    });
    sink += result.accessToken.length;
  };
  // Random lookups over every account and scope, and the same 8 lookups repeated (what is
  // left when the data is in the CPU caches: the cost of the algorithm alone).
  lookups[size] = await measure(lookup, 200, 7, false);
  oursHot[size] = await measure((i) => lookup(i & 7), 200, 7, false);
  const app = new PublicClientApplication({
    clientId: CLIENT,
    authority: "https://login.microsoftonline.com/organizations",
    fetch: () =>
      Promise.reject(new Error("the benchmark is offline: a cache miss went to the network")),
  });
  app.getTokenCache().deserialize(cache.serialize());
  ours[size] = await measure(
    async (i) => {
      const q = queries[i & 1023];
      const result = await app.acquireTokenSilent({ scopes: q.scopes, account: q.account });
      sink += result.accessToken.length;
    },
    300,
    5,
    true,
  );
  if (runtime === "node" && !process.env.SKIP_MSAL) {
    const { msalNodeApp, OfflineNetwork } = await import("../../tests/cache/msal_node.ts");
    const app = await msalNodeApp(new OfflineNetwork());
    app.getTokenCache().deserialize(cache.serialize());
    const byHome = new Map(
      (await app.getTokenCache().getAllAccounts()).map((a) => [a.homeAccountId, a]),
    );
    const msalQueries = queries.map((q) => ({
      account: byHome.get(q.account.homeAccountId)!,
      scopes: q.scopes,
    }));
    msal[size] = await measure(
      async (i) => {
        const result = await app.acquireTokenSilent(msalQueries[i & 1023]);
        if (!result.fromCache) throw new Error("msal-node went to the network");
        sink += result.accessToken.length;
      },
      300,
      5,
      true,
    );
  }
  if (sink < 0) console.log(sink);
}
console.log(
  JSON.stringify({
    runtime,
    ours,
    lookups,
    oursHot,
    msal: runtime === "node" ? msal : undefined,
  }),
);
