/**
 * The boundary checks every server reply goes through (src/network/validate.ts): each
 * accepts exactly what the protocol allows and turns anything else into an
 * `invalid_response` error, never another exception.
 */

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EntraAuthError } from "../../src/errors.ts";
import {
  base64urlDecode,
  base64urlEncode,
  decodeBase64urlJson,
  decodeJwtPayload,
  invalidResponse,
  isJsonObject,
  optionalSeconds,
  optionalString,
  requireString,
} from "../../src/network/validate.ts";

function invalid(what?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof EntraAuthError, String(err));
    assert.equal(err.code, "invalid_response");
    if (what) assert.match(err.message, what);
    return true;
  };
}

const b64 = (text: string) => base64urlEncode(new TextEncoder().encode(text));

describe("reply validation", () => {
  it("invalidResponse says what was wrong and what to do, keeping the cause", () => {
    const cause = new Error("x");
    const err = invalidResponse("token response: foo", cause);
    assert.equal(err.code, "invalid_response");
    assert.match(err.message, /invalid reply \(token response: foo\)/);
    assert.match(err.message, /Retry; if it persists, check the authority and any proxy/);
    assert.equal(err.cause, cause);
  });

  it("isJsonObject: plain objects only", () => {
    assert.equal(isJsonObject({}), true);
    for (const v of [null, [], "s", 1, true, undefined]) assert.equal(isJsonObject(v), false);
  });

  it("requireString: a non-empty string; says missing or not a string", () => {
    assert.equal(requireString({ a: "x" }, "a", "w"), "x");
    assert.throws(() => requireString({}, "a", "where"), invalid(/where: a is missing/));
    assert.throws(() => requireString({ a: "" }, "a", "w"), invalid(/w: a is not a string/));
    assert.throws(() => requireString({ a: 1 }, "a", "w"), invalid(/a is not a string/));
    assert.throws(() => requireString({ a: null }, "a", "w"), invalid(/a is not a string/));
  });

  it("optionalString: absent or null is undefined; a non-string is refused", () => {
    assert.equal(optionalString({}, "a", "w"), undefined);
    assert.equal(optionalString({ a: null }, "a", "w"), undefined);
    assert.equal(optionalString({ a: "" }, "a", "w"), "");
    assert.equal(optionalString({ a: "v" }, "a", "w"), "v");
    assert.throws(
      () => optionalString({ a: 3 }, "a", "where"),
      invalid(/where: a is not a string/),
    );
  });

  it("optionalSeconds: non-negative numbers or decimal strings", () => {
    assert.equal(optionalSeconds({}, "n", "w"), undefined);
    assert.equal(optionalSeconds({ n: null }, "n", "w"), undefined);
    assert.equal(optionalSeconds({ n: 0 }, "n", "w"), 0);
    assert.equal(optionalSeconds({ n: 3599 }, "n", "w"), 3599);
    assert.equal(optionalSeconds({ n: "3599" }, "n", "w"), 3599);
    assert.equal(optionalSeconds({ n: " 12 " }, "n", "w"), 12);
    assert.equal(optionalSeconds({ n: "1.5" }, "n", "w"), 1.5);
    assert.equal(optionalSeconds({ n: "2.25" }, "n", "w"), 2.25);
    const notSeconds = [-1, "-1", "1e3", "", "12s", "0x10", Infinity, NaN, true, {}, "1.", ".5"];
    for (const bad of [...notSeconds, [12], ["3"]]) {
      assert.throws(
        () => optionalSeconds({ n: bad }, "n", "where"),
        invalid(/where: n is not a non-negative number/),
        JSON.stringify(bad),
      );
    }
  });

  it("base64url: round trip, padding optional, other alphabets refused", () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xfe, 0x00, 0x3e, 0x3f]);
    const text = base64urlEncode(bytes);
    assert.equal(text, "-__-AD4_");
    assert.deepEqual(base64urlDecode(text), bytes);
    assert.deepEqual(base64urlDecode("YQ"), new Uint8Array([0x61]));
    assert.deepEqual(base64urlDecode("YQ=="), new Uint8Array([0x61]));
    assert.deepEqual(base64urlDecode("YWI"), new Uint8Array([0x61, 0x62]));
    assert.deepEqual(base64urlDecode(""), new Uint8Array());
    assert.equal(base64urlEncode(new Uint8Array([0x61])), "YQ", "no padding");
    for (const bad of ["a+b", "a/b", "a b", "YQ===", "=YQ", "Y"]) {
      assert.throws(() => base64urlDecode(bad), invalid(/not base64url/), bad);
    }
  });

  it("decodeBase64urlJson: a JSON object in UTF-8, else invalid_response", () => {
    assert.deepEqual(decodeBase64urlJson(b64("{\"uid\":\"u\",\"n\":\"é\"}"), "client_info"), {
      uid: "u",
      n: "é",
    });
    assert.throws(() => decodeBase64urlJson(b64("[1]"), "ci"), invalid(/ci is not a JSON object/));
    assert.throws(
      () => decodeBase64urlJson(b64("nope"), "ci"),
      invalid(/ci is not base64url JSON/),
    );
    const latin1 = base64urlEncode(new Uint8Array([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]));
    assert.throws(() => decodeBase64urlJson(latin1, "ci"), invalid(/not base64url JSON/));
  });

  it("decodeJwtPayload: three parts, a non-empty JSON payload", () => {
    const payload = b64("{\"sub\":\"1\"}");
    assert.deepEqual(decodeJwtPayload(`h.${payload}.s`, "id_token"), { sub: "1" });
    assert.deepEqual(decodeJwtPayload(`h.${payload}.`, "id_token"), { sub: "1" });
    for (const bad of [payload, `h.${payload}`, `h.${payload}.s.x`, "h..s"]) {
      assert.throws(() => decodeJwtPayload(bad, "id_token"), invalid(/id_token is not a JWT/), bad);
    }
    assert.throws(
      () => decodeJwtPayload(`h.${b64("[]")}.s`, "id_token"),
      invalid(/id_token payload is not a JSON object/),
    );
  });
});
