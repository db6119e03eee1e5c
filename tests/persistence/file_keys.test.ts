/**
 * The keys of one cache file (`src/persistence/file_keys.ts`), against a store in memory:
 * which key a write uses, what decrypting gives (and says) when the key is missing or wrong,
 * the look-ups it makes and does not make (none under the lock), the retry with a replaced
 * version-1 key, and removing keys (a key that lost the race, and everything on clear).
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KeyringFailure } from "../../ffi/keyring/failure.ts";
import { newKeyId, seal, sealV1 } from "../../src/persistence/envelope.ts";
import { PersistentCacheError } from "../../src/persistence/errors.ts";
import { FileKeys } from "../../src/persistence/file_keys.ts";
import { MemorySecretStore } from "./support.ts";

const PATH = "/tmp/entra-file-keys/cache.json";
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const randomKey = () => crypto.getRandomValues(new Uint8Array(32));

/** A memory store that counts look-ups and can fail. */
class CountingStore extends MemorySecretStore {
  lookups: string[] = [];
  cleared: string[] = [];
  fail: unknown;
  override lookup(account: string): Promise<string | undefined> {
    this.lookups.push(account);
    if (this.fail) return Promise.reject(this.fail);
    return super.lookup(account);
  }
  override clear(account: string): Promise<boolean> {
    this.cleared.push(account);
    return super.clear(account);
  }
  /** Puts a key into the store under the cache's name (and a key id). */
  put(name: string, keyId: string | undefined, key: Uint8Array): void {
    this.secrets.set(keyId === undefined ? name : `${name}#${keyId}`, base64(key));
  }
}

/** A version-2 file sealed with this key. */
const sealed = async (text: string, keyId: string, key: Uint8Array, path = PATH) =>
  await seal(text, key, { keyId, path });

