/**
 * PKCE (RFC 7636) with S256: the verifier is 32 random bytes in base64url (43 characters),
 * the challenge is BASE64URL(SHA-256(verifier)), checked against the RFC's own example and
 * against node:crypto.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { createPkce, randomValue, s256Challenge } from "../../src/network/pkce.ts";

describe("PKCE", () => {
  it("computes the RFC 7636 appendix B challenge", async () => {
    assert.equal(
      await s256Challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
      "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
  });

  it("makes a fresh S256 pair each time", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const pkce = await createPkce();
      assert.equal(pkce.method, "S256");
      assert.match(pkce.verifier, /^[A-Za-z0-9_-]{43}$/, "32 bytes, base64url, no padding");
      const expected = createHash("sha256").update(pkce.verifier).digest("base64url");
      assert.equal(pkce.challenge, expected);
      seen.add(pkce.verifier);
    }
    assert.equal(seen.size, 20, "verifiers repeat");
  });

  it("random values have the requested entropy", () => {
    assert.match(randomValue(), /^[A-Za-z0-9_-]{43}$/);
    assert.match(randomValue(16), /^[A-Za-z0-9_-]{22}$/);
    assert.notEqual(randomValue(), randomValue());
  });
});
