/**
 * The persistent cache's writes and clear with encryption (`persistent_cache.ts`, against a
 * store in memory): writers converge on the key the file names and drop the key they made
 * for nothing, clear() removes the keys with the file, a file removed meanwhile is written
 * again, and leftovers of killed writers are removed by the first write.
 */

import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { withCache } from "../../src/cache/plugin.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { isEncrypted, keyIdOf, newKeyId, open, seal } from "../../src/persistence/envelope.ts";
import { PersistentCacheError } from "../../src/persistence/errors.ts";
import { keyAccount } from "../../src/persistence/key_source.ts";
import { canonicalCachePath } from "../../src/persistence/location.ts";
import { FileLock } from "../../src/persistence/lock.ts";
import {
  createPersistentCache,
  type PersistentCacheOptions,
} from "../../src/persistence/persistent_cache.ts";
import { requestContext, tokenResponse, user } from "../cache/helpers.ts";
import { MemorySecretStore, simulatedProcess, tempFolder } from "./support.ts";

const realNow = () => Math.floor(Date.now() / 1000);
const names = async (p: ReturnType<typeof simulatedProcess>) =>
  (await p.accounts()).map((a) => a.username).sort();

/** The key ids a store holds for the cache name. */
const keyIds = (store: MemorySecretStore, name: string) =>
  [...store.secrets.keys()].filter((k) => k.startsWith(`${name}#`)).map((k) =>
    k.slice(name.length + 1)
  );

const fileKeyId = (path: string) => keyIdOf(new Uint8Array(readFileSync(path)));

/** A store that runs `hook` once, the first time a key is stored (then behaves as usual). */
class HookedStore extends MemorySecretStore {
  constructor(readonly shared: Map<string, string>, public hook?: () => Promise<void>) {
    super();
  }
  override lookup(account: string) {
    return Promise.resolve(this.shared.get(account));
  }
  override async store(account: string, _label: string, secret: string) {
    this.shared.set(account, secret);
    const hook = this.hook;
    this.hook = undefined;
    await hook?.();
  }
  override clear(account: string) {
    return Promise.resolve(this.shared.delete(account));
  }
}

