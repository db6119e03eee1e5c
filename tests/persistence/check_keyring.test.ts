/**
 * `PersistentCache.checkKeyring()`: the keyring is reached as reading the file would reach it,
 * its failure is the cache's typed error, and nothing is created or changed.
 */

import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { KeyringFailure } from "../../ffi/keyring/failure.ts";
import { PersistentCacheError } from "../../src/persistence/errors.ts";
import { createPersistentCache } from "../../src/persistence/persistent_cache.ts";
import { MemorySecretStore, tempFolder } from "./support.ts";

/** A store whose keyring cannot be reached (as with no session bus). */
class UnreachableStore extends MemorySecretStore {
  override lookup(): Promise<string | undefined> {
    return Promise.reject(new KeyringFailure("unavailable", "no session bus"));
  }
}

describe("PersistentCache.checkKeyring", () => {
  it("throws the cache's keyring error when the keyring cannot be reached", async () => {
    const folder = tempFolder();
    try {
      const cache = createPersistentCache({
        encryption: "keyring",
        path: join(folder.dir, "cache.json"),
        secretStore: new UnreachableStore(),
      });
      await assert.rejects(
        cache.checkKeyring(),
        (e) => e instanceof PersistentCacheError && e.reason === "keyring_unavailable",
      );
    } finally {
      folder.remove();
    }
  });

  it("resolves with a reachable keyring, creating no key and no file", async () => {
    const folder = tempFolder();
    try {
      const store = new MemorySecretStore();
      const path = join(folder.dir, "cache.json");
      await createPersistentCache({ encryption: "keyring", path, secretStore: store })
        .checkKeyring();
      assert.equal(store.secrets.size, 0);
      assert.equal(existsSync(path), false);
      assert.deepEqual(readdirSync(folder.dir), []);
    } finally {
      folder.remove();
    }
  });

  it("needs no keyring for a plaintext cache", async () => {
    const folder = tempFolder();
    try {
      const cache = createPersistentCache({
        encryption: "plaintext",
        path: join(folder.dir, "cache.json"),
        secretStore: new UnreachableStore(),
      });
      await cache.checkKeyring();
    } finally {
      folder.remove();
    }
  });
});
