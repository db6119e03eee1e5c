/**
 * Encryption at rest through the OS keyring: the real Secret Service (gnome-keyring on the
 * private bus of scripts/with-broker.sh), the documented error without a keyring, the
 * explicit plaintext opt-in, and what can be checked of the macOS and Windows bindings here
 * (struct layouts, symbol tables).
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  crypt32Symbols,
  CRYPTPROTECT_UI_FORBIDDEN,
  DATA_BLOB_SIZE,
  dataBlob,
  kernel32Symbols,
  readDataBlob,
} from "../../ffi/keyring/dpapi.ts";
import { keychainUnavailable, OSStatus, securitySymbols } from "../../ffi/keyring/keychain.ts";
import {
  SECRET_SCHEMA_ATTRIBUTE_SIZE,
  SECRET_SCHEMA_ATTRIBUTES_OFFSET,
  SECRET_SCHEMA_SIZE,
  secretSchemaBytes,
} from "../../ffi/keyring/secret_schema.ts";
import { libsecretSymbols, SecretServiceStore } from "../../ffi/keyring/secret_service.ts";
import type { SymbolTable } from "../../ffi/types.ts";
import { withCache } from "../../src/cache/plugin.ts";
import { TokenCache } from "../../src/cache/token_cache.ts";
import { MAGIC } from "../../src/persistence/envelope.ts";
import { PersistentCacheError } from "../../src/persistence/errors.ts";
import { createPersistentCache } from "../../src/persistence/persistent_cache.ts";
import { requestContext, tokenResponse, user } from "../cache/helpers.ts";
import { runFixture } from "../support/fixtures.ts";
import { repoPath } from "../support/paths.ts";
import { fileKey, keyringSession, readCacheFile, skipUnless, tempFolder } from "./support.ts";

const arity = (table: SymbolTable, name: string) => table[name].parameters.length;

describe("keyring bindings: layouts and symbol tables", () => {
  it("lays out SecretSchema as libsecret's LP64 struct", () => {
    const bytes = secretSchemaBytes(0x1122334455667788n, [
      { namePointer: 0xa0n, type: 0 },
      { namePointer: 0xb0n, type: 2 },
    ], 2);
    const view = new DataView(bytes.buffer);
    assert.equal(SECRET_SCHEMA_SIZE, 8 + 8 + 32 * 16 + 8 + 7 * 8);
    assert.equal(bytes.length, 592);
    assert.equal(view.getBigUint64(0, true), 0x1122334455667788n, "name at 0");
    assert.equal(view.getInt32(8, true), 2, "flags at 8");
    assert.equal(SECRET_SCHEMA_ATTRIBUTES_OFFSET, 16);
    assert.equal(view.getBigUint64(16, true), 0xa0n);
    assert.equal(view.getInt32(24, true), 0);
    assert.equal(view.getBigUint64(16 + SECRET_SCHEMA_ATTRIBUTE_SIZE, true), 0xb0n);
    assert.equal(view.getInt32(24 + SECRET_SCHEMA_ATTRIBUTE_SIZE, true), 2);
    assert.equal(view.getBigUint64(48, true), 0n, "the list ends with a NULL name");
    assert.ok(bytes.slice(528).every((b) => b === 0), "reserved fields are zero");
    assert.throws(() => secretSchemaBytes(1n, Array(32).fill({ namePointer: 1n, type: 0 })));
  });

  it("declares libsecret's v-functions with their C arity", () => {
    assert.equal(arity(libsecretSymbols, "secret_password_storev_sync"), 7);
    assert.equal(arity(libsecretSymbols, "secret_password_lookupv_sync"), 4);
    assert.equal(arity(libsecretSymbols, "secret_password_clearv_sync"), 4);
  });

  it("lays out DATA_BLOB for 64-bit Windows and declares DPAPI (untested on Windows)", () => {
    assert.equal(DATA_BLOB_SIZE, 16);
    const blob = dataBlob(0xdeadbeef, 0x7fff12345678n);
    assert.equal(new DataView(blob.buffer).getUint32(0, true), 0xdeadbeef, "cbData at 0");
    assert.equal(new DataView(blob.buffer).getBigUint64(8, true), 0x7fff12345678n, "pbData at 8");
    assert.deepEqual(readDataBlob(blob), { size: 0xdeadbeef, pointer: 0x7fff12345678n });
    assert.equal(arity(crypt32Symbols, "CryptProtectData"), 7);
    assert.equal(arity(crypt32Symbols, "CryptUnprotectData"), 7);
    assert.equal(crypt32Symbols.CryptProtectData.parameters[5], "u32", "dwFlags");
    assert.equal(CRYPTPROTECT_UI_FORBIDDEN, 1);
    assert.equal(arity(kernel32Symbols, "RtlMoveMemory"), 3);
  });

  it("declares the Keychain's generic-password functions (untested on macOS)", () => {
    assert.equal(arity(securitySymbols, "SecKeychainFindGenericPassword"), 8);
    assert.equal(arity(securitySymbols, "SecKeychainAddGenericPassword"), 8);
    assert.equal(arity(securitySymbols, "SecKeychainItemModifyAttributesAndData"), 4);
    assert.deepEqual(
      securitySymbols.SecKeychainFindGenericPassword.parameters.filter((p) => p === "u32"),
      ["u32", "u32"],
      "the two UInt32 name lengths",
    );
    assert.equal(OSStatus.itemNotFound, -25300);
    assert.equal(keychainUnavailable(OSStatus.interactionNotAllowed), true);
    assert.equal(keychainUnavailable(OSStatus.authFailed), false);
  });
});

const noSession = skipUnless(
  keyringSession(),
  "needs a D-Bus session with a Secret Service: run under scripts/with-broker.sh",
);

describe("the Secret Service (gnome-keyring on a private bus)", { skip: noSession }, () => {
  let folder: ReturnType<typeof tempFolder>;
  const name = `test-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  const store = new SecretServiceStore("entra-auth");
  before(() => (folder = tempFolder()));
  after(async () => {
    await store.clear(name).catch(() => false);
    await store.clear(`${name}-raw`).catch(() => false);
    folder.remove();
  });

  it("stores, finds and clears a secret through libsecret's v-functions", async () => {
    const account = `${name}-raw`;
    assert.equal(await store.lookup(account), undefined);
    await store.store(account, "entra-auth test", "s3cret-é");
    assert.equal(await store.lookup(account), "s3cret-é");
    await store.store(account, "entra-auth test", "replaced");
    assert.equal(await store.lookup(account), "replaced");
    assert.equal(await store.clear(account), true);
    assert.equal(await store.lookup(account), undefined);
    assert.equal(await store.clear(account), false);
  });

  it("encrypts the cache with a random 256-bit key kept in the keyring; a fresh plug-in decrypts it", async () => {
    const path = join(folder.dir, "enc", "cache.json");
    const now = () => Math.floor(Date.now() / 1000);
    await withCache(
      new TokenCache({ now }),
      createPersistentCache({ path, name, encryption: "keyring" }),
      (c) => c.saveTokenResponse(tokenResponse(user(5)), requestContext({ requestedAt: now() })),
    );
    const bytes = new Uint8Array(readFileSync(path));
    assert.deepEqual(bytes.slice(0, MAGIC.length), MAGIC);
    const key = await fileKey(store, name, path);
    assert.ok(key, "the key is in the keyring, under the id in the file's header");
    assert.equal(key.length, 32);
    const doc = await readCacheFile(path, key);
    assert.equal(Object.keys(doc.Account).length, 1);
    const accounts = await withCache(
      new TokenCache({ now }),
      createPersistentCache({ path, name, encryption: "keyring" }),
      (c) => c.getAccounts(),
    );
    assert.deepEqual(accounts.map((a) => a.username), ["user5@contoso.com"]);
  });

  it("works the same in a new process of this runtime", async () => {
    const path = join(folder.dir, "proc", "cache.json");
    const run = await runFixture("persistence_keyring", [path, "keyring", name]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout.trim()), { ok: true, usernames: ["user7@contoso.com"] });
  });
});

const PYTHON = "/usr/bin/python3";
const canLock = !noSession && existsSync(PYTHON)
  && spawnSync(PYTHON, ["-c", "import dbus"], { stdio: "ignore" }).status === 0;

/** Locks or unlocks the keyring's default collection (tests/fixtures/keyring_lock.py). */
function keyring(action: "lock" | "unlock"): void {
  const run = spawnSync(PYTHON, [repoPath("tests", "fixtures", "keyring_lock.py"), action], {
    encoding: "utf8",
    timeout: 20_000,
  });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), action === "lock" ? "locked" : "unlocked");
}

