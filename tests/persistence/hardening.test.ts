/**
 * The persistent cache against hostile or unusual files (issue 9): lock paths that no
 * takeover can clear, files of another user or writable by others, `.corrupt-*` backups,
 * no token text in any error or log, the version-2 encrypted format (bound to its key id
 * and path; version 1 still read), and one key per file when two caches create keys at once.
 */

import assert from "node:assert/strict";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { withCache } from "../../src/cache/plugin.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { isEncrypted, keyIdOf, MAGIC, MAGIC_V1, open } from "../../src/persistence/envelope.ts";
import { PersistentCacheError } from "../../src/persistence/errors.ts";
import { keyAccount } from "../../src/persistence/key_source.ts";
import { canonicalCachePath } from "../../src/persistence/location.ts";
import { FileLock } from "../../src/persistence/lock.ts";
import { repoPath } from "../support/paths.ts";
import {
  fromBase64,
  MemorySecretStore,
  simulatedProcess,
  SlowSecretStore,
  tempFolder,
} from "./support.ts";

const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const posix = process.platform !== "win32";
const NOBODY = 65534;

const isReason = (reason: string, path?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof PersistentCacheError, `a PersistentCacheError, not ${err}`);
  assert.equal(err.reason, reason, err.message);
  if (path) assert.match(err.message, path);
  return true;
};

