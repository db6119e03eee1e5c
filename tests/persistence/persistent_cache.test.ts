/**
 * The persistent cache plug-in in one process: location, permissions, atomic writes,
 * re-reading and merging, unknown fields, encryption with a key store, every corrupt file.
 */

import assert from "node:assert/strict";
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { withCache } from "../../src/cache/plugin.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import type { LogLevel } from "../../src/logger.ts";
import { MAGIC } from "../../src/persistence/envelope.ts";
import { PersistentCacheError } from "../../src/persistence/errors.ts";
import { defaultCachePath } from "../../src/persistence/location.ts";
import { REVISION_FIELD, SYNC_SECTION } from "../../src/persistence/merge.ts";
import {
  createPersistentCache,
  type PersistentCacheOptions,
} from "../../src/persistence/persistent_cache.ts";
import { requestContext, tokenResponse, user } from "../cache/helpers.ts";
import { MemorySecretStore, readCacheFile, tempFolder } from "./support.ts";

const realNow = () => Math.floor(Date.now() / 1000);

/** One simulated process: its own in-memory cache and plug-in on a shared file. */
function processOn(path: string, options: Partial<PersistentCacheOptions> = {}) {
  const logs: string[] = [];
  const plugin = createPersistentCache({
    path,
    encryption: "plaintext",
    logger: {
      loggerCallback: (level: LogLevel, message: string) => logs.push(`${level}: ${message}`),
    },
    ...options,
  });
  const cache = new TokenCache({ now: realNow });
  const save = (n: number, extra: Record<string, unknown> = {}) =>
    withCache(cache, plugin, (c) =>
      c.saveTokenResponse(
        tokenResponse(user(n), { accessToken: `at-${n}`, extra }),
        requestContext({ requestedAt: realNow() }),
      ));
  const accounts = () => withCache(cache, plugin, (c) => c.getAccounts());
  return { plugin, cache, save, accounts, logs };
}

const usernames = async (p: ReturnType<typeof processOn>) =>
  (await p.accounts()).map((a) => a.username).sort();