describe("a locked keyring (gnome-keyring's collection locked through D-Bus)", {
  skip: noSession
    || skipUnless(canLock, `needs ${PYTHON} with dbus (apt-get install python3-dbus)`),
}, () => {
  let folder: ReturnType<typeof tempFolder>;
  const name = `locked-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  before(() => (folder = tempFolder()));
  after(() => {
    keyring("unlock");
    folder.remove();
  });

  it("is keyring_locked, after an unlock attempt; the file is never moved aside", {
    timeout: 60_000,
  }, async () => {
    const path = join(folder.dir, "locked", "cache.json");
    const now = () => Math.floor(Date.now() / 1000);
    const save = (n: number) =>
      withCache(
        new TokenCache({ now }),
        createPersistentCache({ path, name, encryption: "keyring" }),
        (c) => c.saveTokenResponse(tokenResponse(user(n)), requestContext({ requestedAt: now() })),
      );
    const read = () =>
      withCache(
        new TokenCache({ now }),
        createPersistentCache({ path, name, encryption: "keyring" }),
        (c) => c.getAccounts(),
      );
    await save(5);
    const before = readFileSync(path);
    keyring("lock");
    try {
      const locked = (err: unknown) => {
        assert.ok(err instanceof PersistentCacheError, String(err));
        assert.equal(err.reason, "keyring_locked", err.message);
        assert.match(err.message, /locked/);
        assert.match(err.message, /Unlock the keyring/);
        return true;
      };
      await assert.rejects(read(), locked);
      await assert.rejects(save(6), locked);
      assert.deepEqual(readFileSync(path), before, "the file is untouched");
      assert.deepEqual(readdirSync(join(path, "..")).filter((f) => f.includes(".corrupt-")), []);
    } finally {
      keyring("unlock");
    }
    assert.deepEqual((await read()).map((a) => a.username), ["user5@contoso.com"]);
    await save(6);
    assert.equal((await read()).length, 2);
  });
});

describe("without a keyring", () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());
  const env = { DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/entra-auth-test-bus" };

  it("keyring encryption fails with keyring_unavailable saying why and how to proceed", async () => {
    const path = join(folder.dir, "none", "cache.json");
    const run = await runFixture("persistence_keyring", [path, "keyring", "nokeyring"], { env });
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout.trim());
    assert.equal(out.ok, false);
    assert.equal(out.typed, true);
    assert.equal(out.code, "cache_error");
    assert.equal(out.reason, "keyring_unavailable");
    assert.match(out.message, /Could not connect/, "the native reason");
    assert.match(out.message, /D-Bus session bus/, "why");
    assert.match(out.message, /desktop session/, "how to proceed");
    assert.match(out.message, /encryption: "plaintext"/, "the explicit opt-in");
    assert.equal(existsSync(path), false, "nothing written in clear");
  });

  it("an explicit plaintext opt-in works", async () => {
    const path = join(folder.dir, "plain", "cache.json");
    const run = await runFixture("persistence_keyring", [path, "plaintext", "plain"], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout.trim()), { ok: true, usernames: ["user7@contoso.com"] });
    const doc = await readCacheFile(path);
    assert.equal(Object.keys(doc.RefreshToken).length, 1, "MSAL's JSON, readable as is");
  });
});
