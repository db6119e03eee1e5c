/**
 * Generators for the fuzzers in tests/fuzz/: realistic valid replies (token, error, metadata,
 * device code, id tokens, caches) and the mutations servers, proxies and other MSAL libraries
 * actually produce: valid JSON with the wrong types, huge numbers (`1e21`), negatives,
 * NaN-ish and locale digits in strings, unicode and lone surrogates, very long strings,
 * missing fields, extra fields (`__proto__` included).
 *
 * @module
 */

import { base64urlEncode } from "../../src/network/validate.ts";
import { fc } from "./fuzz.ts";

type Json = Record<string, unknown>;

/** Numbers a server might send where seconds or a count are expected. */
export const oddNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    1e21,
    -1e21,
    1e300,
    Number.MAX_VALUE,
    Number.MAX_SAFE_INTEGER,
    2 ** 53 + 2,
    8.64e12,
    8.64e15,
    2 ** 31 - 1,
    2 ** 31,
    2 ** 32,
    -1,
    -0,
    0,
    0.5,
    1e-7,
    3599.999,
  ),
  fc.integer(),
  fc.double({ noNaN: true }),
);

/** Strings where a number is expected: NaN-ish, exponents, hex, other digits, whitespace. */
export const numericString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "NaN",
    "Infinity",
    "-Infinity",
    "1e21",
    "1e+21",
    "1E3",
    " 3599 ",
    "3599\n",
    "\u00a03599",
    "0x10",
    "0b11",
    "\uff13\uff15\uff19\uff19",
    "\u0663\u0665\u0669\u0669",
    "-1",
    "",
    "3599.5",
    "00012",
    "1_000",
    "12abc",
    "9".repeat(400),
    ".5",
    "5.",
  ),
  fc.nat().map(String),
  fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String),
  oddNumber.map(String),
);

/** A long string (up to ~300 KB): bodies and fields without a size limit. */
export const longString: fc.Arbitrary<string> = fc.tuple(
  fc.integer({ min: 1_000, max: 300_000 }),
  fc.constantFrom("a", "\u00e9", "\ud83d\ude00", "=", "%", "."),
).map(([n, unit]) => unit.repeat(Math.ceil(n / unit.length)));

/** Strings that break naive code: empty, control characters, lone surrogates, markup, long. */
export const oddString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string() },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme" }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary" }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "",
      " ",
      "\u0000",
      "null",
      "undefined",
      "__proto__",
      "constructor",
      "\ud800",
      "\udfff",
      "<script>alert(1)</script>",
      "a\r\nb",
      "%zz",
      "../../etc/passwd",
    ),
  },
  { weight: 1, arbitrary: longString },
  { weight: 1, arbitrary: numericString },
);

/** Keys for extra fields: protocol-like names, prototype names, anything. */
export const extraKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "__proto__",
    "constructor",
    "prototype",
    "toString",
    "hasOwnProperty",
    "valueOf",
    "x_extra",
    "",
    "error",
    "access_token",
  ),
  fc.string({ maxLength: 12 }),
);

/** Any value a field could hold after JSON parsing, weighted to the nasty ones. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: oddNumber },
  { weight: 3, arbitrary: numericString },
  { weight: 3, arbitrary: oddString },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false) },
  { weight: 1, arbitrary: fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** One change to an object. */
type Mutation =
  | { kind: "delete"; index: number; }
  | { kind: "set"; index: number; value: unknown; }
  | { kind: "add"; key: string; value: unknown; };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("delete" as const), index: fc.nat() }),
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("set" as const), index: fc.nat(), value: nastyValue }),
  },
  fc.record({ kind: fc.constant("add" as const), key: extraKey, value: nastyValue }),
);

/** Sets an own property, even for names such as `__proto__` (as `JSON.parse` does). */
export function setOwn(target: Json, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function applyMutations(base: Json, mutations: readonly Mutation[]): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(base)) setOwn(out, k, v);
  for (const m of mutations) {
    const keys = Object.keys(out);
    if (m.kind === "add") setOwn(out, m.key, m.value);
    else if (keys.length === 0) continue;
    else if (m.kind === "delete") delete out[keys[m.index % keys.length]];
    else setOwn(out, keys[m.index % keys.length], m.value);
  }
  return out;
}

