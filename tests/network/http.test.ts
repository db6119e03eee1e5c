import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { EntraAuthError, InteractionRequiredError, ServerError } from "../../src/errors.ts";
import { parseRetryAfter, sendRequest } from "../../src/network/http.ts";
import { parseErrorBody, ThrottledError } from "../../src/network/server_error.ts";
import type { EmulatorServer, EntraEmulator } from "../../src/testing/entra_emulator/mod.ts";
import { makeNetworkEmulator, TEST_CLIENT_ID } from "../support/network_emulator.ts";

const TOKEN_URL = "https://login.microsoftonline.com/common/oauth2/v2.0/token";
const META_URL = "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration";

function post(url = TOKEN_URL) {
  return {
    method: "POST" as const,
    url,
    form: { grant_type: "refresh_token", client_id: TEST_CLIENT_ID, refresh_token: "x" },
    what: "token request",
  };
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<EntraAuthError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof EntraAuthError, `not an EntraAuthError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected a ${code} error`);
}

describe("sendRequest headers", () => {
  it("sends client-request-id, x-client-* and x-ms-lib-capability headers and the form", async () => {
    const emulator = makeNetworkEmulator();
    const reply = await sendRequest({
      ...post(),
      telemetry: { apiId: 85, cacheInfo: 3 },
    }, { fetch: emulator.fetch, correlationId: "11111111-2222-4333-8444-555555555555" });
    assert.equal(reply.status, 400);
    const [entry] = emulator.requests();
    assert.equal(entry.endpoint, "token");
    assert.equal(entry.headers["client-request-id"], "11111111-2222-4333-8444-555555555555");
    assert.equal(entry.headers["x-client-sku"], "entra-auth.js");
    assert.match(entry.headers["x-client-ver"], /^\d+\.\d+\.\d+/);
    assert.ok(entry.headers["x-client-os"]);
    assert.ok(entry.headers["x-client-cpu"]);
    assert.equal(entry.headers["x-ms-lib-capability"], "retry-after, h429");
    assert.equal(entry.telemetry["x-client-current-telemetry"], "4|85,3|");
    assert.equal(entry.form["client_id"], TEST_CLIENT_ID);
    assert.equal(entry.correlationId, "11111111-2222-4333-8444-555555555555");
  });

  it("uses a new client-request-id per request by default", async () => {
    const emulator = makeNetworkEmulator();
    await sendRequest({ method: "GET", url: META_URL, what: "m" }, { fetch: emulator.fetch });
    await sendRequest({ method: "GET", url: META_URL, what: "m" }, { fetch: emulator.fetch });
    const [a, b] = emulator.requests().map((r) => r.headers["client-request-id"]);
    assert.match(a, /^[0-9a-f-]{36}$/);
    assert.notEqual(a, b);
  });
});

describe("error bodies", () => {
  it("parses AADSTS codes, suberror, correlation and trace ids, claims", async () => {
    const emulator = makeNetworkEmulator();
    const claims = "{\"access_token\":{\"capolids\":{\"essential\":true,\"values\":[\"1\"]}}}";
    emulator.addFault({
      kind: "error",
      error: "interaction_required",
      code: 50076,
      suberror: "basic_action",
      claims,
      match: { endpoint: "token" },
    });
    const reply = await sendRequest(post(), { fetch: emulator.fetch, correlationId: "c-1" });
    const details = parseErrorBody(reply.status, reply.body);
    assert.ok(details);
    assert.equal(details.httpStatus, 400);
    assert.equal(details.error, "interaction_required");
    assert.deepEqual(details.errorCodes, [50076]);
    assert.equal(details.subError, "basic_action");
    assert.equal(details.correlationId, "c-1");
    assert.match(details.traceId ?? "", /^[0-9a-f-]{36}$/);
    assert.match(details.errorDescription ?? "", /^AADSTS50076: /);
    assert.equal(details.claims, claims);
  });

  it("takes AADSTS codes from the description when error_codes is absent", () => {
    const d = parseErrorBody(400, { error: "invalid_grant", error_description: "AADSTS70008: x" });
    assert.deepEqual(d?.errorCodes, [70008]);
    assert.equal(parseErrorBody(400, { error: 5 }), undefined);
    assert.equal(parseErrorBody(400, []), undefined);
  });
});