describe("FileKeys", () => {
  describe("forWrite", () => {
    it("no file, or a plaintext file: one key of its own, created once and kept in memory", async () => {
      const store = new CountingStore();
      const keys = new FileKeys("app", PATH, store);
      const first = await keys.forWrite(undefined);
      assert.match(first.keyId, /^[0-9a-f]{32}$/);
      assert.equal(first.key.length, 32);
      assert.deepEqual([...store.secrets.keys()], [`app#${first.keyId}`]);
      const again = await keys.forWrite(new TextEncoder().encode("{\"Account\":{}}"));
      assert.equal(again, first, "the same key, not a new one");
      assert.equal(store.secrets.size, 1);
      assert.deepEqual(keys.cached(first.keyId), first.key, "kept in memory");
      assert.deepEqual(store.lookups, [], "no look-up for a file that names no key");
    });

    it("a file that names a key the keyring holds: that key (every writer converges)", async () => {
      const store = new CountingStore();
      const theirs = { keyId: newKeyId(), key: randomKey() };
      store.put("app", theirs.keyId, theirs.key);
      const keys = new FileKeys("app", PATH, store);
      const header = await sealed("{}", theirs.keyId, theirs.key);
      const got = await keys.forWrite(header);
      assert.equal(got.keyId, theirs.keyId);
      assert.deepEqual(got.key, theirs.key);
      assert.equal(store.secrets.size, 1, "no key created");
      await keys.forWrite(header);
      assert.deepEqual(store.lookups, [`app#${theirs.keyId}`], "looked up once");
    });

    it("a file whose key the keyring lacks, or a version-1 file: a key of its own", async () => {
      const store = new CountingStore();
      const keys = new FileKeys("app", PATH, store);
      const missing = await sealed("{}", newKeyId(), randomKey());
      const own = await keys.forWrite(missing);
      assert.deepEqual([...store.secrets.keys()], [`app#${own.keyId}`]);
      // A version-1 file names no key id: its key (under the bare name) is not written with.
      const v1Key = randomKey();
      store.put("app", undefined, v1Key);
      const fromV1 = await keys.forWrite(await sealV1("{}", v1Key));
      assert.equal(fromV1.keyId, own.keyId);
      assert.notDeepEqual(fromV1.key, v1Key);
    });
  });

  describe("forWrite when the file is gone", () => {
    it("checks that a key it wrote with is still in the keyring; a new key if not", async () => {
      const store = new CountingStore();
      const keys = new FileKeys("app", PATH, store);
      const own = await keys.forWrite(undefined);
      assert.equal(await keys.forWrite(undefined), own, "not written yet: no look-up");
      assert.deepEqual(store.lookups, []);
      keys.written(own.keyId);
      assert.equal(await keys.forWrite(undefined), own, "still in the keyring: kept");
      assert.deepEqual(store.lookups, [`app#${own.keyId}`]);
      // Another process's clear() removed the file and its key.
      store.secrets.delete(`app#${own.keyId}`);
      const next = await keys.forWrite(undefined);
      assert.notEqual(next.keyId, own.keyId);
      assert.deepEqual([...store.secrets.keys()], [`app#${next.keyId}`]);
      // A plaintext file (a header that is not ours) does not make it look up.
      keys.written(next.keyId);
      const lookups = store.lookups.length;
      assert.equal(await keys.forWrite(new TextEncoder().encode("{}")), next);
      assert.equal(store.lookups.length, lookups);
    });
  });

  describe("known and cached", () => {
    it("asks the keyring once per key id, remembers a missing key too, reloads when told", async () => {
      const store = new CountingStore();
      const keys = new FileKeys("app", PATH, store);
      const id = newKeyId();
      assert.equal(keys.cached(id), undefined, "not asked yet");
      assert.equal(await keys.known(id), undefined);
      assert.equal(keys.cached(id), null, "asked: the keyring lacks it");
      assert.equal(await keys.known(id), undefined);
      assert.equal(store.lookups.length, 1);
      const key = randomKey();
      store.put("app", id, key);
      assert.equal(await keys.known(id), undefined, "from memory");
      assert.deepEqual(await keys.known(id, true), key, "reloaded");
      assert.deepEqual(keys.cached(id), key);
      assert.deepEqual(await keys.known(id), key);
      assert.equal(store.lookups.length, 2);
      // the version-1 key: under "" in memory, the bare name in the keyring
      const v1 = randomKey();
      store.put("app", undefined, v1);
      assert.deepEqual(await keys.known(undefined), v1);
      assert.deepEqual(keys.cached(undefined), v1);
      assert.equal(store.lookups.at(-1), "app");
    });

    it("a keyring that fails is a typed error, and the next call tries to open it again", async () => {
      const store = new CountingStore();
      store.fail = new KeyringFailure("locked", "collection locked");
      const keys = new FileKeys("app", PATH, store);
      await assert.rejects(
        keys.known(newKeyId()),
        (err: unknown) => err instanceof PersistentCacheError && err.reason === "keyring_locked",
      );
      store.fail = undefined;
      const id = newKeyId();
      const key = randomKey();
      store.put("app", id, key);
      assert.deepEqual(await keys.known(id), key);
    });

    it("a key source that cannot be opened is opened again on the next call", async () => {
      let opened = 0;
      const store = new CountingStore();
      // A store whose description getter throws once: openKeySource fails that time only.
      Object.defineProperty(store, "description", {
        get() {
          if (++opened === 1) throw new Error("no keyring yet");
          return "a test store";
        },
      });
      const keys = new FileKeys("app", PATH, store);
      await assert.rejects(keys.source(), /no keyring yet/);
      assert.equal((await keys.source()).description, "a test store");
      assert.equal(await keys.source(), await keys.source(), "then kept");
    });
  });

  describe("decrypt", () => {
    it("with the key in memory, and no look-up allowed: the text", async () => {
      const store = new CountingStore();
      const keys = new FileKeys("app", PATH, store);
      const { keyId, key } = await keys.forWrite(undefined);
      const bytes = await sealed("{\"a\":1}", keyId, key);
      assert.deepEqual(await keys.decrypt(bytes, PATH, { mayUseKeyring: false }), {
        ok: true,
        text: "{\"a\":1}",
      });
      assert.deepEqual(store.lookups, []);
    });

    it("a key not in memory, look-ups not allowed (under the lock): needs a look-up first", async () => {
      const store = new CountingStore();
      const id = newKeyId();
      const key = randomKey();
      store.put("app", id, key);
      const keys = new FileKeys("app", PATH, store);
      const bytes = await sealed("{}", id, key);
      assert.deepEqual(await keys.decrypt(bytes, PATH, { mayUseKeyring: false }), { ok: "key" });
      assert.deepEqual(store.lookups, []);
      assert.deepEqual(await keys.decrypt(bytes, PATH, { mayUseKeyring: true }), {
        ok: true,
        text: "{}",
      });
      assert.deepEqual(store.lookups, [`app#${id}`]);
    });

    it("a key the keyring lacked is asked for again when look-ups are allowed", async () => {
      const store = new CountingStore();
      const id = newKeyId();
      const key = randomKey();
      const keys = new FileKeys("app", PATH, store);
      const bytes = await sealed("{}", id, key);
      const lacking = await keys.decrypt(bytes, PATH, { mayUseKeyring: true });
      assert.equal(lacking.ok, false);
      // Under the lock the answer from memory (null) stands: no look-up, key_not_found.
      const underLock = await keys.decrypt(bytes, PATH, { mayUseKeyring: false });
      assert.equal(underLock.ok === false && underLock.reason, "key_not_found");
      assert.equal(store.lookups.length, 1);
      store.put("app", id, key); // another process stored it meanwhile
      assert.deepEqual(await keys.decrypt(bytes, PATH, { mayUseKeyring: true }), {
        ok: true,
        text: "{}",
      });
      assert.equal(store.lookups.length, 2);
    });

    it("key_not_found names the key id and the store; undecryptable for version 1", async () => {
      const store = new CountingStore();
      const keys = new FileKeys("my_cache", PATH, store);
      const id = newKeyId();
      assert.deepEqual(
        await keys.decrypt(await sealed("{}", id, randomKey()), PATH, { mayUseKeyring: true }),
        {
          ok: false,
          reason: "key_not_found",
          what: `is encrypted with the key ${id}, which a test store does not hold (it was `
            + "removed, or the file comes from another user or machine)",
        },
      );
      assert.deepEqual(
        await keys.decrypt(await sealV1("{}", randomKey()), PATH, { mayUseKeyring: true }),
        {
          ok: false,
          reason: "undecryptable",
          what: "cannot be decrypted: a test store holds no key for the cache \"my_cache\" (the "
            + "key was removed or replaced)",
        },
      );
    });

    it("the wrong key, an altered file, or a file for another path: undecryptable", async () => {
      const store = new CountingStore();
      const keys = new FileKeys("app", PATH, store);
      const { keyId, key } = await keys.forWrite(undefined);
      const expected = {
        ok: false,
        reason: "undecryptable",
        what: "cannot be decrypted with its key (the file was altered or damaged, or it was "
          + "encrypted for another path and copied here)",
      };
      const elsewhere = await sealed("{}", keyId, key, "/elsewhere/cache.json");
      assert.deepEqual(await keys.decrypt(elsewhere, PATH, { mayUseKeyring: true }), expected);
      const altered = await sealed("{}", keyId, key);
      altered[altered.length - 1] ^= 1;
      assert.deepEqual(await keys.decrypt(altered, PATH, { mayUseKeyring: true }), expected);
      assert.deepEqual(store.lookups, [], "a key id in memory is not looked up again");
    });

    it("a version-1 key replaced in the keyring: asked once more, then the file opens", async () => {
      const store = new CountingStore();
      const keys = new FileKeys("app", PATH, store);
      const old = randomKey();
      store.put("app", undefined, old);
      assert.deepEqual(await keys.known(undefined), old);
      const replaced = randomKey();
      store.put("app", undefined, replaced);
      const bytes = await sealV1("{\"v\":1}", replaced);
      // Under the lock: no look-up, undecryptable for now.
      const locked = await keys.decrypt(bytes, PATH, { mayUseKeyring: false });
      assert.equal(locked.ok === false && locked.reason, "undecryptable");
      assert.equal(store.lookups.length, 1);
      assert.deepEqual(await keys.decrypt(bytes, PATH, { mayUseKeyring: true }), {
        ok: true,
        text: "{\"v\":1}",
      });
      assert.equal(store.lookups.length, 2);
      assert.deepEqual(keys.cached(undefined), replaced);
      // A version-1 file that no key opens: asked once more, then undecryptable.
      const other = await sealV1("{}", randomKey());
      const result = await keys.decrypt(other, PATH, { mayUseKeyring: true });
      assert.equal(result.ok === false && result.reason, "undecryptable");
      assert.equal(store.lookups.length, 3);
    });

    it("a version-2 file that its key does not open is not looked up again", async () => {
      const store = new CountingStore();
      const id = newKeyId();
      store.put("app", id, randomKey());
      const keys = new FileKeys("app", PATH, store);
      await keys.known(id);
      const bytes = await sealed("{}", id, randomKey());
      const result = await keys.decrypt(bytes, PATH, { mayUseKeyring: true });
      assert.equal(result.ok === false && result.reason, "undecryptable");
      assert.equal(store.lookups.length, 1);
    });
  });

  describe("removing keys", () => {
    it("dropUnused removes this process's key when it lost the race, and only then", async () => {
      const store = new CountingStore();
      const keys = new FileKeys("app", PATH, store);
      await keys.dropUnused(newKeyId()); // no key of its own: nothing
      const own = await keys.forWrite(undefined);
      await keys.dropUnused(undefined); // the file names no key
      await keys.dropUnused(own.keyId); // the file names ours
      assert.deepEqual(store.cleared, []);
      assert.deepEqual(keys.cached(own.keyId), own.key);
      const winner = newKeyId();
      await keys.dropUnused(winner);
      assert.deepEqual(store.cleared, [`app#${own.keyId}`]);
      assert.equal(store.secrets.size, 0);
      assert.equal(keys.cached(own.keyId), undefined, "forgotten");
      const next = await keys.forWrite(undefined);
      assert.notEqual(next.keyId, own.keyId, "a new key is created for the next write");
    });

    it("dropUnused keeps a key a file was written with", async () => {
      const store = new CountingStore();
      const keys = new FileKeys("app", PATH, store);
      keys.written(newKeyId()); // written with the file's key, none of its own yet
      const own = await keys.forWrite(undefined);
      keys.written(newKeyId()); // another key: does not count
      await keys.dropUnused(newKeyId());
      assert.deepEqual(store.cleared, [`app#${own.keyId}`]);
      const second = await keys.forWrite(undefined);
      keys.written(second.keyId);
      await keys.dropUnused(newKeyId());
      assert.deepEqual(store.cleared, [`app#${own.keyId}`], "the written key stays");
      assert.equal((await keys.forWrite(undefined)).keyId, second.keyId);
    });

    it("removeAll removes the file's key and this process's, once each, and forgets all", async () => {
      const store = new CountingStore();
      const keys = new FileKeys("app", PATH, store);
      const own = await keys.forWrite(undefined);
      const fileId = newKeyId();
      store.put("app", fileId, randomKey());
      await keys.known(fileId);
      await keys.removeAll(fileId);
      assert.deepEqual(store.cleared.sort(), [`app#${fileId}`, `app#${own.keyId}`].sort());
      assert.equal(store.secrets.size, 0);
      assert.equal(keys.cached(fileId), undefined);
      assert.equal(keys.cached(own.keyId), undefined);
      assert.notEqual((await keys.forWrite(undefined)).keyId, own.keyId, "a new key after");
      store.cleared = [];
      const mine = await keys.forWrite(undefined);
      await keys.removeAll(mine.keyId);
      assert.deepEqual(store.cleared, [`app#${mine.keyId}`], "the same id once");
      store.cleared = [];
      await keys.removeAll(undefined);
      assert.deepEqual(store.cleared, [], "no key known: nothing removed");
    });
  });
});
