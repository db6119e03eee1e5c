/**
 * Where the cache's keys are kept (`src/persistence/key_source.ts`), against a store in
 * memory: one keyring entry per key id, what counts as a key (32 bytes, base64), keyring
 * failures turned into typed errors with advice, and removal that never throws. (The
 * Windows DPAPI source is tested on Windows: `tests/windows/dpapi.test.ts`.)
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KeyringFailure } from "../../ffi/keyring/failure.ts";
import { PersistentCacheError } from "../../src/persistence/errors.ts";
import { keyAccount, keyringError, openKeySource } from "../../src/persistence/key_source.ts";
import { MemorySecretStore } from "./support.ts";

const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const key32 = Uint8Array.from({ length: 32 }, (_, i) => i * 7 + 1);

/** A store whose every call fails with this error. */
class FailingStore extends MemorySecretStore {
  cleared: string[] = [];
  constructor(readonly failure: unknown) {
    super();
  }
  override lookup(): Promise<string | undefined> {
    return Promise.reject(this.failure);
  }
  override store(): Promise<void> {
    return Promise.reject(this.failure);
  }
  override clear(account: string): Promise<boolean> {
    this.cleared.push(account);
    return Promise.reject(this.failure);
  }
}

describe("key_source", () => {
  it("keyAccount: <name>#<key id>, or <name> for the version-1 key", () => {
    assert.equal(keyAccount("token_cache"), "token_cache");
    assert.equal(keyAccount("token_cache", "00ff"), "token_cache#00ff");
  });

  it("create stores a random 32-byte key under a new id, and load finds it by that id", async () => {
    const store = new MemorySecretStore();
    const source = await openKeySource("app", "/tmp/app.json", store);
    assert.equal(source.description, "a test store");
    const a = await source.create();
    const b = await source.create();
    assert.match(a.keyId, /^[0-9a-f]{32}$/);
    assert.notEqual(a.keyId, b.keyId);
    assert.equal(a.key.length, 32);
    assert.notDeepEqual(a.key, b.key);
    assert.deepEqual([...store.secrets.keys()].sort(), [`app#${a.keyId}`, `app#${b.keyId}`].sort());
    assert.equal(store.secrets.get(`app#${a.keyId}`), base64(a.key));
    assert.deepEqual(await source.load(a.keyId), a.key);
    assert.deepEqual(await source.load(b.keyId), b.key);
    assert.equal(await source.load("0".repeat(32)), undefined);
    assert.equal(await source.load(), undefined, "no version-1 key");
  });

  it("the entry's label names the cache and the key id", async () => {
    const labels: string[] = [];
    const store = new (class extends MemorySecretStore {
      override store(account: string, label: string, secret: string) {
        labels.push(label);
        return super.store(account, label, secret);
      }
    })();
    const { keyId } = await (await openKeySource("app", "/tmp/app.json", store)).create();
    assert.deepEqual(labels, [`entra-auth token cache key (app, ${keyId})`]);
  });

  it("load: the version-1 key under the bare name; a stored value that is no key is none", async () => {
    const store = new MemorySecretStore();
    const source = await openKeySource("app", "/tmp/app.json", store);
    store.secrets.set("app", ` ${base64(key32)}\n`);
    assert.deepEqual(await source.load(), key32, "whitespace around it is ignored");
    store.secrets.set("app#short", base64(key32.subarray(0, 31)));
    store.secrets.set("app#long", base64(new Uint8Array(33)));
    store.secrets.set("app#junk", "not base64 !!");
    store.secrets.set("app#empty", "");
    for (const id of ["short", "long", "junk", "empty"]) {
      assert.equal(await source.load(id), undefined, id);
    }
  });

  it("remove clears only that entry, and never throws", async () => {
    const store = new MemorySecretStore();
    const source = await openKeySource("app", "/tmp/app.json", store);
    const a = await source.create();
    const b = await source.create();
    await source.remove(a.keyId);
    assert.deepEqual([...store.secrets.keys()], [`app#${b.keyId}`]);
    await source.remove(a.keyId); // again: nothing there
    const failing = new FailingStore(new KeyringFailure("failed", "refused"));
    await (await openKeySource("app", "/tmp/app.json", failing)).remove(b.keyId);
    assert.deepEqual(failing.cleared, [`app#${b.keyId}`]);
  });

  it("a store's failure on load or create is a typed error naming the store and the file", async () => {
    const cases = [
      ["unavailable", "keyring_unavailable"],
      ["locked", "keyring_locked"],
      ["failed", "keyring_error"],
    ] as const;
    for (const [kind, reason] of cases) {
      const source = await openKeySource(
        "app",
        "/tmp/app.json",
        new FailingStore(new KeyringFailure(kind, `native says ${kind}`)),
      );
      for (const call of [() => source.load("ab"), () => source.load(), () => source.create()]) {
        await assert.rejects(call(), (err: unknown) => {
          assert.ok(err instanceof PersistentCacheError);
          assert.equal(err.reason, reason);
          assert.equal(err.path, "/tmp/app.json");
          assert.match(err.message, /a test store/);
          assert.match(err.message, new RegExp(`native says ${kind}`));
          return true;
        });
      }
    }
  });

  describe("keyringError", () => {
    it("a locked keyring: unlock it and retry; the file was left as it is", () => {
      const err = keyringError(new KeyringFailure("locked", "prompt dismissed"), "KWallet", "/c");
      assert.equal(err.reason, "keyring_locked");
      assert.equal(err.path, "/c");
      assert.equal(
        err.message,
        "The token cache is encrypted with a key kept in KWallet, which is locked: prompt "
          + "dismissed. Unlock the keyring (log in to the desktop session, or unlock it in the "
          + "keyring manager) and retry; the cache file was left as it is.",
      );
    });

    it("no keyring: advice per OS, and the plaintext opt-in", () => {
      const failure = new KeyringFailure("unavailable", "no bus");
      const linux = keyringError(failure, "the Secret Service", "/c", "linux");
      assert.equal(linux.reason, "keyring_unavailable");
      assert.equal(linux.path, "/c");
      assert.equal(
        linux.message,
        "The token cache is encrypted with a key kept in the Secret Service, which cannot be "
          + "reached: no bus. The Secret Service (GNOME Keyring, KWallet, KeePassXC) is reached "
          + "over the D-Bus session bus: run the app inside a desktop session, or start a "
          + "session bus with a keyring (e.g. `dbus-run-session -- sh -c 'echo -n pw | "
          + "gnome-keyring-daemon --unlock --components=secrets; exec your-app'`), or opt into an "
          + "unencrypted cache explicitly with encryption: \"plaintext\" (then only the file's "
          + "0600 permissions protect it).",
      );
      const mac = keyringError(failure, "the macOS Keychain", "/c", "darwin");
      assert.match(mac.message, /reached: no bus\. Run the app in the user's login session/);
      assert.match(mac.message, /encryption: "plaintext"\.$/);
      const win = keyringError(failure, "Windows DPAPI", "/c", "win32");
      assert.match(win.message, /reached: no bus\. DPAPI needs a user profile/);
      assert.match(win.message, /encryption: "plaintext"\.$/);
      assert.match(keyringError(failure, "x", "/c").message, /cannot be reached: no bus\. \S/);
    });

    it("anything else: keyring_error, with the thrown value's text", () => {
      const err = keyringError(new KeyringFailure("failed", "denied"), "the Keychain", "/c");
      assert.equal(err.reason, "keyring_error");
      assert.equal(err.path, "/c");
      assert.equal(
        err.message,
        "the Keychain refused the token cache's key: denied. Unlock the keyring and retry.",
      );
      assert.equal(keyringError(new Error("plain"), "s", "/c").reason, "keyring_error");
      assert.match(keyringError("a string", "s", "/c").message, /key: a string\./);
      assert.match(
        keyringError({ kind: "locked" }, "s", "/c").message,
        /locked: \[object Object\]/,
      );
    });
  });
});
