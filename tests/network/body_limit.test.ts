/**
 * A reply body is read up to a cap (default 1 MiB, `http.maxResponseBytes`): an endless body
 * (which pushed Node to 8 GB before the 30 s limit ended it) fails with `invalid_response`
 * as soon as it passes the cap. The per-request time limit and the Retry-After cap are the
 * app's to set (`http.timeoutMs`, `http.maxRetryAfterMs`).
 */

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  EntraAuthError,
  type HttpSettings,
  PublicClientApplication,
  ThrottledError,
} from "../../mod.ts";
import { sendRequest } from "../../src/network/http.ts";

let server: Server;
let base = "";
const sockets = new Set<{ destroy(): void; }>();

before(async () => {
  server = createServer((req, res) => {
    const chunk = "x".repeat(65_536);
    if (req.url?.startsWith("/endless")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("{\"a\":\"");
      const pump = () => {
        while (res.write(chunk)) { /* until the socket buffer is full */ }
      };
      res.on("drain", pump);
      pump();
      return;
    }
    if (req.url?.startsWith("/declared")) {
      res.writeHead(200, { "content-type": "application/json", "content-length": "5000000" });
      res.write("{");
      return; // never sends the rest
    }
    if (req.url?.startsWith("/throttle")) {
      res.writeHead(429, { "retry-after": "30", "content-type": "application/json" });
      res.end("{\"error\":\"throttled\"}");
      return;
    }
    if (req.url?.startsWith("/small")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, pad: "y".repeat(2_000) }));
      return;
    }
    // /hang: accepts, never answers
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

const METADATA = (origin: string, path: string) => ({
  issuer: `${origin}/t/v2.0`,
  authorization_endpoint: `${origin}/t/authorize`,
  token_endpoint: `${origin}/t/token`,
  device_authorization_endpoint: `${origin}${path}`,
});

describe("reply size cap", { timeout: 60_000 }, () => {
  it("cuts an endless body off with invalid_response, well before the time limit", async () => {
    const started = Date.now();
    await assert.rejects(
      sendRequest({ method: "GET", url: `${base}/endless`, what: "test request" }, {
        requestTimeoutMs: 60_000,
      }),
      (err) =>
        err instanceof EntraAuthError && err.code === "invalid_response"
        && /1048576-byte limit/.test(err.message),
    );
    assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
  });

  it("refuses a declared length beyond the cap at once, and honours a custom cap", async () => {
    await assert.rejects(
      sendRequest({ method: "GET", url: `${base}/declared`, what: "test request" }, {
        requestTimeoutMs: 60_000,
      }),
      (err) => err instanceof EntraAuthError && err.code === "invalid_response",
    );
    const ok = await sendRequest({ method: "GET", url: `${base}/small`, what: "t" }, {});
    assert.equal(ok.body.ok, true);
    await assert.rejects(
      sendRequest({ method: "GET", url: `${base}/small`, what: "t" }, { maxResponseBytes: 1000 }),
      (err) => err instanceof EntraAuthError && err.code === "invalid_response",
    );
  });

  it("PublicClientApplication: http.maxResponseBytes, http.timeoutMs, http.maxRetryAfterMs", async () => {
    const pca = (path: string, http: HttpSettings) =>
      new PublicClientApplication({
        clientId: "c",
        authority: `${base}/t`,
        authorityType: "oidc",
        authorityMetadata: METADATA(base, path),
        http,
      });
    const device = (app: PublicClientApplication) =>
      app.acquireTokenByDeviceCode({ scopes: ["User.Read"], deviceCodeCallback: () => {} });

    let started = Date.now();
    await assert.rejects(
      device(pca("/endless", { maxResponseBytes: 100_000, timeoutMs: 60_000 })),
      (err) => err instanceof EntraAuthError && err.code === "invalid_response",
    );
    assert.ok(Date.now() - started < 20_000);

    started = Date.now();
    await assert.rejects(
      device(pca("/hang", { timeoutMs: 500 })),
      (err) => err instanceof EntraAuthError && err.code === "timeout",
    );
    assert.ok(Date.now() - started < 10_000, `timeoutMs ignored: ${Date.now() - started} ms`);

    started = Date.now();
    await assert.rejects(
      device(pca("/throttle", { maxRetryAfterMs: 1_000 })),
      (err) => err instanceof ThrottledError && err.retryAfterMs === 30_000,
    );
    assert.ok(Date.now() - started < 10_000, "waited for Retry-After beyond the cap");

    for (const bad of [{ timeoutMs: 0 }, { timeoutMs: -1 }, { maxResponseBytes: Number.NaN }]) {
      assert.throws(
        () => pca("/small", bad),
        (err) => err instanceof EntraAuthError && err.code === "invalid_argument",
      );
    }
  });
});
