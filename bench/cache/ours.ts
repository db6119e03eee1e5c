/**
 * One process of ours for the cache-size benchmark: loads the persistent cache (a new
 * plug-in's first access) and then commits one new access token (a write), timing each,
 * and prints `{ load, write, rss }` (milliseconds, MiB) as JSON.
 *
 * Usage: ours <cache file> <plaintext|keyring> [name]
 */

import process from "node:process";
import { withCache } from "../../src/cache/plugin.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { createPersistentCache } from "../../src/persistence/persistent_cache.ts";
import { requestContext, tokenResponse, user } from "../../tests/cache/helpers.ts";

const [path, encryption, name] = process.argv.slice(2);
const now = () => Math.floor(Date.now() / 1000);
const plugin = createPersistentCache({
  path,
  name,
  encryption: encryption as "plaintext" | "keyring",
  lockTimeoutMs: 120_000,
  staleLockMs: 600_000,
});
const cache = new TokenCache({ now });
const t0 = performance.now();
const accounts = await withCache(cache, plugin, (c) => c.getAccounts());
const t1 = performance.now();
await withCache(cache, plugin, (c) =>
  c.saveTokenResponse(
    tokenResponse(user(1), { scope: `Bench.${process.pid}`, expiresIn: 86_400 }),
    requestContext({ requestedAt: now() }),
  ));
const t2 = performance.now();
if (accounts.length === 0) throw new Error("the cache did not load");
console.log(JSON.stringify({
  load: t1 - t0,
  write: t2 - t1,
  rss: process.memoryUsage().rss / 2 ** 20,
}));
