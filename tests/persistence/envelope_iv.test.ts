/**
 * The encrypted cache never reuses an AES-GCM nonce (IV) under one key: a repeated IV repeats
 * the key stream, so two writes would leak the XOR of their plaintexts and GCM's
 * authentication key. Checked without assuming where the IV sits in the file: a reused key
 * stream shows as an offset where the two ciphertexts XOR to the two plaintexts' XOR.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { open, seal } from "../../src/persistence/envelope.ts";

/** Offsets where `c1 ^ c2` equals `p1 ^ p2` over `window` bytes: a reused key stream. */
function keystreamReuse(c1: Uint8Array, c2: Uint8Array, p1: Uint8Array, p2: Uint8Array): number[] {
  const window = 32;
  const found: number[] = [];
  for (let o = 0; o + window <= Math.min(c1.length, c2.length); o++) {
    let same = true;
    for (let i = 0; i < window && same; i++) {
      same = (c1[o + i] ^ c2[o + i]) === (p1[i] ^ p2[i]);
    }
    if (same) found.push(o);
  }
  return found;
}

/** The file the envelope is bound to (format v2: its key id and path are authenticated). */
const BINDING = {
  keyId: "0123456789abcdef0123456789abcdef",
  path: "/tmp/entra-auth-iv-test/cache.json",
};

describe("encrypted cache file: a fresh IV for every write", () => {
  it("two writes under one key never share a key stream", { timeout: 20_000 }, async () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const a = JSON.stringify({ AccessToken: { k: { secret: "first-token-value-0123456789" } } });
    const b = JSON.stringify({ AccessToken: { k: { secret: "other-token-value-9876543210" } } });
    assert.equal(a.length, b.length);
    const enc = new TextEncoder();
    const [pa, pb] = [enc.encode(a), enc.encode(b)];
    for (let round = 0; round < 20; round++) {
      const [ca, cb] = [await seal(a, key, BINDING), await seal(b, key, BINDING)];
      assert.deepEqual(keystreamReuse(ca, cb, pa, pb), [], "the key stream was reused");
      assert.equal(await open(ca, key, BINDING.path), a);
      assert.equal(await open(cb, key, BINDING.path), b);
    }
  });

  it("the same text written twice gives two different files", { timeout: 20_000 }, async () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const sealed = await seal("{\"AccessToken\":{}}", key, BINDING);
      seen.add(Array.from(sealed, (b) => b.toString(16).padStart(2, "0")).join(""));
    }
    assert.equal(seen.size, 50, "identical ciphertexts: the IV does not change between writes");
  });
});