describe("persistent cache", () => {
  let folder: ReturnType<typeof tempFolder>;
  let n = 0;
  const newPath = () => join(folder.dir, `case${n++}`, "cache.json");
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("defaults to the per-OS user cache folder", () => {
    const home = "/home/me";
    assert.equal(
      defaultCachePath(undefined, { platform: "linux", env: {}, home }),
      "/home/me/.cache/entra-auth/token_cache.json",
    );
    assert.equal(
      defaultCachePath("app", { platform: "linux", env: { XDG_CACHE_HOME: "/xdg" }, home }),
      "/xdg/entra-auth/app.json",
    );
    assert.equal(
      defaultCachePath("app", { platform: "linux", env: { XDG_CACHE_HOME: "rel" }, home }),
      "/home/me/.cache/entra-auth/app.json",
      "a relative XDG_CACHE_HOME is ignored",
    );
    assert.equal(
      defaultCachePath(undefined, { platform: "darwin", env: {}, home }),
      "/home/me/Library/Caches/entra-auth/token_cache.json",
    );
    assert.match(
      defaultCachePath(undefined, {
        platform: "win32",
        env: { LOCALAPPDATA: "C:\\Users\\me\\AppData\\Local" },
        home,
      }),
      /AppData.Local.entra-auth.token_cache\.json$/,
    );
    assert.equal(createPersistentCache({ encryption: "plaintext" }).path, defaultCachePath());
  });

  it("refuses to start without an explicit encryption choice", () => {
    assert.throws(
      () => createPersistentCache({} as PersistentCacheOptions),
      (err: unknown) => err instanceof PersistentCacheError && /plaintext/.test(err.message),
    );
  });

  it("writes MSAL's JSON format owner-only (0600 file, 0700 new folder), atomically", {
    timeout: 30_000,
  }, async () => {
    const path = newPath();
    const a = processOn(path);
    await a.save(1);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(path, "..")).mode & 0o777, 0o700);
    const doc = await readCacheFile(path);
    for (const s of ["AccessToken", "RefreshToken", "IdToken", "Account", "AppMetadata"]) {
      assert.equal(Object.keys(doc[s]).length, 1, s);
    }
    assert.equal((doc[SYNC_SECTION] as unknown as { revision: number; }).revision, 1);
    assert.deepEqual(
      readdirSync(join(path, "..")).sort(),
      ["cache.json"],
      "no temp or lock file left",
    );
    // Atomic: the next write puts a complete new file in place (rename) and never touches
    // the old one, which a reader may have open: a second name for the old file (a hard
    // link) still shows the complete old content afterwards.
    const old = join(path, "..", "old.json");
    linkSync(path, old);
    const oldBytes = readFileSync(old);
    await a.save(2);
    assert.deepEqual(readFileSync(old), oldBytes, "the old file was written in place");
    assert.notEqual(statSync(path).ino, statSync(old).ino, "the file was not replaced");
    assert.equal(Object.keys((await readCacheFile(path)).Account).length, 2);
    assert.equal(statSync(path).mode & 0o777, 0o600, "the new file is owner-only too");
    assert.deepEqual(readdirSync(join(path, "..")).sort(), ["cache.json", "old.json"]);
  });

  it("re-reads before every access: another process's sign-in shows up, and both survive", async () => {
    const path = newPath();
    const a = processOn(path);
    const b = processOn(path);
    assert.deepEqual(await usernames(a), []);
    assert.deepEqual(await usernames(b), []);
    await a.save(1); // b's in-memory copy is now stale
    await b.save(2); // merged, not overwritten
    await a.save(3);
    const expected = ["user1@contoso.com", "user2@contoso.com", "user3@contoso.com"];
    assert.deepEqual(await usernames(a), expected);
    assert.deepEqual(await usernames(b), expected);
    assert.deepEqual(await usernames(processOn(path)), expected);
  });

  it("a removal in one process is not undone by another's stale copy", async () => {
    const path = newPath();
    const a = processOn(path);
    const b = processOn(path);
    await a.save(1);
    await a.save(2);
    await b.accounts(); // b loads both
    const [first] = (await a.accounts()).filter((x) => x.username === "user1@contoso.com");
    await withCache(a.cache, a.plugin, (c) => c.removeAccount(first));
    await b.save(3); // b's memory still holds user1 until it re-reads
    assert.deepEqual(await usernames(processOn(path)), ["user2@contoso.com", "user3@contoso.com"]);
  });

  it("unknown fields and sections in the file survive our writes", async () => {
    const path = newPath();
    const a = processOn(path);
    await a.save(1);
    const doc = await readCacheFile(path);
    const [atKey] = Object.keys(doc.AccessToken);
    (doc.AccessToken[atKey] as Record<string, unknown>).x_other_library = "kept";
    (doc as Record<string, unknown>).OtherLibrarySection = { anything: { x: 1 } };
    writeFileSync(path, JSON.stringify(doc));
    await processOn(path).save(2);
    const after = await readCacheFile(path);
    assert.equal(after.AccessToken[atKey].x_other_library, "kept");
    assert.deepEqual((after as Record<string, unknown>).OtherLibrarySection, {
      anything: { x: 1 },
    });
    assert.equal(Object.keys(after.Account).length, 2);
  });

  it("stamps the entries it writes with the revision they were based on", async () => {
    const path = newPath();
    const a = processOn(path);
    await a.save(1);
    await a.save(2);
    const doc = await readCacheFile(path);
    const stamps = Object.values(doc.AccessToken).map((e) => e[REVISION_FIELD]).sort();
    assert.deepEqual(stamps, ["0", "1"]);
  });

  describe("a corrupt file", () => {
    const cases: Array<[string, string | Uint8Array]> = [
      ["truncated JSON", "{\"AccessToken\":{\"k\":{\"secret\":\"x\""],
      ["not JSON", "this is not a token cache"],
      ["empty", ""],
      ["JSON of the wrong shape", "{\"AccessToken\":[1,2,3]}"],
      ["an entry of the wrong shape", "{\"RefreshToken\":{\"k\":{\"secret\":42}}}"],
      ["binary garbage", new Uint8Array([0xff, 0xfe, 0x00, 0x13, 0x37])],
    ];
    for (const [name, content] of cases) {
      it(`(${name}) is kept aside as a backup, logged, and a new cache starts`, async () => {
        const path = newPath();
        mkdirSync(join(path, ".."), { recursive: true });
        writeFileSync(path, content);
        const a = processOn(path);
        assert.deepEqual(await a.accounts(), []);
        const backups = readdirSync(join(path, "..")).filter((f) =>
          f.startsWith("cache.json.corrupt-")
        );
        assert.equal(backups.length, 1);
        assert.deepEqual(
          new Uint8Array(readFileSync(join(path, "..", backups[0]))),
          typeof content === "string" ? new TextEncoder().encode(content) : content,
          "the backup holds the original bytes",
        );
        assert.ok(
          a.logs.some((l) => l.startsWith("warning:") && l.includes(backups[0])),
          a.logs.join("\n"),
        );
        await a.save(1);
        assert.deepEqual(await usernames(processOn(path)), ["user1@contoso.com"]);
      });

      it(`(${name}) with onCorrupt: "throw" is a typed error and the file is untouched`, async () => {
        const path = newPath();
        mkdirSync(join(path, ".."), { recursive: true });
        writeFileSync(path, content);
        const a = processOn(path, { onCorrupt: "throw" });
        await assert.rejects(a.accounts(), (err: unknown) => {
          assert.ok(err instanceof PersistentCacheError);
          assert.equal(err.reason, "corrupt");
          assert.equal(err.path, path);
          return true;
        });
        assert.deepEqual(readdirSync(join(path, "..")), ["cache.json"]);
      });
    }

    it("found at write time (corrupted during an access) is kept aside; our cache is written", async () => {
      const path = newPath();
      const a = processOn(path);
      await a.save(1);
      await withCache(a.cache, a.plugin, (c) => {
        writeFileSync(path, "{ broken"); // between this access's read and its write
        c.saveTokenResponse(
          tokenResponse(user(2), { accessToken: "at-2" }),
          requestContext({ requestedAt: realNow() }),
        );
      });
      const backups = readdirSync(join(path, "..")).filter((f) => f.includes(".corrupt-"));
      assert.equal(backups.length, 1);
      assert.deepEqual(await usernames(processOn(path)), [
        "user1@contoso.com",
        "user2@contoso.com",
      ]);
    });

    it("a path that cannot be read as a file is an io_error", async () => {
      const path = newPath();
      mkdirSync(path, { recursive: true }); // a folder where the file should be
      await assert.rejects(
        processOn(path).accounts(),
        (err: unknown) => err instanceof PersistentCacheError && err.reason === "io_error",
      );
    });
  });

  describe("encrypted with a key store", () => {
    it("the file is AES-GCM sealed, and another process with the key reads it", async () => {
      const path = newPath();
      const store = new MemorySecretStore();
      const a = processOn(path, { encryption: "keyring", secretStore: store });
      await a.save(1);
      const bytes = new Uint8Array(readFileSync(path));
      assert.deepEqual(bytes.slice(0, MAGIC.length), MAGIC);
      assert.equal(new TextDecoder().decode(bytes).includes("at-1"), false, "no token in clear");
      assert.equal(store.secrets.size, 1, "one key, in the store");
      const b = processOn(path, { encryption: "keyring", secretStore: store });
      assert.deepEqual(await usernames(b), ["user1@contoso.com"]);
      await b.save(2);
      assert.deepEqual(await usernames(a), ["user1@contoso.com", "user2@contoso.com"]);
    });

    it("a file that the key cannot decrypt is kept aside, or a typed error", async () => {
      const path = newPath();
      await processOn(path, { encryption: "keyring", secretStore: new MemorySecretStore() }).save(
        1,
      );
      const other = new MemorySecretStore();
      await assert.rejects(
        processOn(path, { encryption: "keyring", secretStore: other, onCorrupt: "throw" })
          .accounts(),
        (err: unknown) =>
          err instanceof PersistentCacheError && err.reason === "key_not_found"
          && /does not hold/.test(err.message),
      );
      const b = processOn(path, { encryption: "keyring", secretStore: other });
      assert.deepEqual(await b.accounts(), []);
      assert.equal(readdirSync(join(path, "..")).filter((f) => f.includes(".corrupt-")).length, 1);
    });

    it("a truncated encrypted file is undecryptable, not a crash", async () => {
      const path = newPath();
      const store = new MemorySecretStore();
      await processOn(path, { encryption: "keyring", secretStore: store }).save(1);
      const bytes = readFileSync(path);
      writeFileSync(path, bytes.subarray(0, bytes.length - 7));
      await assert.rejects(
        processOn(path, { encryption: "keyring", secretStore: store, onCorrupt: "throw" })
          .accounts(),
        (err: unknown) => err instanceof PersistentCacheError && err.reason === "undecryptable",
      );
    });

    it("opened with plaintext, an encrypted file is an encrypted_file error and untouched", async () => {
      const path = newPath();
      await processOn(path, { encryption: "keyring", secretStore: new MemorySecretStore() }).save(
        1,
      );
      const before = readFileSync(path);
      await assert.rejects(
        processOn(path).accounts(),
        (err: unknown) => err instanceof PersistentCacheError && err.reason === "encrypted_file",
      );
      assert.deepEqual(readFileSync(path), before);
    });

    it("a plaintext file opened with keyring encryption is read, then encrypted on write", async () => {
      const path = newPath();
      await processOn(path).save(1);
      const store = new MemorySecretStore();
      const a = processOn(path, { encryption: "keyring", secretStore: store });
      assert.deepEqual(await usernames(a), ["user1@contoso.com"]);
      await a.save(2);
      assert.deepEqual(new Uint8Array(readFileSync(path)).slice(0, MAGIC.length), MAGIC);
      assert.equal(existsSync(path), true);
    });
  });
});
