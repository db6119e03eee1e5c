/**
 * The persistence hook: beforeCacheAccess/afterCacheAccess around each access,
 * cacheHasChanged, errors on either side, and accesses that never interleave.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CacheError } from "../../src/cache/cache_error.ts";
import { type CachePlugin, withCache } from "../../src/cache/plugin.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { now, requestContext, tokenResponse, user } from "./helpers.ts";

/** A plug-in persisting to a string, recording what it saw. */
function memoryPlugin(initial = "{}") {
  const log: string[] = [];
  const state = { stored: initial, writes: 0 };
  const plugin: CachePlugin = {
    beforeCacheAccess(ctx) {
      log.push(`before changed=${ctx.cacheHasChanged}`);
      ctx.tokenCache.deserialize(state.stored);
    },
    async afterCacheAccess(ctx) {
      await Promise.resolve();
      log.push(`after changed=${ctx.cacheHasChanged}`);
      if (ctx.cacheHasChanged) {
        state.stored = ctx.tokenCache.serialize();
        state.writes++;
      }
    },
  };
  return { plugin, log, state };
}

describe("withCache", () => {
  it("calls the plug-in around each access; a read does not count as a change, a write does", async () => {
    const { plugin, log, state } = memoryPlugin();
    const cache = new TokenCache({ now });
    const accounts = await withCache(cache, plugin, (c) => {
      log.push("access");
      return c.getAccounts();
    });
    assert.deepEqual(accounts, []);
    assert.deepEqual(log, ["before changed=false", "access", "after changed=false"]);
    assert.equal(state.writes, 0);
    await withCache(
      cache,
      plugin,
      (c) => c.saveTokenResponse(tokenResponse(user(1)), requestContext()),
    );
    assert.equal(state.writes, 1);
    assert.equal(log.at(-1), "after changed=true");
  });

  it("persists through the plug-in: a fresh cache with the same plug-in sees the sign-in", async () => {
    const { plugin, state } = memoryPlugin();
    await withCache(
      new TokenCache({ now }),
      plugin,
      (c) => c.saveTokenResponse(tokenResponse(user(1)), requestContext()),
    );
    const other = new TokenCache({ now });
    const accounts = await withCache(other, plugin, (c) => c.getAccounts());
    assert.equal(accounts[0].username, user(1).username);
    assert.equal(state.writes, 1);
  });

  it("counts a removal as a change", async () => {
    const { plugin, state } = memoryPlugin();
    const cache = new TokenCache({ now });
    const { account } = await withCache(
      cache,
      plugin,
      (c) => c.saveTokenResponse(tokenResponse(user(1)), requestContext()),
    );
    await withCache(cache, plugin, (c) => c.removeAccount(account));
    assert.equal(state.writes, 2);
    assert.equal(
      JSON.parse(state.stored).Account && Object.keys(JSON.parse(state.stored).Account).length,
      0,
    );
  });

  it("still calls afterCacheAccess when the access throws, and rethrows its error", async () => {
    const { plugin, log } = memoryPlugin();
    const boom = new Error("boom");
    await assert.rejects(
      withCache(new TokenCache({ now }), plugin, () => {
        throw boom;
      }),
      boom,
    );
    assert.deepEqual(log, ["before changed=false", "after changed=false"]);
  });

  it("does not run the access when beforeCacheAccess throws (e.g. a corrupt file)", async () => {
    const { plugin, log } = memoryPlugin("{ truncated");
    let ran = false;
    await assert.rejects(
      withCache(new TokenCache({ now }), plugin, () => {
        ran = true;
      }),
      (err: unknown) => err instanceof CacheError && err.reason === "not_json",
    );
    assert.equal(ran, false);
    assert.deepEqual(log, ["before changed=false"]);
  });

  it("reports an afterCacheAccess failure", async () => {
    const plugin: CachePlugin = {
      beforeCacheAccess() {},
      afterCacheAccess() {
        throw new Error("disk full");
      },
    };
    await assert.rejects(withCache(new TokenCache({ now }), plugin, () => 1), /disk full/);
  });

  it("runs accesses to one cache one at a time", async () => {
    const events: string[] = [];
    const plugin: CachePlugin = {
      async beforeCacheAccess() {
        events.push("before");
        await new Promise((r) => setTimeout(r, 5));
      },
      async afterCacheAccess() {
        await new Promise((r) => setTimeout(r, 1));
        events.push("after");
      },
    };
    const cache = new TokenCache({ now });
    const results = await Promise.all(
      [1, 2, 3].map((n) =>
        withCache(cache, plugin, async () => {
          events.push(`access ${n}`);
          await new Promise((r) => setTimeout(r, 3));
          return n;
        })
      ),
    );
    assert.deepEqual(results, [1, 2, 3]);
    assert.deepEqual(events, [
      "before",
      "access 1",
      "after",
      "before",
      "access 2",
      "after",
      "before",
      "access 3",
      "after",
    ]);
  });

  it("runs the access alone without a plug-in", async () => {
    assert.equal(await withCache(new TokenCache(), undefined, () => 42), 42);
  });
});
