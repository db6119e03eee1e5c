/**
 * Fuzzing the authority's replies: OpenID Connect metadata (as a document, as the app's
 * `authorityMetadata` text, and fetched) and Entra's instance discovery (its alias table).
 */

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import {
  clearAuthorityCache,
  discoverInstance,
  processMetadata,
  resolveAuthority,
} from "../../src/network/authority_metadata.ts";
import { clearDiscoveredClouds, cloudOf } from "../../src/network/cloud_aliases.ts";
import {
  fc,
  fuzzParameters,
  fuzzTestTimeout,
  settle,
  settleAsync,
  watchProcessFaults,
} from "../support/fuzz.ts";
import { mutated, nastyValue, oddString } from "../support/fuzz_arbitraries.ts";

const HOST = "login.contoso-sovereign.example";
const endpointUrl = fc.oneof(
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      `https://${HOST}/t/oauth2/v2.0/token`,
      "http://127.0.0.1:8080/token",
      "javascript:alert(1)",
      "file:///etc/passwd",
      "https://",
      "//no-scheme.example/token",
      "https://[::1/",
      "https://x:99999/",
      "https://%zz/",
    ),
  },
  { weight: 4, arbitrary: fc.webUrl() },
);

const validMetadata = fc.record({
  issuer: fc.constant(`https://${HOST}/t/v2.0`),
  authorization_endpoint: fc.constant(`https://${HOST}/t/oauth2/v2.0/authorize`),
  token_endpoint: fc.constant(`https://${HOST}/t/oauth2/v2.0/token`),
  device_authorization_endpoint: fc.constant(`https://${HOST}/t/oauth2/v2.0/devicecode`),
  end_session_endpoint: endpointUrl,
  jwks_uri: endpointUrl,
  response_types_supported: fc.constant(["code", "id_token"]),
  authorization_response_iss_parameter_supported: fc.boolean(),
}, { requiredKeys: ["issuer", "authorization_endpoint", "token_endpoint"] });

const metadataBody: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: mutated(validMetadata, 4) },
  { weight: 1, arbitrary: nastyValue },
);

const ENDPOINTS = [
  "authorization_endpoint",
  "token_endpoint",
  "device_authorization_endpoint",
  "end_session_endpoint",
  "jwks_uri",
] as const;

function checkMetadata(m: ReturnType<typeof processMetadata>): void {
  assert.ok(typeof m.issuer === "string" && m.issuer !== "");
  for (const name of ENDPOINTS) {
    const value = m[name];
    if (value === undefined && name !== "authorization_endpoint" && name !== "token_endpoint") {
      continue;
    }
    assert.equal(typeof value, "string", name);
    const url = new URL(value as string);
    assert.ok(url.protocol === "https:" || url.protocol === "http:", `${name} ${value}`);
  }
}

const validDiscovery = fc.record({
  tenant_discovery_endpoint: fc.constant(`https://${HOST}/t/v2.0/.well-known/openid-configuration`),
  "api-version": fc.constant("1.1"),
  metadata: fc.array(
    mutated(
      fc.record({
        preferred_network: fc.constant(HOST),
        preferred_cache: fc.constant(HOST),
        aliases: fc.constantFrom([HOST], [HOST, `alt.${HOST}`], [], [HOST, HOST.toUpperCase()]),
      }),
      2,
    ),
    { maxLength: 3 },
  ),
}, { requiredKeys: ["tenant_discovery_endpoint"] });

function jsonFetch(status: number, body: string) {
  return () =>
    Promise.resolve(
      new Response(body, { status, headers: { "content-type": "application/json" } }),
    );
}

afterEach(() => {
  clearAuthorityCache();
  clearDiscoveredClouds();
});

describe("fuzz: authority metadata and instance discovery", () => {
  it("a metadata document gives http(s) endpoints or invalid_response", {
    timeout: fuzzTestTimeout(300, 10),
  }, () => {
    fc.assert(
      fc.property(metadataBody, (body) => {
        const out = settle(() => processMetadata(body), ["invalid_response"]);
        if (out.ok) checkMetadata(out.value);
      }),
      fuzzParameters(300),
    );
  });

  it("metadata given by the app as text, or fetched, resolves or fails typed", {
    timeout: fuzzTestTimeout(200, 100),
  }, async () => {
    const faults = watchProcessFaults();
    try {
      const text = fc.oneof(
        metadataBody.map((b) => JSON.stringify(b) ?? ""),
        fc.tuple(metadataBody, fc.nat()).map(([b, n]) => {
          const s = JSON.stringify(b) ?? "";
          return s.slice(0, n % (s.length + 1));
        }),
        oddString,
      );
      await fc.assert(
        fc.asyncProperty(
          text,
          fc.boolean(),
          fc.constantFrom(200, 400, 404, 500),
          async (t, given, status) => {
            clearAuthorityCache();
            const out = await settleAsync(
              () =>
                resolveAuthority(
                  {
                    authority: `https://${HOST}/t`,
                    authorityType: "oidc",
                    authorityMetadata: given ? t : undefined,
                  },
                  {
                    fetch: jsonFetch(status, t),
                    maxRetryAfterMs: 0,
                    defaultRetryDelayMs: 0,
                    requestTimeoutMs: 5_000,
                  },
                ),
              given
                ? ["invalid_argument", "invalid_response"]
                : ["invalid_response", "server_error", "interaction_required", "throttled"],
              5_000,
            );
            if (out.ok) checkMetadata(out.value.metadata);
            faults.check();
          },
        ),
        fuzzParameters(200),
      );
    } finally {
      faults.stop();
    }
  });

  it("instance discovery gives a metadata URL and a sane alias table, or fails typed", {
    timeout: fuzzTestTimeout(200, 100),
  }, async () => {
    const faults = watchProcessFaults();
    try {
      const body = fc.oneof(
        { weight: 5, arbitrary: mutated(validDiscovery, 3).map((b) => JSON.stringify(b)) },
        {
          weight: 1,
          arbitrary: fc.constantFrom(
            JSON.stringify({ error: "invalid_instance", error_description: "AADSTS50049" }),
            "",
            "[]",
          ),
        },
      );
      await fc.assert(
        fc.asyncProperty(body, fc.constantFrom(200, 200, 400), async (text, status) => {
          clearDiscoveredClouds();
          const out = await settleAsync(
            () =>
              discoverInstance(
                { url: `https://${HOST}/t`, host: HOST, tenant: "t", type: "aad" },
                { fetch: jsonFetch(status, text), maxRetryAfterMs: 0, requestTimeoutMs: 5_000 },
              ),
            ["invalid_response", "server_error", "interaction_required"],
            5_000,
          );
          if (out.ok) {
            assert.ok(typeof out.value === "string" && out.value !== "");
            const cloud = cloudOf(HOST);
            if (cloud) {
              assert.equal(typeof cloud.preferredCache, "string");
              assert.ok(cloud.aliases.every((a) => typeof a === "string"));
            }
          }
          faults.check();
        }),
        fuzzParameters(200),
      );
    } finally {
      faults.stop();
    }
  });
});
