/**
 * The loopback redirect server against hostile or malformed requests: a request-target the
 * URL parser refuses (`//x:99999/`, `//%zz/`, …) is answered 400 and never throws inside the
 * handler (that killed Node and made Bun exit 1), and the server keeps serving the sign-in.
 * Sent over raw TCP, so that no HTTP client normalises the request first.
 */

import assert from "node:assert/strict";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { EntraAuthError } from "../../src/errors.ts";
import { startLoopbackServer } from "../../src/network/loopback_server.ts";

/** Sends raw bytes and returns the status line of the reply ("" when the socket just closed). */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let data = "";
    const timer = setTimeout(() => socket.destroy(), 5_000);
    socket.on("data", (d) => {
      data += d;
      if (data.includes("\r\n")) socket.destroy();
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(data.split("\r\n")[0]);
    });
    socket.on("error", () => {});
    socket.write(text);
  });
}

/** Sends raw bytes and returns the whole reply (until the server closes the connection). */
function rawReply(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let data = "";
    const timer = setTimeout(() => socket.destroy(), 5_000);
    socket.on("data", (d) => (data += d));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.on("error", () => {});
    socket.write(text);
  });
}

const TARGETS = [
  "//x:99999/",
  "//%zz/",
  "//[::1/",
  "http://x:99999/",
  "//a b/",
  "/%",
  "//" + "x".repeat(300) + ":1/",
  "*",
  "http://[/",
  "//@:/",
];

describe("loopback server: malformed request-targets", { timeout: 60_000 }, () => {
  it("answers each with 400 and still accepts the real redirect", async () => {
    const server = await startLoopbackServer({ accept: (q) => q.get("state") === "s" });
    try {
      const waiting = server.waitForRedirect({ timeoutMs: 30_000 });
      waiting.catch(() => {});
      for (const target of TARGETS) {
        const status = await raw(
          server.port,
          `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`,
        );
        assert.match(status, /^HTTP\/1\.1 4\d\d/, `${target}: ${JSON.stringify(status)}`);
      }
      // A bad Host header with a parser-breaking value, and garbage.
      assert.match(
        await raw(server.port, `GET / HTTP/1.1\r\nHost: [::1\r\nConnection: close\r\n\r\n`),
        /^HTTP\/1\.1 4\d\d|^$/,
      );
      await raw(server.port, "\x00\x01\x02 garbage\r\n\r\n");
      const good = await raw(
        server.port,
        `GET /?code=c&state=s HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`,
      );
      assert.match(good, /^HTTP\/1\.1 200/);
      assert.equal((await waiting).get("code"), "c");
    } finally {
      await server.close();
    }
  });
});

describe("loopback server: close() ends every wait", { timeout: 30_000 }, () => {
  it("rejects a pending wait and clears its timer when the server closes", async () => {
    const server = await startLoopbackServer({ accept: () => true });
    const waiting = server.waitForRedirect({ timeoutMs: 600_000 });
    waiting.catch(() => {}); // observed below, after close()
    const started = Date.now();
    await server.close();
    await assert.rejects(
      waiting,
      (err) =>
        err instanceof EntraAuthError && err.code === "aborted"
        && /loopback redirect server was closed before a redirect arrived/.test(err.message),
    );
    assert.ok(Date.now() - started < 5_000);
    await assert.rejects(
      server.waitForRedirect({ timeoutMs: 600_000 }),
      (err) => err instanceof EntraAuthError && err.code === "aborted",
    );
  });
});

describe("loopback server: only an origin-form target is a redirect", { timeout: 60_000 }, () => {
  it("refuses a redirect's query sent with an absolute or scheme-relative target", async () => {
    const server = await startLoopbackServer({ accept: (q) => q.get("state") === "s" });
    try {
      const waiting = server.waitForRedirect({ timeoutMs: 30_000 });
      waiting.catch(() => {});
      const host = `127.0.0.1:${server.port}`;
      for (
        const target of [
          `http://${host}/?code=evil&state=s`,
          `//${host}/?code=evil&state=s`,
          `//evil.example/?code=evil&state=s`,
        ]
      ) {
        const reply = await rawReply(
          server.port,
          `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
        );
        assert.match(reply, /^HTTP\/1\.1 400/, `${target}: ${reply.split("\r\n")[0]}`);
        assert.match(reply, /Bad request/, target);
        assert.match(reply, /This is not the sign-in redirect address/, target);
      }
      const good = await rawReply(
        server.port,
        `GET /?code=c&state=s HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
      );
      assert.match(good, /^HTTP\/1\.1 200/);
      assert.equal((await waiting).get("code"), "c");
    } finally {
      await server.close();
    }
  });
});

describe("loopback server: an exception while handling a request", { timeout: 60_000 }, () => {
  it("is answered 400 'malformed', and the server keeps serving", async () => {
    let calls = 0;
    const server = await startLoopbackServer({
      accept: (q) => {
        if (calls++ === 0) throw new Error("the app's check failed");
        return q.get("state") === "s";
      },
    });
    try {
      const waiting = server.waitForRedirect({ timeoutMs: 30_000 });
      waiting.catch(() => {});
      const request = `GET /?code=c&state=s HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n`
        + "Connection: close\r\n\r\n";
      const first = await rawReply(server.port, request);
      assert.match(first, /^HTTP\/1\.1 400/);
      assert.match(first, /Bad request/);
      assert.match(first, /This request is malformed/);
      assert.match(await rawReply(server.port, request), /^HTTP\/1\.1 200/);
      assert.equal((await waiting).get("code"), "c");
    } finally {
      await server.close();
    }
  });
});

describe("loopback server: close() after the redirect", { timeout: 30_000 }, () => {
  it("leaves a wait that started after the redirect its result", async () => {
    const server = await startLoopbackServer({ accept: () => true });
    const first = server.waitForRedirect({ timeoutMs: 30_000 });
    await rawReply(
      server.port,
      `GET /?code=c HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal((await first).get("code"), "c");
    const again = server.waitForRedirect({ timeoutMs: 30_000 });
    again.catch(() => {});
    await server.close();
    assert.equal((await again).get("code"), "c");
  });
});