describe("retries and throttling", () => {
  it("retries a 429 once after Retry-After seconds", async () => {
    const emulator = makeNetworkEmulator();
    emulator.addFault({ kind: "status", status: 429, retryAfter: 1, match: { endpoint: "token" } });
    const started = Date.now();
    const reply = await sendRequest(post(), { fetch: emulator.fetch });
    const elapsed = Date.now() - started;
    assert.equal(reply.status, 400); // the real reply to this (incomplete) request
    assert.equal(typeof reply.body.error, "string");
    assert.ok(elapsed >= 950, `retried after ${elapsed} ms, before Retry-After`);
    assert.deepEqual(emulator.requests().map((r) => r.status), [429, 400]);
  });

  it("retries a 503 without Retry-After once after the default delay", async () => {
    const emulator = makeNetworkEmulator();
    emulator.addFault({ kind: "status", status: 503, match: { endpoint: "token" } });
    const reply = await sendRequest(post(), { fetch: emulator.fetch, defaultRetryDelayMs: 20 });
    assert.equal(reply.status, 400);
    assert.equal(emulator.requests().length, 2);
  });

  it("throws throttled with retryAfterMs when the 429 persists", async () => {
    const emulator = makeNetworkEmulator();
    emulator.addFault({
      kind: "status",
      status: 429,
      retryAfter: 0,
      times: 2,
      match: { endpoint: "token" },
    });
    const err = await rejectsWith(sendRequest(post(), { fetch: emulator.fetch }), "throttled");
    assert.ok(err instanceof ThrottledError);
    assert.equal(err.httpStatus, 429);
    assert.equal(err.retryAfterMs, 0);
    assert.deepEqual(err.errorCodes, [50196]);
    assert.equal(emulator.requests().length, 2);
  });

  it("does not wait for a Retry-After beyond the cap", async () => {
    const emulator = makeNetworkEmulator();
    emulator.addFault({
      kind: "status",
      status: 429,
      retryAfter: 120,
      match: { endpoint: "token" },
    });
    const started = Date.now();
    const err = await rejectsWith(
      sendRequest(post(), { fetch: emulator.fetch, maxRetryAfterMs: 1000 }),
      "throttled",
    );
    assert.ok(Date.now() - started < 900);
    assert.equal((err as ThrottledError).retryAfterMs, 120_000);
    assert.equal(emulator.requests().length, 1);
  });

  it("throws server_error when a 500 persists", async () => {
    const emulator = makeNetworkEmulator();
    emulator.addFault({ kind: "status", status: 500, times: 2, match: { endpoint: "token" } });
    const err = await rejectsWith(
      sendRequest(post(), { fetch: emulator.fetch, defaultRetryDelayMs: 1 }),
      "server_error",
    );
    assert.ok(err instanceof ServerError);
    assert.equal(err.httpStatus, 500);
    assert.ok(!(err instanceof InteractionRequiredError));
  });

  it("honours an HTTP-date Retry-After", async () => {
    let calls = 0;
    const fetcher = () => {
      calls++;
      return Promise.resolve(
        calls === 1
          ? new Response("busy", {
            status: 503,
            headers: { "retry-after": new Date(Date.now() + 1500).toUTCString() },
          })
          : Response.json({ ok: true }),
      );
    };
    const started = Date.now();
    const reply = await sendRequest(post(), { fetch: fetcher });
    assert.equal(reply.body.ok, true);
    assert.ok(Date.now() - started >= 400, "did not wait for the HTTP date");
    assert.equal(parseRetryAfter("7", 0), 7000);
    assert.equal(parseRetryAfter("Thu, 01 Jan 1970 00:00:10 GMT", 4000), 6000);
    assert.equal(parseRetryAfter("soon", 0), undefined);
  });
});