describe("persistent cache: keys, clear, and what a write leaves", () => {
  let folder: ReturnType<typeof tempFolder>;
  let n = 0;
  const newPath = () => join(folder.dir, `case${n++}`, "cache.json");
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("a second writer writes with the file's key, and keeps no key of its own", async () => {
    const stored: string[] = [];
    const store = new (class extends MemorySecretStore {
      override store(account: string, label: string, secret: string) {
        stored.push(account);
        return super.store(account, label, secret);
      }
    })();
    const path = newPath();
    const options = { encryption: "keyring" as const, secretStore: store, name: "conv" };
    await simulatedProcess(path, options).save(1);
    const first = fileKeyId(path);
    assert.deepEqual(keyIds(store, "conv"), [first]);
    const b = simulatedProcess(path, options);
    await b.save(2);
    assert.equal(fileKeyId(path), first, "the file keeps its key");
    assert.deepEqual(keyIds(store, "conv"), [first]);
    assert.deepEqual(stored, [keyAccount("conv", first)], "no second key made (and removed)");
    assert.deepEqual((await b.accounts()).map((a) => a.username).sort(), [
      "user1@contoso.com",
      "user2@contoso.com",
    ]);
  });

  it("a writer whose key lost the race writes with the winner's key, then drops its own", async () => {
    const shared = new Map<string, string>();
    const path = newPath();
    const a = simulatedProcess(path, {
      encryption: "keyring",
      secretStore: new HookedStore(shared),
      name: "race",
    });
    // B makes its key first; while it stores it, A creates the file with a key of its own.
    const b = simulatedProcess(path, {
      encryption: "keyring",
      secretStore: new HookedStore(shared, async () => {
        await a.save(1);
      }),
      name: "race",
    });
    await b.save(2);
    const winner = fileKeyId(path);
    assert.ok(winner);
    assert.deepEqual([...shared.keys()], [keyAccount("race", winner)], "B's key removed");
    const fresh = simulatedProcess(path, {
      encryption: "keyring",
      secretStore: new HookedStore(shared),
      name: "race",
      onCorrupt: "throw",
    });
    assert.deepEqual((await fresh.accounts()).map((x) => x.username).sort(), [
      "user1@contoso.com",
      "user2@contoso.com",
    ]);
  });

  it("clear() removes the file, its backups and its key; the next write makes a new key", async () => {
    const store = new MemorySecretStore();
    const path = newPath();
    const p = simulatedProcess(path, { encryption: "keyring", secretStore: store, name: "clr" });
    await p.save(1);
    const old = fileKeyId(path);
    writeFileSync(`${path}.corrupt-2000-01-01T00-00-00-000Z`, "x");
    await p.plugin.clear();
    assert.equal(existsSync(path), false);
    assert.deepEqual(readdirSync(dirname(path)).filter((f) => f.includes("corrupt")), []);
    assert.deepEqual(keyIds(store, "clr"), [], "no key left in the keyring");
    await p.save(2);
    const next = fileKeyId(path);
    assert.ok(next && next !== old, "a new key");
    assert.deepEqual(keyIds(store, "clr"), [next]);
    assert.deepEqual((await p.accounts()).map((a) => a.username), ["user2@contoso.com"]);
  });

  it("clear() of another process's file removes the key that file names", async () => {
    const store = new MemorySecretStore();
    const path = newPath();
    const options = { encryption: "keyring" as const, secretStore: store, name: "clr2" };
    await simulatedProcess(path, options).save(1);
    assert.equal(keyIds(store, "clr2").length, 1);
    await simulatedProcess(path, options).plugin.clear();
    assert.deepEqual(keyIds(store, "clr2"), []);
    assert.equal(existsSync(path), false);
  });

  /**
   * Runs `body` with `hook` called as each `FileLock.acquire` starts (1, 2, …): a save has
   * chosen its key by then, and takes the lock next. No sleep: a slow machine must not let the
   * save choose its key after the hook (the race would then not be tested at all).
   */
  async function onLockAsked<T>(hook: (call: number) => void, body: () => Promise<T>): Promise<T> {
    const acquire = FileLock.acquire;
    let calls = 0;
    FileLock.acquire = function(this: typeof FileLock, ...args: Parameters<typeof acquire>) {
      hook(++calls);
      return acquire.apply(this, args);
    };
    try {
      return await body();
    } finally {
      FileLock.acquire = acquire;
    }
  }

  it("a clear() by another process between this one's key choice and its lock: a new key", async () => {
    // This process picked the file's key (before the lock, as every write does); another
    // process then cleared the cache (file and key gone); this write must not bring the file
    // back sealed with the removed key, which no other process could read.
    const store = new MemorySecretStore();
    const path = newPath();
    const options = { encryption: "keyring" as const, secretStore: store, name: "race" };
    const p = simulatedProcess(path, options);
    await p.save(1);
    const removed = fileKeyId(path);
    await onLockAsked((call) => {
      if (call !== 1) return;
      // What another process's clear() does under the lock: the file and its key go.
      rmSync(path);
      store.secrets.delete(keyAccount("race", removed));
    }, () => p.save(2));
    const next = fileKeyId(path);
    assert.ok(next && next !== removed, "sealed with a new key");
    const reader = simulatedProcess(path, { ...options, onCorrupt: "throw" });
    // (user1 was signed out by the clear; the new sign-in is kept, readable by all)
    assert.deepEqual(await names(reader), ["user2@contoso.com"]);
  });

  it("the same race in a process that never made a key of its own (it read the file's)", async () => {
    const store = new MemorySecretStore();
    const path = newPath();
    const options = { encryption: "keyring" as const, secretStore: store, name: "race2" };
    await simulatedProcess(path, options).save(1);
    const removed = fileKeyId(path);
    const p = simulatedProcess(path, options);
    assert.deepEqual(await names(p), ["user1@contoso.com"]);
    await onLockAsked((call) => {
      if (call !== 1) return;
      rmSync(path);
      store.secrets.delete(keyAccount("race2", removed));
    }, () => p.save(2));
    const next = fileKeyId(path);
    assert.ok(next && next !== removed, "sealed with a new key");
    const reader = simulatedProcess(path, { ...options, onCorrupt: "throw" });
    assert.deepEqual(await names(reader), ["user2@contoso.com"]);
  });

  it("the same race after this process lost a first race: its unwritten key is not the one", async () => {
    // B makes a key; while it stores it, A writes the file with its own key; B retries with
    // A's key (its own still unwritten); a clear() then removes the file and A's key before
    // B's lock. B must not seal the file with A's removed key.
    const shared = new Map<string, string>();
    const path = newPath();
    const options = { encryption: "keyring" as const, name: "race3" };
    const a = simulatedProcess(path, { ...options, secretStore: new HookedStore(shared) });
    const b = simulatedProcess(path, {
      ...options,
      secretStore: new HookedStore(shared, async () => {
        await a.save(1);
      }),
    });
    let calls = 0;
    let removed: string | undefined;
    await onLockAsked((call) => {
      // 1: A's save (in B's store hook); 2: B's first try (A's file: key retry); 3: B again.
      calls = call;
      if (call !== 3) return;
      removed = fileKeyId(path);
      rmSync(path);
      shared.delete(keyAccount("race3", removed!));
    }, () => b.save(2));
    assert.ok(removed && calls >= 3, `the clear happened before B's second lock (${calls})`);
    const next = fileKeyId(path);
    assert.ok(next && next !== removed, "sealed with a key the keyring holds");
    assert.ok(shared.has(keyAccount("race3", next)));
    const reader = simulatedProcess(path, {
      ...options,
      secretStore: new HookedStore(shared),
      onCorrupt: "throw",
    });
    assert.deepEqual(await names(reader), ["user2@contoso.com"]);
  });

  it("the first write of a new cache asks the keyring for no key (it stores the one it makes)", async () => {
    // A keyring look-up may prompt the user (macOS) or cost a D-Bus round trip: a key this
    // process made and has not written with yet cannot have been removed, so it is not checked.
    const looked: string[] = [];
    const store = new (class extends MemorySecretStore {
      override lookup(account: string) {
        looked.push(account);
        return super.lookup(account);
      }
    })();
    const path = newPath();
    const p = simulatedProcess(path, { encryption: "keyring", secretStore: store, name: "first" });
    await p.save(1);
    assert.ok(isEncrypted(new Uint8Array(readFileSync(path))));
    assert.deepEqual(looked, []);
    assert.equal(keyIds(store, "first").length, 1);
  });

  it("an encrypted file removed by hand (its key kept) is written again, with that key", async () => {
    const store = new MemorySecretStore();
    const path = newPath();
    const options = { encryption: "keyring" as const, secretStore: store, name: "byhand" };
    const p = simulatedProcess(path, options);
    await p.save(1);
    const kept = fileKeyId(path);
    rmSync(path); // not a clear(): the key stays in the keyring
    await p.save(2);
    assert.equal(fileKeyId(path), kept);
    assert.deepEqual(keyIds(store, "byhand"), [kept]);
    // (a removed file reads as a sign-out of what it held: user1 is gone; the new sign-in is
    // kept, readable by all)
    const reader = simulatedProcess(path, { ...options, onCorrupt: "throw" });
    assert.deepEqual(await names(reader), ["user2@contoso.com"]);
  });

  it("clear() removes the keys while it holds the lock (a writer after it cannot pick them)", async () => {
    const path = newPath();
    const lockHeld: boolean[] = [];
    const store = new (class extends MemorySecretStore {
      override clear(account: string) {
        lockHeld.push(existsSync(`${path}.lock`));
        return super.clear(account);
      }
    })();
    const p = simulatedProcess(path, { encryption: "keyring", secretStore: store, name: "hold" });
    await p.save(1);
    await p.plugin.clear();
    assert.deepEqual(lockHeld, [true]);
  });

  it("a plaintext clear() leaves the keyring alone", async () => {
    const store = new MemorySecretStore();
    store.secrets.set("other#00", "x");
    const path = newPath();
    const p = simulatedProcess(path, { secretStore: store, name: "other" });
    await p.save(1);
    await p.plugin.clear();
    assert.deepEqual([...store.secrets.keys()], ["other#00"]);
  });

  it("a file removed since it was read is written again by the next save", async () => {
    const path = newPath();
    const p = simulatedProcess(path);
    await p.save(1);
    await p.accounts();
    await simulatedProcess(path).plugin.clear();
    await p.save(1); // the same account again: nothing new for the cache, but no file
    assert.ok(existsSync(path));
    assert.deepEqual((await simulatedProcess(path).accounts()).map((a) => a.username), [
      "user1@contoso.com",
    ]);
  });

  it("the first write removes old leftovers of killed writers, and keeps fresh ones", async () => {
    const path = newPath();
    mkdirSync(dirname(path), { recursive: true });
    const old = `${path}.tmp-1-old`;
    const fresh = `${path}.tmp-2-fresh`;
    writeFileSync(old, "half a cache");
    writeFileSync(fresh, "being written");
    const then = Date.now() / 1000 - 3600;
    utimesSync(old, then, then);
    await simulatedProcess(path).save(1);
    assert.equal(existsSync(old), false);
    assert.equal(existsSync(fresh), true);
  });

  it("an encrypted write is sealed with the key the file names (readable by a new process)", async () => {
    const store = new MemorySecretStore();
    const path = newPath();
    const options = { encryption: "keyring" as const, secretStore: store, name: "enc" };
    await simulatedProcess(path, options).save(1);
    assert.ok(isEncrypted(new Uint8Array(readFileSync(path))));
    const reader = simulatedProcess(path, { ...options, onCorrupt: "throw" });
    assert.deepEqual((await reader.accounts()).map((a) => a.username), ["user1@contoso.com"]);
  });
  it("a file whose key changes on every attempt: keyring_error after 4, nothing written", async () => {
    const shared = new Map<string, string>();
    const path = newPath();
    const canonical = async () => await canonicalCachePath(path);
    let armed = false;
    let rewrites = 0;
    /** Another writer puts a file with a new key in place. */
    const rewrite = async () => {
      rewrites++;
      const keyId = newKeyId();
      const key = crypto.getRandomValues(new Uint8Array(32));
      shared.set(keyAccount("churn", keyId), btoa(String.fromCharCode(...key)));
      writeFileSync(path, await seal("{}", key, { keyId, path: await canonical() }), {
        mode: 0o600,
      });
    };
    // ... whenever this process looks a key up (before taking the lock).
    const store = new (class extends HookedStore {
      override async lookup(account: string) {
        const found = shared.get(account);
        if (armed && rewrites < 10) await rewrite();
        return found;
      }
    })(shared);
    const p = simulatedProcess(path, { encryption: "keyring", secretStore: store, name: "churn" });
    await p.save(1);
    await assert.rejects(
      withCache(p.cache, p.plugin, async (c) => {
        await rewrite(); // the file's key is now one this process does not know
        armed = true;
        c.saveTokenResponse(
          tokenResponse(user(2), { accessToken: "at-2" }),
          requestContext({ requestedAt: realNow() }),
        );
      }),
      (err: unknown) => {
        assert.ok(err instanceof PersistentCacheError, String(err));
        assert.equal(err.reason, "keyring_error");
        assert.equal(err.path, path);
        assert.equal(
          err.message,
          `The token cache ${path} changed its encryption key 4 times while this process `
            + "wrote; nothing was written. Retry.",
        );
        return true;
      },
    );
    assert.equal(rewrites, 5, "one look-up per attempt, after the first change");
    const bytes = new Uint8Array(readFileSync(path));
    const key = Uint8Array.from(
      atob(shared.get(keyAccount("churn", keyIdOf(bytes)))!),
      (c) => c.charCodeAt(0),
    );
    assert.equal(await open(bytes, key, await canonical()), "{}", "the other writer's file");
  });

  it("a lock taken over on every attempt: lock_lost after 4, nothing written", async () => {
    const path = newPath();
    await simulatedProcess(path).save(1); // a plaintext file: a keyring cache notes it on each read
    const text = readFileSync(path, "utf8");
    /** Another writer replaces the file (same text, new version). */
    const replace = () => {
      writeFileSync(`${path}.other`, text, { mode: 0o600 });
      renameSync(`${path}.other`, path);
    };
    let armed = false;
    let takeovers = 0;
    const plugin = createPersistentCache({
      path,
      encryption: "keyring",
      secretStore: new MemorySecretStore(),
      logger: {
        level: "info",
        // Called under the lock, when the re-read file is decoded: the lock is taken over
        // (its file removed) and the file replaced, before this process's write.
        loggerCallback: (_level, message) => {
          if (!armed || !message.includes("not encrypted") || takeovers >= 10) return;
          takeovers++;
          rmSync(`${path}.lock`, { force: true });
          replace();
        },
      },
    });
    const cache = new TokenCache({ now: realNow });
    await withCache(cache, plugin, (c) => c.getAccounts());
    await assert.rejects(
      withCache(cache, plugin, (c) => {
        replace();
        armed = true;
        c.saveTokenResponse(
          tokenResponse(user(2), { accessToken: "at-2" }),
          requestContext({ requestedAt: realNow() }),
        );
      }),
      (err: unknown) => {
        assert.ok(err instanceof PersistentCacheError, String(err));
        assert.equal(err.reason, "lock_lost");
        assert.equal(err.path, path);
        assert.equal(
          err.message,
          `The token cache ${path} lock was taken over 4 times while this process held it (it `
            + "was stopped or too slow, past staleLockMs); nothing was written. Retry; if it "
            + "recurs, raise staleLockMs.",
        );
        return true;
      },
    );
    assert.equal(takeovers, 4);
    assert.equal(readFileSync(path, "utf8"), text, "nothing written");
  });

  it("a file that changes under the lock to a key this process knows: written with that key", async () => {
    const shared = new Map<string, string>();
    const path = newPath();
    const canonical = await (async () => {
      mkdirSync(dirname(path), { recursive: true });
      return await canonicalCachePath(path);
    })();
    const options = { encryption: "keyring" as const, name: "switch" };
    await simulatedProcess(path, { ...options, secretStore: new HookedStore(shared) }).save(1);
    const known = fileKeyId(path)!;
    const knownKey = Uint8Array.from(
      atob(shared.get(keyAccount("switch", known))!),
      (c) => c.charCodeAt(0),
    );
    /** Another writer puts a file with this key in place. */
    const writeWith = async (keyId: string, key: Uint8Array) => {
      shared.set(keyAccount("switch", keyId), btoa(String.fromCharCode(...key)));
      writeFileSync(path, await seal("{}", key, { keyId, path: canonical }), { mode: 0o600 });
    };
    let armed = false;
    const store = new (class extends HookedStore {
      override async lookup(account: string) {
        const found = shared.get(account);
        if (armed) {
          armed = false;
          await writeWith(known, knownKey); // back to the key this process knows
        }
        return found;
      }
    })(shared);
    const b = simulatedProcess(path, { ...options, secretStore: store });
    await b.accounts(); // b knows the file's key now
    await withCache(b.cache, b.plugin, async (c) => {
      // A new key, which b looks up before its write (and meanwhile the file changes back).
      await writeWith(newKeyId(), crypto.getRandomValues(new Uint8Array(32)));
      armed = true;
      c.saveTokenResponse(
        tokenResponse(user(2), { accessToken: "at-2" }),
        requestContext({ requestedAt: realNow() }),
      );
    });
    assert.equal(fileKeyId(path), known, "written with the key the file names under the lock");
  });

  it("replaced before the write by a file whose key the keyring lacks: kept aside, ours written", async () => {
    const store = new MemorySecretStore();
    const path = newPath();
    const options = { encryption: "keyring" as const, secretStore: store, name: "lacks" };
    const a = simulatedProcess(path, options);
    await a.save(1);
    await withCache(a.cache, a.plugin, async (c) => {
      const keyId = newKeyId(); // not in the keyring
      const key = crypto.getRandomValues(new Uint8Array(32));
      writeFileSync(path, await seal("{}", key, { keyId, path: await canonicalCachePath(path) }));
      c.saveTokenResponse(
        tokenResponse(user(2), { accessToken: "at-2" }),
        requestContext({ requestedAt: realNow() }),
      );
    });
    assert.equal(readdirSync(dirname(path)).filter((f) => f.includes(".corrupt-")).length, 1);
    assert.deepEqual(await names(simulatedProcess(path, { ...options, onCorrupt: "throw" })), [
      "user1@contoso.com",
      "user2@contoso.com",
    ]);
  });

  it("a plaintext cache whose file became encrypted before its write: encrypted_file", async () => {
    const store = new MemorySecretStore();
    const path = newPath();
    const p = simulatedProcess(path);
    await p.save(1);
    await assert.rejects(
      withCache(p.cache, p.plugin, async (c) => {
        rmSync(path);
        await simulatedProcess(path, { encryption: "keyring", secretStore: store }).save(3);
        c.saveTokenResponse(
          tokenResponse(user(2), { accessToken: "at-2" }),
          requestContext({ requestedAt: realNow() }),
        );
      }),
      (err: unknown) => err instanceof PersistentCacheError && err.reason === "encrypted_file",
    );
  });

  for (const encryption of ["plaintext", "keyring"] as const) {
    const opts = (): Partial<PersistentCacheOptions> =>
      encryption === "keyring"
        ? { encryption, secretStore: sharedStore, name: "interleave" }
        : { encryption };
    const sharedStore = new MemorySecretStore();

    it(`(${encryption}) a write by another process between this one's read and write is kept`, async () => {
      const path = newPath();
      await simulatedProcess(path, opts()).save(1);
      const a = simulatedProcess(path, opts());
      const b = simulatedProcess(path, opts());
      // A reads the file (before its access), then B writes, then A writes its sign-in.
      await withCache(a.cache, a.plugin, async (c) => {
        await b.save(2);
        c.saveTokenResponse(
          tokenResponse(user(3), { accessToken: "at-3" }),
          requestContext({ requestedAt: realNow() }),
        );
      });
      assert.deepEqual(await names(simulatedProcess(path, opts())), [
        "user1@contoso.com",
        "user2@contoso.com",
        "user3@contoso.com",
      ]);
      assert.deepEqual(await names(a), [
        "user1@contoso.com",
        "user2@contoso.com",
        "user3@contoso.com",
      ]);
    });

    it(`(${encryption}) a clear() by another process is not undone by this one's copy`, async () => {
      const path = newPath();
      const a = simulatedProcess(path, opts());
      await a.save(1);
      await withCache(a.cache, a.plugin, async (c) => {
        await simulatedProcess(path, opts()).plugin.clear();
        c.saveTokenResponse(
          tokenResponse(user(2), { accessToken: "at-2" }),
          requestContext({ requestedAt: realNow() }),
        );
      });
      assert.deepEqual(await names(simulatedProcess(path, opts())), ["user2@contoso.com"]);
    });
  }
});
