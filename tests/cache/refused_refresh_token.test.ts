/**
 * A refused refresh token (src/cache/refused_refresh_token.ts): removed by compare-and-delete
 * (never a newer token another process stored under the same key), at once without a shared
 * cache, and with one only after a bounded wait for such a newer token, which is returned.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CachePlugin } from "../../src/cache/plugin.ts";
import { settleRefusedRefreshToken } from "../../src/cache/refused_refresh_token.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import type { RefreshTokenMatch } from "../../src/cache/types.ts";
import { EntraAuthError } from "../../src/errors.ts";
import { CLIENT, now, requestContext, tokenResponse, user } from "./helpers.ts";

/** A cache holding one refresh token (`secret`), and that token. */
function cacheWith(secret: string): { cache: TokenCache; refused: RefreshTokenMatch; } {
  const cache = new TokenCache({ now });
  const { account } = cache.saveTokenResponse(
    tokenResponse(user(1), { refreshToken: secret }),
    requestContext(),
  );
  const refused = cache.findRefreshToken({ clientId: CLIENT, account })!;
  assert.equal(refused.entity.secret, secret);
  return { cache, refused };
}

/** The serialized cache with the refresh token's secret replaced (another process's rotation). */
function rotated(json: string, secret: string): string {
  const doc = JSON.parse(json);
  for (const rt of Object.values(doc.RefreshToken) as { secret: string; }[]) rt.secret = secret;
  return JSON.stringify(doc);
}

/** Every call gets a time limit: a slip that makes it poll forever fails instead of hanging. */
const bounded = () => AbortSignal.timeout(10_000);

function secrets(json: string): string[] {
  return Object.values(JSON.parse(json).RefreshToken ?? {}).map((rt) =>
    (rt as { secret: string; }).secret
  );
}

/** A shared cache "on disk" (a string), and how often it was loaded. */
function sharedStore(initial: string, onLoad?: (n: number, stored: string) => string) {
  const store = { stored: initial, loads: 0 };
  const plugin: CachePlugin = {
    beforeCacheAccess: (ctx) => {
      store.loads++;
      if (onLoad) store.stored = onLoad(store.loads, store.stored);
      ctx.tokenCache.deserialize(store.stored);
    },
    afterCacheAccess: (ctx) => {
      if (ctx.cacheHasChanged) store.stored = ctx.tokenCache.serialize();
    },
  };
  return { store, plugin };
}

describe("settleRefusedRefreshToken", { timeout: 20_000 }, () => {
  it("without a shared cache: removes the refused token at once, without waiting", async () => {
    const { cache, refused } = cacheWith("rt-old");
    const controller = new AbortController();
    // A wait of ten minutes would apply only with a plug-in.
    const settled = settleRefusedRefreshToken(
      cache,
      undefined,
      refused,
      600_000,
      controller.signal,
    );
    await new Promise((resolve) => setTimeout(resolve, 0));
    // Ends a wrong wait, so that the test fails instead of hanging.
    controller.abort();
    assert.equal(await settled, undefined);
    assert.equal(cache.findRefreshTokenByKey(refused.key), undefined);
  });

  it("returns a newer token stored under the same key, and keeps it", async () => {
    const { cache, refused } = cacheWith("rt-old");
    cache.deserialize(rotated(cache.serialize(), "rt-new"));
    const newer = await settleRefusedRefreshToken(cache, undefined, refused, undefined, bounded());
    assert.equal(newer?.key, refused.key);
    assert.equal(newer?.entity.secret, "rt-new");
    assert.equal(cache.findRefreshTokenByKey(refused.key)?.entity.secret, "rt-new");
  });

  it("a token already gone is no newer token", async () => {
    const { cache, refused } = cacheWith("rt-old");
    cache.removeRefreshToken(refused.key);
    assert.equal(
      await settleRefusedRefreshToken(cache, undefined, refused, undefined, bounded()),
      undefined,
    );
  });

  it("with a shared cache: waits for another process's newer token and returns it", async () => {
    const { cache, refused } = cacheWith("rt-old");
    // The other process stores its rotated token on the third load.
    const { store, plugin } = sharedStore(
      cache.serialize(),
      (n, stored) => n === 3 ? rotated(stored, "rt-new") : stored,
    );
    const newer = await settleRefusedRefreshToken(cache, plugin, refused, 5_000, bounded());
    assert.equal(newer?.entity.secret, "rt-new");
    assert.equal(store.loads, 3, "polled until the newer token appeared, then stopped");
    assert.deepEqual(secrets(store.stored), ["rt-new"]);
  });

  it("with a shared cache: removes the refused token after the wait, from the shared copy", async () => {
    const { cache, refused } = cacheWith("rt-old");
    const { store, plugin } = sharedStore(cache.serialize());
    assert.equal(
      await settleRefusedRefreshToken(cache, plugin, refused, 250, bounded()),
      undefined,
    );
    assert.ok(store.loads >= 2, `polled during the wait (${store.loads} loads)`);
    assert.deepEqual(secrets(store.stored), []);
  });

  it("with a shared cache: an abort ends the wait, and nothing is removed", async () => {
    const { cache, refused } = cacheWith("rt-old");
    const { store, plugin } = sharedStore(cache.serialize());
    const controller = new AbortController();
    const settled = settleRefusedRefreshToken(cache, plugin, refused, 600_000, controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 150));
    controller.abort();
    await assert.rejects(
      settled,
      (err: unknown) =>
        err instanceof EntraAuthError && err.code === "aborted"
        && err.message === "Waiting for a newer refresh token was canceled by the application.",
    );
    assert.deepEqual(secrets(store.stored), ["rt-old"]);
  });
});
