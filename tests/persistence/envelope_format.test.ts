/**
 * The encrypted file's envelope (from the mutants that survived the persistence run): what
 * binds a file to its key id and path (a file moved, or its header changed, does not open),
 * the version-1 files still read, the header checks, and the key id's format.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  isEncrypted,
  keyIdOf,
  MAGIC,
  MAGIC_V1,
  newKeyId,
  open,
  seal,
  sealV1,
} from "../../src/persistence/envelope.ts";

const key = new Uint8Array(32).fill(7);
const keyId = "0123456789abcdef0123456789abcdef";
const path = "/home/u/.cache/entra-auth/token_cache.bin";

describe("envelope version 2", () => {
  it("opens at its path with its key; not elsewhere, not with another header", async () => {
    const sealed = await seal("{\"a\":1}", key, { keyId, path });
    assert.equal(await open(sealed, key, path), "{\"a\":1}");
    await assert.rejects(open(sealed, key, `${path}.moved`), "a file moved elsewhere");
    const otherId = sealed.slice();
    otherId[MAGIC.length] ^= 1; // the key id in the header
    await assert.rejects(open(otherId, key, path), "another key id in the header");
    await assert.rejects(open(sealed, new Uint8Array(32).fill(8), path), "another key");
  });

  it("names its key id in the header", async () => {
    const sealed = await seal("x", key, { keyId, path });
    assert.deepEqual([...sealed.slice(0, MAGIC.length)], [...MAGIC]);
    assert.equal(keyIdOf(sealed), keyId);
    assert.equal(isEncrypted(sealed), true);
  });

  it("keyIdOf: only a version-2 header long enough to hold a key id", () => {
    const header = new Uint8Array(MAGIC.length + 16);
    header.set(MAGIC);
    header.set(Uint8Array.from(keyId.match(/../g)!, (h) => parseInt(h, 16)), MAGIC.length);
    assert.equal(keyIdOf(header), keyId);
    assert.equal(keyIdOf(header.slice(0, header.length - 1)), undefined);
    const v1 = header.slice();
    v1.set(MAGIC_V1);
    assert.equal(keyIdOf(v1), undefined);
  });

  it("refuses a key id that is not 32 lowercase hex digits", async () => {
    for (const bad of [keyId.toUpperCase(), `${keyId}0`, `x${keyId}`, keyId.slice(1), ""]) {
      await assert.rejects(
        seal("x", key, { keyId: bad, path }),
        (err: unknown) =>
          err instanceof RangeError && err.message === "a key id is 32 lowercase hex digits",
        bad,
      );
    }
    assert.match(newKeyId(), /^[0-9a-f]{32}$/);
  });
});

describe("envelope version 1 (read for old files)", () => {
  it("opens; a changed magic (its additional data) does not", async () => {
    const sealed = await sealV1("{\"v\":1}", key);
    assert.deepEqual([...sealed.slice(0, MAGIC_V1.length)], [...MAGIC_V1]);
    assert.equal(sealed.length, MAGIC_V1.length + 12 + 7 + 16, "magic, IV, text, tag");
    assert.equal(isEncrypted(sealed), true);
    assert.equal(keyIdOf(sealed), undefined);
    assert.equal(await open(sealed, key, path), "{\"v\":1}");
    assert.equal(await open(sealed, key, "/any/other/path"), "{\"v\":1}", "not bound to a path");
    const tampered = sealed.slice();
    tampered[MAGIC_V1.length] ^= 1; // the IV
    await assert.rejects(open(tampered, key, path));
  });
});

describe("isEncrypted", () => {
  it("is true from the magic on, even with nothing after it", () => {
    assert.equal(isEncrypted(MAGIC.slice()), true);
    assert.equal(isEncrypted(MAGIC_V1.slice()), true);
    assert.equal(isEncrypted(MAGIC.slice(0, 7)), false);
    assert.equal(isEncrypted(new TextEncoder().encode("{\"Account\":{}}")), false);
  });
});