/**
 * Valid objects, and the same with a few fields deleted, retyped or added: about a third are
 * left valid, so the success path is exercised as well.
 *
 * @param valid valid objects
 * @param maxMutations the most changes applied to one object
 * @returns the objects, as `JSON.parse` would give them (own `__proto__` keys included)
 */
export function mutated(valid: fc.Arbitrary<Json>, maxMutations = 3): fc.Arbitrary<Json> {
  return fc.tuple(
    valid,
    fc.oneof(
      fc.constant([] as Mutation[]),
      fc.array(mutation, { minLength: 1, maxLength: maxMutations }),
      fc.array(mutation, { minLength: 1, maxLength: maxMutations }),
    ),
  ).map(([base, mutations]) => jsonRoundTrip(applyMutations(base, mutations)) as Json);
}

/**
 * What a value becomes on the wire: `JSON.parse(JSON.stringify(value))` (NaN → null, -0 → 0).
 *
 * @param value any JSON-able value
 * @returns the parsed copy
 */
export function jsonRoundTrip(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value) ?? "null");
}

/**
 * base64url of the UTF-8 JSON of a value.
 *
 * @param value any value
 * @returns base64url text
 */
export function b64json(value: unknown): string {
  return base64urlEncode(new TextEncoder().encode(JSON.stringify(value)));
}

/** The client id the fuzzers' requests use. */
export const CLIENT_ID = "00000000-0000-0000-0000-00000000c1e7";
/** The tenant of the valid replies. */
export const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/** Valid id token claims (Entra v2.0) for {@link CLIENT_ID}. */
export function validIdTokenClaims(
  options: { nonce?: string; now: number; },
): fc.Arbitrary<Json> {
  return fc.record({
    aud: fc.constantFrom(CLIENT_ID, [CLIENT_ID], [CLIENT_ID, "other"]),
    iss: fc.constant(`https://login.microsoftonline.com/${TENANT}/v2.0`),
    iat: fc.constant(options.now - 10),
    nbf: fc.constant(options.now - 10),
    exp: fc.constant(options.now + 3600),
    auth_time: fc.constant(options.now - 20),
    nonce: fc.constant(options.nonce ?? "n"),
    oid: fc.uuid(),
    sub: fc.string({ minLength: 1, maxLength: 43 }),
    tid: fc.constant(TENANT),
    preferred_username: fc.constantFrom("ada@contoso.example", "\u00e5sa@contoso.example", ""),
    name: fc.string({ unit: "grapheme", maxLength: 20 }),
    ver: fc.constant("2.0"),
  }, {
    requiredKeys: ["aud", "iss", "iat", "exp", "nonce", "oid", "sub", "tid"],
  });
}

/** A compact JWS with the given payload (signature not checked by the client). */
export function jwt(claims: unknown, header: unknown = { alg: "RS256", typ: "JWT", kid: "k" }) {
  return `${b64json(header)}.${b64json(claims)}.c2lnbmF0dXJl`;
}

/** JWT-shaped strings that are not quite: wrong part counts, junk base64, non-JSON, arrays. */
export function brokenJwt(claims: fc.Arbitrary<Json>): fc.Arbitrary<string> {
  const enc = (text: string) => base64urlEncode(new TextEncoder().encode(text));
  return fc.oneof(
    claims.map((c) => jwt(c).split(".").slice(0, 2).join(".")),
    claims.map((c) => `${jwt(c)}.extra`),
    claims.map((c) => jwt(c).replace(/[A-Za-z]/, "+")),
    claims.map((c) => {
      const [h, p, s] = jwt(c).split(".");
      return `${h}.${p}==.${s}`;
    }),
    claims.map((c) => {
      const [h, p, s] = jwt(c).split(".");
      return `${h}.${p.slice(0, Math.max(1, p.length - 3))}.${s}`;
    }),
    fc.constantFrom("", ".", "..", "a.b.c", "x..y", "eyJ9.eyJ9.", "\u00e9.\u00e9.\u00e9"),
    fc.jsonValue().map((v) => `${enc("{}")}.${enc(JSON.stringify(v))}.s`),
    fc.string().map((s) => `${enc("{}")}.${enc(s)}.s`),
    fc.uint8Array({ maxLength: 40 }).map((bytes) => `${enc("{}")}.${base64urlEncode(bytes)}.s`),
    oddString,
  );
}
