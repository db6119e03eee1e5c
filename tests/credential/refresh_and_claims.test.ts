/**
 * The pure parts of the credential: the refresh time is always ahead, claims challenges are
 * decoded as the Azure SDK and the Graph client deliver them, and shared requests abort only
 * when every caller has.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { claimsFromChallenge, decodeClaimsChallenge, EntraAuthError } from "../../mod.ts";
import { refreshAfter } from "../../src/credential/refresh.ts";
import { SharedRequests } from "../../src/credential/shared_requests.ts";

describe("refreshAfter", () => {
  it("is always in the future, and before expiry whenever the token is not about to expire", () => {
    const now = 1_700_000_000_000;
    const lifetimes = [
      -3_600_000,
      -1,
      0,
      1,
      500,
      999,
      1_000,
      1_001,
      60_000,
      299_999,
      300_000,
      600_000,
      3_599_000,
      3_600_000,
      7_199_999,
      7_200_000,
      86_400_000,
      90 * 86_400_000,
    ];
    for (const life of lifetimes) {
      const after = refreshAfter(now + life, now);
      assert.ok(after > now, `lifetime ${life}: ${after - now}`);
      if (life > 2_000) assert.ok(after < now + life, `lifetime ${life}: after expiry`);
    }
    assert.equal(refreshAfter(now + 3_600_000, now), now + 3_300_000); // 5 minutes before
    assert.equal(refreshAfter(now + 86_400_000, now), now + 43_200_000); // half-life
    assert.equal(refreshAfter(now + 240_000, now), now + 120_000); // short: half-life
  });
});

describe("claims challenges", () => {
  const json = "{\"access_token\":{\"nbf\":{\"essential\":true,\"value\":\"1\"}}}";
  it("accepts JSON (core-rest-pipeline), base64 and base64url", () => {
    assert.equal(decodeClaimsChallenge(json), json);
    assert.equal(decodeClaimsChallenge(btoa(json)), json);
    assert.equal(
      decodeClaimsChallenge(btoa(json).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")),
      json,
    );
    assert.equal(decodeClaimsChallenge(undefined), undefined);
    assert.equal(decodeClaimsChallenge(""), undefined);
    for (const bad of ["nope", "[1]", btoa("[1]"), "{"]) {
      assert.throws(
        () => decodeClaimsChallenge(bad),
        (e: unknown) => e instanceof EntraAuthError && e.code === "invalid_argument",
      );
    }
  });
  it("reads the claims of a WWW-Authenticate insufficient_claims challenge", () => {
    const header =
      `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${
        btoa(json)
      }"`;
    assert.equal(claimsFromChallenge(header), json);
    assert.equal(claimsFromChallenge(`PoP nonce="x", ${header}`), json);
    assert.equal(claimsFromChallenge("Bearer error=\"invalid_token\""), undefined);
    assert.equal(claimsFromChallenge(null), undefined);
  });
});

describe("SharedRequests", () => {
  it("starts one request per key and aborts it only when every caller has", async () => {
    const shared = new SharedRequests<string>();
    let starts = 0;
    let innerAborted = false;
    const start = (signal: AbortSignal) => {
      starts++;
      return new Promise<string>((resolve) => {
        signal.addEventListener("abort", () => {
          innerAborted = true;
          resolve("aborted");
        });
        setTimeout(() => resolve("done"), 300);
      });
    };
    const a = new AbortController();
    const b = new AbortController();
    const pa = shared.run("k", a.signal, start);
    const pb = shared.run("k", b.signal, start);
    a.abort();
    await assert.rejects(pa, (e: unknown) => e instanceof EntraAuthError && e.code === "aborted");
    assert.equal(innerAborted, false);
    assert.equal(await pb, "done");
    assert.equal(starts, 1);
    // Aborted by its only caller once started: the request's own signal aborts.
    const c = new AbortController();
    const pc = shared.run("k2", c.signal, start);
    await new Promise((r) => setTimeout(r, 20));
    c.abort();
    await assert.rejects(pc);
    assert.equal(innerAborted, true);
    // Aborted before it started: it never starts.
    const d = new AbortController();
    const pd = shared.run("k3", d.signal, start);
    d.abort();
    await assert.rejects(pd);
    assert.equal(starts, 2);
    assert.equal(shared.size, 0);
  });
});
