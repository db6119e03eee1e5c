/**
 * What the persistent cache says, and a few of its edges (`persistent_cache.ts`): the texts of
 * a corrupt file (thrown or kept aside), of an I/O error and its cause; the console when no
 * logger takes warnings; a cache that is only serializable (no `toDocument`); backups kept
 * while an account is left; clear() without a file.
 */

import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { withCache } from "../../src/cache/plugin.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { newKeyId, seal } from "../../src/persistence/envelope.ts";
import { PersistentCacheError } from "../../src/persistence/errors.ts";
import { keyAccount } from "../../src/persistence/key_source.ts";
import { canonicalCachePath } from "../../src/persistence/location.ts";
import {
  createPersistentCache,
  type PersistentCacheOptions,
} from "../../src/persistence/persistent_cache.ts";
import { requestContext, tokenResponse, user } from "../cache/helpers.ts";
import { MemorySecretStore, simulatedProcess, tempFolder } from "./support.ts";

const realNow = () => Math.floor(Date.now() / 1000);

describe("persistent cache: messages and edges", () => {
  let folder: ReturnType<typeof tempFolder>;
  let n = 0;
  const newPath = () => join(folder.dir, `case${n++}`, "cache.json");
  /** A new path whose file holds this text. */
  const fileWith = (text: string) => {
    const path = newPath();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  };
  const backups = (path: string) =>
    readdirSync(dirname(path)).filter((f) => f.startsWith("cache.json.corrupt-"));
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("onCorrupt: \"throw\": names the file, the problem, and what to do", async () => {
    const path = fileWith("[]");
    const p = simulatedProcess(path, { onCorrupt: "throw" });
    await assert.rejects(p.accounts(), (err: unknown) => {
      assert.ok(err instanceof PersistentCacheError);
      assert.equal(err.reason, "corrupt");
      assert.equal(err.path, path);
      assert.match(
        err.message,
        new RegExp(
          `^The token cache ${path.replace(/[.]/g, "\\.")} is not a token cache \\(.+\\)\\. `
            + "Move it away \\(or delete it\\) to start a new cache, or use onCorrupt: "
            + "\"backup\" to do so automatically\\.$",
        ),
      );
      return true;
    });
  });

  it("kept aside: the warning names the file and its backup, and says to sign in again", async () => {
    const path = fileWith("[]");
    const p = simulatedProcess(path);
    assert.deepEqual(await p.accounts(), []);
    const [backup] = backups(path);
    const warnings = p.logs.filter((l) => l.startsWith("warning: "));
    assert.equal(warnings.length, 1, p.logs.join("\n"));
    assert.match(
      warnings[0],
      new RegExp(
        `^warning: The token cache ${path.replace(/[.]/g, "\\.")} is not a token cache \\(.+\\); `
          + `it was kept aside as ${join(dirname(path), backup).replace(/[.]/g, "\\.")} and a new `
          + "cache started: sign in again\\.$",
      ),
    );
  });

  it("without a logger for warnings, the warning goes to the console", async () => {
    const path = fileWith("[]");
    const plugin = createPersistentCache({ path, encryption: "plaintext" });
    const seen: string[] = [];
    const realWarn = console.warn;
    console.warn = (...args: unknown[]) => void seen.push(args.map(String).join(" "));
    try {
      await withCache(new TokenCache({ now: realNow }), plugin, (c) => c.getAccounts());
    } finally {
      console.warn = realWarn;
    }
    assert.equal(seen.length, 1, seen.join("\n"));
    assert.ok(
      seen[0].startsWith(`entra-auth: The token cache ${path} is not a token cache`),
      seen[0],
    );
  });

  it("an I/O error names the file and the error code, and keeps the error as its cause", async () => {
    const file = fileWith("{}");
    const path = join(file, "cache.json"); // under a file: ENOTDIR
    const p = simulatedProcess(path);
    await assert.rejects(p.accounts(), (err: unknown) => {
      assert.ok(err instanceof PersistentCacheError);
      assert.equal(err.reason, "io_error");
      assert.equal(err.path, path);
      assert.equal(
        err.message,
        `The token cache ${path} cannot be read or written (ENOTDIR). Check the file's and its `
          + "folder's owner and permissions, and the free disk space.",
      );
      assert.equal((err.cause as { code?: string; }).code, "ENOTDIR");
      return true;
    });
  });

  it("works with a cache that is only serializable (no toDocument)", async () => {
    const path = newPath();
    await simulatedProcess(path).save(1);
    const inner = new TokenCache({ now: realNow });
    const plain = {
      serialize: () => inner.serialize(),
      deserialize: (json: string) => inner.deserialize(json),
      get version() {
        return inner.version;
      },
    };
    const plugin = createPersistentCache({ path, encryption: "plaintext" });
    await withCache(plain, plugin, () => {
      inner.saveTokenResponse(
        tokenResponse(user(2), { accessToken: "at-2" }),
        requestContext({ requestedAt: realNow() }),
      );
    });
    assert.deepEqual(
      (await simulatedProcess(path).accounts()).map((a) => a.username).sort(),
      ["user1@contoso.com", "user2@contoso.com"],
    );
  });

  it("backups are kept while an account is left (only a full sign-out removes them)", async () => {
    const path = fileWith("not json");
    const p = simulatedProcess(path);
    await p.accounts();
    assert.equal(backups(path).length, 1);
    // An account without a refresh token (e.g. the broker keeps it): still signed in.
    await withCache(p.cache, p.plugin, (c) =>
      c.saveTokenResponse(
        tokenResponse(user(1), { accessToken: "at-1", refreshToken: null }),
        requestContext({ requestedAt: realNow() }),
      ));
    assert.equal(backups(path).length, 1, "kept");
    await p.save(2);
    assert.equal(backups(path).length, 1, "kept");
  });

  it("clear() without a file (or a second time) resolves", async () => {
    const path = newPath();
    const p = simulatedProcess(path);
    await p.plugin.clear();
    await p.save(1);
    await p.plugin.clear();
    await p.plugin.clear();
    assert.deepEqual(await p.accounts(), []);
  });
  it("without an encryption choice: what to pass", () => {
    assert.throws(() => createPersistentCache({} as PersistentCacheOptions), (err: unknown) => {
      assert.ok(err instanceof PersistentCacheError);
      assert.equal(
        err.message,
        "createPersistentCache needs encryption: \"keyring\" (encrypted with a key in the OS "
          + "keyring) or \"plaintext\" (explicit opt-in to an unencrypted file).",
      );
      return true;
    });
  });

  it("found corrupt at write time with onCorrupt: \"throw\": that error, not a retry's", async () => {
    const path = newPath();
    const p = simulatedProcess(path, { onCorrupt: "throw" });
    await p.save(1);
    await assert.rejects(
      withCache(p.cache, p.plugin, (c) => {
        writeFileSync(path, "{ broken"); // between this access's read and its write
        c.saveTokenResponse(
          tokenResponse(user(2), { accessToken: "at-2" }),
          requestContext({ requestedAt: realNow() }),
        );
      }),
      (err: unknown) => err instanceof PersistentCacheError && err.reason === "corrupt",
    );
    assert.equal(readFileSync(path, "utf8"), "{ broken", "left as it is");
  });

  it("an encrypted file opened with plaintext: encrypted_file, naming the file and the fix", async () => {
    const store = new MemorySecretStore();
    const path = newPath();
    await simulatedProcess(path, { encryption: "keyring", secretStore: store }).save(1);
    await assert.rejects(simulatedProcess(path).accounts(), (err: unknown) => {
      assert.ok(err instanceof PersistentCacheError);
      assert.equal(err.reason, "encrypted_file");
      assert.equal(err.path, path);
      assert.equal(
        err.message,
        `The token cache ${path} is encrypted, and this app opened it with encryption: `
          + "\"plaintext\". Open it with encryption: \"keyring\", or use another path.",
      );
      return true;
    });
  });

  it("an encrypted file that decrypts to something other than a cache is corrupt", async () => {
    const store = new MemorySecretStore();
    const path = newPath();
    mkdirSync(dirname(path), { recursive: true });
    const keyId = newKeyId();
    const key = crypto.getRandomValues(new Uint8Array(32));
    store.secrets.set(keyAccount("token_cache", keyId), btoa(String.fromCharCode(...key)));
    const bytes = await seal("[\"not a cache\"]", key, {
      keyId,
      path: await canonicalCachePath(path),
    });
    writeFileSync(path, bytes, { mode: 0o600 });
    const options = { encryption: "keyring" as const, secretStore: store };
    await assert.rejects(
      simulatedProcess(path, { ...options, onCorrupt: "throw" }).accounts(),
      (err: unknown) => err instanceof PersistentCacheError && err.reason === "corrupt",
    );
    const p = simulatedProcess(path, options);
    assert.deepEqual(await p.accounts(), []);
    assert.equal(backups(path).length, 1, "kept aside");
  });

  it("keyring encryption, plaintext file: says it will be encrypted (not for an empty file)", async () => {
    const store = new MemorySecretStore();
    const logs = async (text: string, encryption: "keyring" | "plaintext") => {
      const path = fileWith(text);
      const seen: string[] = [];
      const plugin = createPersistentCache({
        path,
        encryption,
        secretStore: store,
        logger: {
          level: "info",
          loggerCallback: (level, message) => seen.push(`${level}: ${message}`),
        },
      });
      await withCache(new TokenCache({ now: realNow }), plugin, (c) => c.getAccounts());
      return seen;
    };
    const note =
      "info: The token cache file is not encrypted; it will be encrypted on the next write.";
    assert.deepEqual(await logs("{}", "keyring"), [note]);
    assert.deepEqual((await logs(" \n", "keyring")).filter((l) => l.startsWith("info")), []);
    assert.deepEqual(await logs("{}", "plaintext"), []);
  });

  it("replaced by a valid file while judged unreadable: the valid file is loaded, none kept aside", async () => {
    const elsewhere = newPath();
    await simulatedProcess(elsewhere).save(1);
    const valid = readFileSync(elsewhere); // what the other writer will have written
    const path = fileWith("{ being written");
    const p = simulatedProcess(path);
    // A writer that takes no lock finishes a moment later (within the re-reads' 200 ms).
    const timer = setTimeout(() => writeFileSync(path, valid), 20);
    try {
      assert.deepEqual((await p.accounts()).map((a) => a.username), ["user1@contoso.com"]);
    } finally {
      clearTimeout(timer);
    }
    assert.deepEqual(backups(path), []);
  });
  it("removed while judged unreadable: an empty cache, nothing kept aside", async () => {
    const path = fileWith("{ being written");
    const p = simulatedProcess(path);
    const timer = setTimeout(() => rmSync(path, { force: true }), 20);
    try {
      assert.deepEqual(await p.accounts(), []);
    } finally {
      clearTimeout(timer);
    }
    assert.deepEqual(backups(path), []);
  });

  it("rewritten again and again while judged (a writer at work): left as it is, and said so", async () => {
    const path = fileWith("{ being written 0");
    const seen: string[] = [];
    const plugin = createPersistentCache({
      path,
      encryption: "plaintext",
      logger: {
        level: "info",
        loggerCallback: (level, message) => seen.push(`${level}: ${message}`),
      },
    });
    let round = 0;
    // In this process's event loop: it runs between every two of the re-reads (50 ms apart).
    const writer = setInterval(() => writeFileSync(path, `{ being written ${++round}`), 10);
    try {
      await withCache(new TokenCache({ now: realNow }), plugin, (c) => c.getAccounts());
    } finally {
      clearInterval(writer);
    }
    assert.deepEqual(backups(path), []);
    assert.deepEqual(seen, [
      "info: The token cache file is being rewritten by another program; it was left as it is.",
    ]);
  });
});