describe("malformed, truncated, slow and failed replies", () => {
  let emulator: EntraEmulator;
  let server: EmulatorServer;
  before(async () => {
    emulator = makeNetworkEmulator();
    server = await emulator.listen();
  });
  after(() => server.close());

  it("malformed JSON in a 200 is invalid_response (in process)", async () => {
    const e = makeNetworkEmulator();
    e.addFault({ kind: "malformed_json", match: { endpoint: "openid_configuration" } });
    await rejectsWith(
      sendRequest({ method: "GET", url: META_URL, what: "m" }, { fetch: e.fetch }),
      "invalid_response",
    );
  });

  it("a body cut in half is invalid_response (in process)", async () => {
    const e = makeNetworkEmulator();
    e.addFault({ kind: "truncated", match: { endpoint: "openid_configuration" } });
    await rejectsWith(
      sendRequest({ method: "GET", url: META_URL, what: "m" }, { fetch: e.fetch }),
      "invalid_response",
    );
  });

  it("a socket closed mid-body is invalid_response (over HTTP)", async () => {
    emulator.addFault({ kind: "truncated", match: { endpoint: "openid_configuration" } });
    await rejectsWith(
      sendRequest({
        method: "GET",
        url: `${server.url}/common/v2.0/.well-known/openid-configuration`,
        what: "m",
      }),
      "invalid_response",
    );
    // and the next request works
    const ok = await sendRequest({
      method: "GET",
      url: `${server.url}/common/v2.0/.well-known/openid-configuration`,
      what: "m",
    });
    assert.equal(ok.status, 200);
  });

  it("malformed JSON over HTTP is invalid_response", async () => {
    emulator.addFault({ kind: "malformed_json", match: { endpoint: "token" } });
    await rejectsWith(
      sendRequest(post(`${server.url}/common/oauth2/v2.0/token`)),
      "invalid_response",
    );
  });

  it("a reply slower than the time limit is timeout (over HTTP and in process)", async () => {
    emulator.addFault({ kind: "delay", ms: 1500, match: { endpoint: "openid_configuration" } });
    const started = Date.now();
    await rejectsWith(
      sendRequest({
        method: "GET",
        url: `${server.url}/common/v2.0/.well-known/openid-configuration`,
        what: "m",
      }, { requestTimeoutMs: 200 }),
      "timeout",
    );
    assert.ok(Date.now() - started < 1200);
    const e = makeNetworkEmulator();
    e.addFault({ kind: "delay", ms: 1500, match: { endpoint: "openid_configuration" } });
    await rejectsWith(
      sendRequest({ method: "GET", url: META_URL, what: "m" }, {
        fetch: e.fetch,
        requestTimeoutMs: 100,
      }),
      "timeout",
    );
  });

  it("an AbortSignal cancels a request and the wait before a retry", async () => {
    const e = makeNetworkEmulator();
    e.addFault({ kind: "delay", ms: 1500, match: { endpoint: "openid_configuration" } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await rejectsWith(
      sendRequest({ method: "GET", url: META_URL, what: "m" }, {
        fetch: e.fetch,
        signal: controller.signal,
      }),
      "aborted",
    );
    const e2 = makeNetworkEmulator();
    e2.addFault({ kind: "status", status: 429, retryAfter: 30, match: { endpoint: "token" } });
    const c2 = new AbortController();
    setTimeout(() => c2.abort(), 100);
    const started = Date.now();
    await rejectsWith(sendRequest(post(), { fetch: e2.fetch, signal: c2.signal }), "aborted");
    assert.ok(Date.now() - started < 2000);
  });

  it("a refused connection is network_error", async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    await rejectsWith(
      sendRequest({ method: "GET", url: `http://127.0.0.1:${port}/x`, what: "m" }),
      "network_error",
    );
  });

  it("a non-JSON 4xx body is invalid_response", async () => {
    const fetcher = () =>
      Promise.resolve(new Response("<html>bad gateway</html>", { status: 400 }));
    await rejectsWith(sendRequest(post(), { fetch: fetcher }), "invalid_response");
  });
});
