import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TEST_CLIENT_ID } from "../../src/testing/entra_emulator/mod.ts";
import { authorizeCode, makeEmulator, postForm, REDIRECT } from "./entra_emulator_helpers.ts";

const AUTHORITY = "https://login.microsoftonline.com/common";
const TOKEN = `${AUTHORITY}/oauth2/v2.0/token`;
const METADATA = `${AUTHORITY}/v2.0/.well-known/openid-configuration`;

async function refreshToken(emulator: ReturnType<typeof makeEmulator>): Promise<string> {
  const { params, verifier } = await authorizeCode(emulator, AUTHORITY);
  const res = await postForm(emulator.fetch, TOKEN, {
    client_id: TEST_CLIENT_ID,
    grant_type: "authorization_code",
    code: params.get("code") ?? "",
    redirect_uri: REDIRECT,
    code_verifier: verifier,
  });
  return (await res.json()).refresh_token;
}

const refresh = (
  emulator: ReturnType<typeof makeEmulator>,
  rt: string,
  headers: Record<string, string> = {},
) =>
  postForm(emulator.fetch, TOKEN, {
    client_id: TEST_CLIENT_ID,
    grant_type: "refresh_token",
    refresh_token: rt,
    scope: "openid User.Read",
  }, headers);

describe("faults", () => {
  it("injects invalid_grant on refresh a given number of times", async () => {
    const emulator = makeEmulator();
    const rt = await refreshToken(emulator);
    const fault = emulator.addFault({
      kind: "error",
      error: "invalid_grant",
      match: { endpoint: "token", grantType: "refresh_token" },
      times: 2,
    });
    assert.equal(emulator.faults()[0].remaining, 2);
    for (let i = 0; i < 2; i++) {
      const res = await refresh(emulator, rt);
      assert.equal(res.status, 400);
      const body = await res.json();
      assert.equal(body.error, "invalid_grant");
      assert.deepEqual(body.error_codes, [70000]);
    }
    assert.equal((await refresh(emulator, rt)).status, 200);
    assert.deepEqual(emulator.faults(), []);
    assert.equal(emulator.requests().filter((r) => r.faultId === fault.id).length, 2);
  });

  it("injects interaction_required with a claims challenge and suberror", async () => {
    const emulator = makeEmulator();
    const rt = await refreshToken(emulator);
    const claims = "{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"abc\"]}}}";
    emulator.addFault({
      kind: "error",
      error: "interaction_required",
      code: 53003,
      description: "Access has been blocked by Conditional Access policies.",
      suberror: "basic_action",
      claims,
      match: { endpoint: "token" },
    });
    const res = await refresh(emulator, rt, {
      "client-request-id": "11111111-2222-4333-8444-555555555555",
    });
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("client-request-id"), "11111111-2222-4333-8444-555555555555");
    const body = await res.json();
    assert.equal(body.error, "interaction_required");
    assert.equal(body.suberror, "basic_action");
    assert.equal(body.claims, claims);
    assert.equal(body.correlation_id, "11111111-2222-4333-8444-555555555555");
    assert.match(body.error_description, /^AADSTS53003: Access has been blocked/);
    assert.match(body.error_description, /Correlation ID: 11111111-2222-4333-8444-555555555555/);
  });

  it("injects 429 and 503 with Retry-After", async () => {
    const emulator = makeEmulator();
    emulator.addFault({
      kind: "status",
      status: 429,
      retryAfter: 7,
      match: { endpoint: "openid_configuration" },
    });
    emulator.addFault({
      kind: "status",
      status: 503,
      retryAfter: 2,
      match: { endpoint: "openid_configuration" },
    });
    const first = await emulator.fetch(METADATA);
    assert.equal(first.status, 429);
    assert.equal(first.headers.get("retry-after"), "7");
    const second = await emulator.fetch(METADATA);
    assert.equal(second.status, 503);
    assert.equal(second.headers.get("retry-after"), "2");
    assert.equal((await second.json()).error, "server_error");
    assert.equal((await emulator.fetch(METADATA)).status, 200);
  });

  it("injects malformed JSON, truncated bodies and delays", async () => {
    const emulator = makeEmulator();
    emulator.addFault({ kind: "malformed_json", match: { endpoint: "jwks" } });
    const bad = await emulator.fetch(`${AUTHORITY}/discovery/v2.0/keys`);
    assert.equal(bad.status, 200);
    await assert.rejects(bad.json(), SyntaxError);

    emulator.addFault({ kind: "truncated", match: { endpoint: "openid_configuration" } });
    const cut = await emulator.fetch(METADATA);
    const text = await cut.text();
    const full = await (await emulator.fetch(METADATA)).text();
    assert.equal(text, full.slice(0, Math.floor(new TextEncoder().encode(full).length / 2)));
    assert.throws(() => JSON.parse(text), SyntaxError);

    emulator.addFault({ kind: "delay", ms: 150, match: { endpoint: "openid_configuration" } });
    const t0 = Date.now();
    const slow = await emulator.fetch(METADATA);
    assert.equal(slow.status, 200);
    assert.ok(Date.now() - t0 >= 140, "reply was delayed");
  });

  it("over a socket, a truncated body fails the client's read", async () => {
    const emulator = makeEmulator();
    const server = await emulator.listen();
    try {
      emulator.addFault({ kind: "truncated", match: { endpoint: "openid_configuration" } });
      const url = `${server.url}/common/v2.0/.well-known/openid-configuration`;
      await assert.rejects(async () => {
        const res = await fetch(url);
        JSON.parse(await res.text());
      });
      const ok = await fetch(url);
      assert.equal((await ok.json()).issuer, `${server.url}/{tenantid}/v2.0`);
    } finally {
      await server.close();
    }
  });

  it("redirects an injected authorize error back to the app", async () => {
    const emulator = makeEmulator();
    emulator.addFault({
      kind: "error",
      error: "interaction_required",
      match: { endpoint: "authorize" },
    });
    const { params } = await authorizeCode(emulator, AUTHORITY);
    assert.equal(params.get("error"), "interaction_required");
    assert.match(params.get("error_description") ?? "", /^AADSTS50076: /);
    assert.equal(params.get("state"), "st-1");
  });

  it("accepts faults, lists and clears them through the control endpoint", async () => {
    const emulator = makeEmulator();
    const server = await emulator.listen();
    try {
      const add = await fetch(`${server.url}/_emulator/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify([
          {
            kind: "error",
            error: "invalid_grant",
            match: { endpoint: "token", grantType: "refresh_token" },
            times: -1,
          },
          { kind: "status", status: 503, match: { endpoint: "jwks" } },
        ]),
      });
      assert.equal(add.status, 201);
      const added = await add.json();
      assert.equal(added.length, 2);
      assert.equal(added[0].remaining, -1, "Infinity is shown as -1");
      const rejected = await fetch(`${server.url}/_emulator/faults`, {
        method: "POST",
        body: "{\"kind\":\"nope\"}",
      });
      assert.equal(rejected.status, 400);
      for (let i = 0; i < 3; i++) {
        const res = await refresh(emulator, "whatever");
        assert.equal((await res.json()).error_codes[0], 70000, "always-on fault keeps firing");
      }
      const list = await (await fetch(`${server.url}/_emulator/faults`)).json();
      assert.equal(list.length, 2);
      assert.equal(
        (await fetch(`${server.url}/_emulator/faults/${added[1].id}`, { method: "DELETE" })).status,
        200,
      );
      assert.equal((await fetch(`${server.url}/common/discovery/v2.0/keys`)).status, 200);
      await fetch(`${server.url}/_emulator/faults`, { method: "DELETE" });
      assert.deepEqual(emulator.faults(), []);
      const time = await fetch(`${server.url}/_emulator/time`, {
        method: "POST",
        body: "{\"advanceSeconds\":60}",
      });
      assert.ok((await time.json()).now >= Date.now() + 59_000);
      const described = await (await fetch(`${server.url}/_emulator`)).json();
      assert.equal(described.users[0].username, "alice@contoso.onmicrosoft.com");
    } finally {
      await server.close();
    }
  });
});

describe("request log", () => {
  it("records requests with telemetry from headers and from query/body parameters", async () => {
    const emulator = makeEmulator();
    const server = await emulator.listen();
    try {
      // MSAL Python style: headers.
      await postForm(fetch, `${server.url}/common/oauth2/v2.0/token`, {
        client_id: TEST_CLIENT_ID,
        grant_type: "refresh_token",
        refresh_token: "x",
        scope: "openid",
      }, {
        "client-request-id": "aaaaaaaa-0000-4000-8000-000000000001",
        "x-client-SKU": "MSAL.Python",
        "x-client-Ver": "1.31.0",
        "x-client-current-telemetry": "4|84,0|",
        "x-ms-lib-capability": "retry-after, h429",
        "X-AnchorMailbox": "Oid:u@t",
      });
      // msal-node style: query parameters and body.
      const q = new URLSearchParams({
        "client-request-id": "bbbbbbbb-0000-4000-8000-000000000002",
        "x-client-SKU": "msal.js.node",
        "x-client-VER": "2.16.0",
      });
      const res = await postForm(fetch, `${server.url}/common/oauth2/v2.0/token?${q}`, {
        client_id: TEST_CLIENT_ID,
        grant_type: "refresh_token",
        refresh_token: "x",
        scope: "openid",
        "x-client-current-telemetry": "5|61,0|",
      });
      assert.equal(res.headers.get("client-request-id"), "bbbbbbbb-0000-4000-8000-000000000002");
      assert.equal((await res.json()).correlation_id, "bbbbbbbb-0000-4000-8000-000000000002");

      const log = await (await fetch(`${server.url}/_emulator/requests`)).json();
      assert.equal(log.length, 2);
      const [py, node] = log;
      assert.equal(py.method, "POST");
      assert.equal(py.path, "/common/oauth2/v2.0/token");
      assert.equal(py.endpoint, "token");
      assert.equal(py.tenant, "common");
      assert.equal(py.status, 400);
      assert.equal(py.form.grant_type, "refresh_token");
      assert.equal(py.headers["x-client-sku"], "MSAL.Python");
      assert.equal(py.headers["x-anchormailbox"], "Oid:u@t");
      assert.equal(py.telemetry["x-client-current-telemetry"], "4|84,0|");
      assert.equal(py.telemetry["x-ms-lib-capability"], "retry-after, h429");
      assert.equal(py.correlationId, "aaaaaaaa-0000-4000-8000-000000000001");
      assert.equal(node.query["x-client-SKU"], "msal.js.node");
      assert.equal(node.telemetry["x-client-sku"], "msal.js.node");
      assert.equal(node.telemetry["x-client-ver"], "2.16.0");
      assert.equal(node.telemetry["x-client-current-telemetry"], "5|61,0|");
      assert.equal(node.correlationId, "bbbbbbbb-0000-4000-8000-000000000002");
      await fetch(`${server.url}/_emulator/requests`, { method: "DELETE" });
      assert.deepEqual(emulator.requests(), []);
    } finally {
      await server.close();
    }
  });
});