describe("persistent cache hardening", () => {
  let folder: ReturnType<typeof tempFolder>;
  let n = 0;
  const newPath = () => join(folder.dir, `case${n++}`, "cache.json");
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  describe("a lock path that cannot be cleared ends in a typed error within lockTimeoutMs", () => {
    const settles = async (setup: (lockPath: string) => void) => {
      const path = newPath();
      mkdirSync(dirname(path), { recursive: true });
      setup(`${path}.lock`);
      const started = Date.now();
      await assert.rejects(
        simulatedProcess(path, { lockTimeoutMs: 1_500 }).save(1),
        (err: unknown) => {
          assert.ok(err instanceof PersistentCacheError, String(err));
          assert.ok(["lock_timeout", "io_error"].includes(err.reason), err.reason);
          assert.ok(err.message.includes(`${path}.lock`), "names the lock path");
          return true;
        },
      );
      assert.ok(Date.now() - started < 1_500 + 5_000, "within the limit (+ a margin)");
    };

    it("the lock path is a folder", { timeout: 20_000 }, () => settles((l) => mkdirSync(l)));
    it(
      "the lock path is a dangling symbolic link",
      { timeout: 20_000 },
      () => settles((l) => symlinkSync(join(dirname(l), "nowhere"), l)),
    );
    it("FileLock.acquire alone, on a folder", { timeout: 20_000 }, async () => {
      const lockPath = `${newPath()}.lock`;
      mkdirSync(lockPath, { recursive: true });
      await assert.rejects(FileLock.acquire(lockPath, { timeoutMs: 500 }), isReason("io_error"));
    });
  });

  describe("files of another user, or writable by others, are refused (POSIX)", {
    skip: !posix && "POSIX owners and modes",
  }, () => {
    it("a cache file writable by others (0666) is an insecure_file, and left alone", async () => {
      const path = newPath();
      await simulatedProcess(path).save(1);
      chmodSync(path, 0o666);
      const before = readFileSync(path);
      await assert.rejects(simulatedProcess(path).accounts(), isReason("insecure_file", /666/));
      await assert.rejects(simulatedProcess(path).save(2), isReason("insecure_file"));
      assert.deepEqual(readFileSync(path), before);
    });

    it("an own 0644 file (as msal-node creates it) is read, and rewritten owner-only", async () => {
      const path = newPath();
      await simulatedProcess(path).save(1);
      chmodSync(path, 0o644);
      const p = simulatedProcess(path);
      assert.equal((await p.accounts()).length, 1);
      await p.save(2);
      assert.equal(statSync(path).mode & 0o777, 0o600);
    });

    it("a cache file of another user is an insecure_file", {
      skip: !isRoot && "needs root (chown)",
    }, async () => {
      const path = newPath();
      await simulatedProcess(path).save(1);
      chownSync(path, NOBODY, NOBODY);
      await assert.rejects(
        simulatedProcess(path).accounts(),
        isReason("insecure_file", /another user/),
      );
    });

    it("a lock file of another user is an insecure_file, at once", {
      skip: !isRoot && "needs root (chown)",
    }, async () => {
      const path = newPath();
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(
        `${path}.lock`,
        JSON.stringify({ pid: 1, hostname: "x", createdAt: 0, nonce: "n" }),
      );
      chownSync(`${path}.lock`, NOBODY, NOBODY);
      await assert.rejects(
        simulatedProcess(path, { lockTimeoutMs: 10_000 }).save(1),
        isReason("insecure_file", /lock file/),
      );
      assert.ok(existsSync(`${path}.lock`), "another user's file is not removed");
    });
  });

  describe(".corrupt-* backups", () => {
    const backups = (path: string) =>
      readdirSync(dirname(path)).filter((f) => f.startsWith("cache.json.corrupt-"));

    it("at most 3 are kept, owner-only; removeAccount of the last account removes them", {
      timeout: 20_000,
    }, async () => {
      const path = newPath();
      for (let i = 0; i < 5; i++) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, `{"AccessToken": {"k": garbage ${i}`, { mode: 0o644 });
        chmodSync(path, 0o644);
        assert.deepEqual(await simulatedProcess(path).accounts(), []);
      }
      const kept = backups(path);
      assert.equal(kept.length, 3, kept.join(", "));
      if (posix) {
        for (const f of kept) assert.equal(statSync(join(dirname(path), f)).mode & 0o777, 0o600);
      }
      const p = simulatedProcess(path);
      await p.save(1);
      const [account] = await p.accounts();
      await withCache(p.cache, p.plugin, (c) => c.removeAccount(account));
      assert.deepEqual(backups(path), [], "signed out: no plaintext backup survives");
    });

    it("clear() removes the file and its backups", async () => {
      const path = newPath();
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, "not json", { mode: 0o600 });
      const p = simulatedProcess(path);
      await p.accounts();
      await p.save(1);
      assert.equal(backups(path).length, 1);
      await p.plugin.clear();
      assert.equal(existsSync(path), false);
      assert.deepEqual(backups(path), []);
      assert.deepEqual(await simulatedProcess(path).accounts(), []);
    });
  });

  describe("no token text in errors, causes or logs", () => {
    // One identifier (Bun's parser quotes an unexpected identifier in its message).
    const SECRET = "SECRETTOKENeyJ0eXAiOiJKV1QiLCJhbGciOi4242";
    const files: [string, string][] = [
      ["truncated JSON", `{"RefreshToken":{"k":{"secret":"${SECRET}`],
      ["a token where JSON starts", `${SECRET}{}`],
      ["a token as a bare value", `{"RefreshToken": ${SECRET}}`],
      ["a token as an entry key", `{"AccessToken":{"${SECRET}":"x"}}`],
      [
        "a token as a wrong credential type",
        JSON.stringify({
          RefreshToken: {
            k: {
              home_account_id: "a",
              environment: "e",
              credential_type: SECRET,
              client_id: "c",
              secret: SECRET,
            },
          },
        }),
      ],
      [
        "a token as a wrong-typed field",
        JSON.stringify({ Account: { k: { home_account_id: 1, secret: SECRET } } }),
      ],
    ];
    const causes = (err: unknown): string[] => {
      const out: string[] = [];
      for (let e = err as { cause?: unknown; } | undefined, i = 0; e && i < 10; i++) {
        out.push(String(e), (e as Error).message ?? "", (e as Error).stack ?? "");
        e = e.cause as typeof e;
      }
      return out;
    };
    for (const [name, text] of files) {
      it(name, async () => {
        const path = newPath();
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, text, { mode: 0o600 });
        const thrown = await simulatedProcess(path, { onCorrupt: "throw" }).accounts().then(
          () => assert.fail("a typed error"),
          (err) => err,
        );
        assert.ok(
          thrown instanceof PersistentCacheError && thrown.reason === "corrupt",
          String(thrown),
        );
        for (const s of causes(thrown)) assert.equal(s.includes("SECRETTOKEN"), false, s);
        // The cache's own parser too (its error's message and cause chain).
        const parseError = (() => {
          try {
            new TokenCache().deserialize(text);
          } catch (err) {
            return err;
          }
        })();
        assert.ok(parseError, "the cache refuses it");
        for (const s of causes(parseError)) assert.equal(s.includes("SECRETTOKEN"), false, s);
        const warned: string[] = [];
        const warn = console.warn;
        console.warn = (...args: unknown[]) => void warned.push(args.map(String).join(" "));
        try {
          const p = simulatedProcess(path);
          await p.accounts();
          for (const s of [...p.logs, ...warned]) {
            assert.equal(s.includes("SECRET-TOKEN"), false, s);
          }
          assert.ok(p.logs.some((l) => l.startsWith("warning")), "the move aside is logged");
        } finally {
          console.warn = warn;
        }
      });
    }
  });

  describe("encrypted format version 2", () => {
    it("binds key id and path: a file copied from another path does not decrypt", async () => {
      const store = new MemorySecretStore();
      const a = newPath();
      const b = newPath();
      await simulatedProcess(a, { encryption: "keyring", secretStore: store, name: "same" }).save(
        1,
      );
      const bytes = new Uint8Array(readFileSync(a));
      assert.deepEqual(bytes.slice(0, MAGIC.length), MAGIC);
      assert.match(keyIdOf(bytes) ?? "", /^[0-9a-f]{32}$/);
      await simulatedProcess(b, { encryption: "keyring", secretStore: store, name: "same" }).save(
        2,
      );
      copyFileSync(a, b); // a rollback to another path's file
      await assert.rejects(
        simulatedProcess(b, {
          encryption: "keyring",
          secretStore: store,
          name: "same",
          onCorrupt: "throw",
        })
          .accounts(),
        isReason("undecryptable", /another path/),
      );
    });

    it("reads a version-1 file made by the previous code, and rewrites it as version 2", async () => {
      const fixture = JSON.parse(
        readFileSync(repoPath("tests", "fixtures", "persistence_v1_cache.json"), "utf8"),
      );
      const path = newPath();
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, fromBase64(fixture.file), { mode: 0o600 });
      assert.deepEqual(new Uint8Array(readFileSync(path)).slice(0, 8), MAGIC_V1);
      const store = new MemorySecretStore();
      store.secrets.set(fixture.name, fixture.key);
      const p = simulatedProcess(path, {
        encryption: "keyring",
        secretStore: store,
        name: fixture.name,
      });
      assert.deepEqual((await p.accounts()).map((a) => a.username), [fixture.username]);
      await p.save(2);
      const bytes = new Uint8Array(readFileSync(path));
      assert.deepEqual(bytes.slice(0, MAGIC.length), MAGIC);
      const q = simulatedProcess(path, {
        encryption: "keyring",
        secretStore: store,
        name: fixture.name,
      });
      assert.deepEqual((await q.accounts()).map((a) => a.username).sort(), [
        "user2@contoso.com",
        fixture.username,
      ]);
    });

    it("two caches with the same name at different paths creating keys at once: all decrypt", {
      timeout: 60_000,
    }, async () => {
      const store = new SlowSecretStore();
      const bad: string[] = [];
      for (let round = 0; round < 10; round++) {
        const paths = [newPath(), newPath()];
        await Promise.all(
          paths.map((path, i) =>
            simulatedProcess(path, { encryption: "keyring", secretStore: store, name: "shared" })
              .save(i + 1)
          ),
        );
        for (const path of paths) {
          const fresh = simulatedProcess(path, {
            encryption: "keyring",
            secretStore: store,
            name: "shared",
            onCorrupt: "throw",
          });
          await fresh.accounts().catch((err) => bad.push(`${path}: ${err.reason}`));
          const bytes = new Uint8Array(readFileSync(path));
          assert.ok(isEncrypted(bytes));
          const key = fromBase64(store.secrets.get(keyAccount("shared", keyIdOf(bytes)))!);
          await open(bytes, key, await canonicalCachePath(path)); // the file's own key
        }
      }
      assert.deepEqual(bad, [], "every file decrypts with the key its header names");
    });
  });
});
