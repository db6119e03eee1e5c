/**
 * Windows DPAPI (ffi/keyring/dpapi.ts) and the persistent cache encrypted with it, run for real
 * under Wine (scripts/wine/run.sh) in the Windows builds of Deno, Bun and Node. Skipped, by an
 * explicit platform check, everywhere but Windows.
 */

import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { dpapiProtect, dpapiUnprotect } from "../../ffi/keyring/dpapi.ts";
import { KeyringFailure } from "../../ffi/keyring/failure.ts";
import { withCache } from "../../src/cache/plugin.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { keyIdOf, MAGIC } from "../../src/persistence/envelope.ts";
import { createPersistentCache } from "../../src/persistence/persistent_cache.ts";
import { requestContext, tokenResponse, user } from "../cache/helpers.ts";
import { readCacheFile, tempFolder } from "../persistence/support.ts";

const notWindows = process.platform !== "win32" && "needs Windows (scripts/wine/run.sh)";

describe("DPAPI round trips", { skip: notWindows }, () => {
  it("protects and unprotects bytes, and the sealed form differs from the input", async () => {
    const data = new TextEncoder().encode("a 32-byte token cache key, é 🔐");
    const sealed = await dpapiProtect(data);
    assert.ok(sealed.length > data.length, "DPAPI adds its header and MAC");
    assert.equal(new TextDecoder().decode(sealed).includes("token cache key"), false);
    assert.deepEqual(await dpapiUnprotect(sealed), data);
  });

  it("round-trips 1 MiB of random bytes", async () => {
    const data = new Uint8Array(1 << 20);
    for (let i = 0; i < data.length; i += 65536) {
      crypto.getRandomValues(data.subarray(i, i + 65536));
    }
    assert.deepEqual(await dpapiUnprotect(await dpapiProtect(data)), data);
  });

  it("round-trips empty data", async () => {
    assert.deepEqual(await dpapiUnprotect(await dpapiProtect(new Uint8Array())), new Uint8Array());
  });

  it("two seals of the same bytes differ (random salt) and both open", async () => {
    const data = crypto.getRandomValues(new Uint8Array(32));
    const [a, b] = [await dpapiProtect(data), await dpapiProtect(data)];
    assert.notDeepEqual(a, b);
    assert.deepEqual(await dpapiUnprotect(a), data);
    assert.deepEqual(await dpapiUnprotect(b), data);
  });

  it("refuses a tampered blob with a KeyringFailure, not a crash", async () => {
    const sealed = await dpapiProtect(crypto.getRandomValues(new Uint8Array(32)));
    sealed[sealed.length - 5] ^= 0xff;
    const err = await dpapiUnprotect(sealed).catch((e) => e);
    assert.ok(err instanceof KeyringFailure, String(err));
    assert.equal(err.kind, "failed");
    assert.match(err.message, /CryptUnprotectData failed/);
  });

  it("refuses bytes that are not a DPAPI blob", async () => {
    for (
      const junk of [new Uint8Array([1, 2, 3]), new TextEncoder().encode("{}"), new Uint8Array(0)]
    ) {
      const err = await dpapiUnprotect(junk).catch((e) => e);
      assert.ok(err instanceof KeyringFailure, String(err));
    }
  });
});

describe("persistent cache encrypted with DPAPI", { skip: notWindows }, () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());
  const now = () => Math.floor(Date.now() / 1000);
  const save = (path: string, n: number) =>
    withCache(
      new TokenCache({ now }),
      createPersistentCache({ path, encryption: "keyring" }),
      (c) => c.saveTokenResponse(tokenResponse(user(n)), requestContext({ requestedAt: now() })),
    );
  const usernames = async (path: string) =>
    (await withCache(
      new TokenCache({ now }),
      createPersistentCache({ path, encryption: "keyring" }),
      (c) => c.getAccounts(),
    )).map((a) => a.username).sort();

  // Each file has a key of its own, sealed in `<path>.<key id>.key` (the id is in the header).
  const sealedKeyPath = (path: string) =>
    `${path}.${keyIdOf(new Uint8Array(readFileSync(path)))}.key`;

  it("writes an encrypted file, its key sealed by DPAPI in <path>.<key id>.key, and reads it back", async () => {
    const path = join(folder.dir, "one", "cache.json");
    await save(path, 1);
    const bytes = new Uint8Array(readFileSync(path));
    assert.deepEqual(bytes.slice(0, MAGIC.length), MAGIC);
    assert.ok(existsSync(sealedKeyPath(path)), "the sealed key file exists");
    const key = await dpapiUnprotect(new Uint8Array(readFileSync(sealedKeyPath(path))));
    assert.equal(key.length, 32);
    const doc = await readCacheFile(path, key);
    assert.equal(Object.keys(doc.Account).length, 1);
    assert.deepEqual(await usernames(path), ["user1@contoso.com"]);
  });

  it("merges writes (atomic replace over an existing file) and leaves no temp or lock files", async () => {
    const path = join(folder.dir, "two", "cache.json");
    for (const n of [2, 3, 4]) await save(path, n);
    assert.deepEqual(await usernames(path), [
      "user2@contoso.com",
      "user3@contoso.com",
      "user4@contoso.com",
    ]);
    assert.deepEqual(readdirSync(join(folder.dir, "two")).sort(), [
      "cache.json",
      sealedKeyPath(path).slice(join(folder.dir, "two").length + 1),
    ]);
  });

  it("a damaged sealed key is a typed error, not a crash or silent data loss", async () => {
    const path = join(folder.dir, "three", "cache.json");
    await save(path, 5);
    const keyPath = sealedKeyPath(path);
    const sealed = new Uint8Array(readFileSync(keyPath));
    sealed[sealed.length - 3] ^= 0xff;
    writeFileSync(keyPath, sealed);
    const err = await usernames(path).catch((e) => e);
    assert.ok(err instanceof Error && "code" in err, String(err));
    assert.match(String((err as { code: string; }).code), /keyring|cache/);
  });
});
