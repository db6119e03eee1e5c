/**
 * withCache (src/cache/plugin.ts) with an AbortSignal, and its queue: an access still waiting
 * for its turn when the app aborts never runs; an abort during an access answers the caller at
 * once; a finished access never lets a later one overtake one still running.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type CachePlugin, withCache } from "../../src/cache/plugin.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { EntraAuthError } from "../../src/errors.ts";

const plugin: CachePlugin = { beforeCacheAccess() {}, afterCacheAccess() {} };

/** A promise the test resolves by hand. */
function gate(): { promise: Promise<void>; open: () => void; } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => open = resolve);
  return { promise, open };
}

const aborted = (err: unknown) =>
  err instanceof EntraAuthError && err.code === "aborted"
  && err.message === "A token cache access was canceled by the application.";

describe("withCache and the app's AbortSignal", { timeout: 10_000 }, () => {
  it("an access whose signal is already aborted does not run", async () => {
    for (const p of [plugin, undefined]) {
      let ran = false;
      await assert.rejects(
        withCache(new TokenCache(), p, () => ran = true, AbortSignal.abort()),
        aborted,
      );
      assert.equal(ran, false);
    }
  });

  it("an access aborted while waiting for its turn never runs", async () => {
    const cache = new TokenCache();
    const first = gate();
    const running = withCache(cache, plugin, () => first.promise);
    const controller = new AbortController();
    let ran = false;
    const waiting = withCache(cache, plugin, () => ran = true, controller.signal);
    controller.abort();
    await assert.rejects(waiting, aborted);
    first.open();
    await running;
    // The queue moves on: the next access runs after the aborted one's turn.
    assert.equal(await withCache(cache, plugin, () => "next"), "next");
    assert.equal(ran, false);
  });

  it("an abort during an access answers the caller at once; the plug-in sees the signal", async () => {
    const cache = new TokenCache();
    const controller = new AbortController();
    const inside = gate();
    const release = gate();
    let seen: AbortSignal | undefined;
    const spy: CachePlugin = {
      beforeCacheAccess(ctx) {
        seen = ctx.signal;
      },
      afterCacheAccess() {},
    };
    const access = withCache(cache, spy, async () => {
      inside.open();
      await release.promise;
      return "done";
    }, controller.signal);
    await inside.promise;
    controller.abort();
    await assert.rejects(access, aborted);
    assert.equal(seen, controller.signal);
    release.open();
  });
});

describe("withCache's queue", { timeout: 10_000 }, () => {
  it("an access that arrives after the first ended still waits for the second", async () => {
    const cache = new TokenCache();
    const events: string[] = [];
    const second = gate();
    const secondInside = gate();
    const a = withCache(cache, plugin, () => events.push("a"));
    const b = withCache(cache, plugin, async () => {
      events.push("b starts");
      secondInside.open();
      await second.promise;
      events.push("b ends");
    });
    await a;
    await secondInside.promise;
    const c = withCache(cache, plugin, () => events.push("c"));
    // Give c every chance to overtake b.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setTimeout(resolve, 0));
    second.open();
    await Promise.all([b, c]);
    assert.deepEqual(events, ["a", "b starts", "b ends", "c"]);
  });

  it("a failed access does not stop the queue", async () => {
    const cache = new TokenCache();
    const failed = withCache(cache, plugin, () => {
      throw new Error("boom");
    });
    const next = withCache(cache, plugin, () => "ran");
    await assert.rejects(failed, /boom/);
    assert.equal(await next, "ran");
  });
});
