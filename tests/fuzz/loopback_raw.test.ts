/**
 * Fuzzing the loopback redirect server with raw TCP: arbitrary bytes, request lines, targets,
 * headers and bodies, sent before the browser's real redirect. The server must answer or
 * close every connection (never throw, never crash the process), and the sign-in in progress
 * must still accept the right redirect.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { connect } from "node:net";
import { describe, it } from "node:test";
import { startLoopbackServer } from "../../src/network/loopback_server.ts";
import {
  fc,
  fuzzParameters,
  fuzzTestTimeout,
  settleAsync,
  tick,
  watchProcessFaults,
} from "../support/fuzz.ts";
import { oddString } from "../support/fuzz_arbitraries.ts";

const STATE = "c3RhdGUtb2YtdGhpcy1zaWduLWlu";
const PORT = "\u0000PORT\u0000"; // replaced by the server's port

/**
 * Sends bytes on a fresh connection, half-closes it, and waits until the server closes it:
 * the status line of the reply, or "" when it closed without one.
 */
function exchange(port: number, bytes: Uint8Array, limitMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let data = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`HANG: the server neither answered nor closed within ${limitMs} ms`));
    }, limitMs);
    socket.on("data", (d) => (data += d.toString("latin1")));
    socket.on("error", () => {}); // a reset is a close
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(data.split("\r\n")[0]);
    });
    socket.on("connect", () => {
      socket.write(bytes);
      socket.end();
    });
  });
}

/** Mostly the valid value (so that one odd part at a time reaches the handler), else an odd one. */
function mostly<T>(valid: T, odd: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(valid) }, { weight: 1, arbitrary: odd });
}

const methods = mostly(
  "GET",
  fc.constantFrom("POST", "HEAD", "OPTIONS", "PUT", "get", "G ET", "", "\u00ff"),
);
const queries = fc.oneof(
  fc.constantFrom(
    `?code=x&state=${STATE}x`,
    "?code=x&state=",
    "?error=access_denied&state=wrong",
    "?state=%zz",
    "?%",
    "?code=a&code=b&state=nope",
    "",
  ),
  fc.webQueryParameters().map((q) => `?${q}`),
  oddString.map((s) => `?${encodeURI(s.replace(/[\ud800-\udfff]/g, ""))}`),
);
/** Request-targets the URL parser takes relative to the server (no `//`, `\`, tabs). */
const plainTarget = fc.oneof(
  fc.tuple(fc.constantFrom("/", "/callback", "/favicon.ico", "/%", "/%zz", "/a/../", "/."), queries)
    .map(([p, q]) => p + q),
  fc.webPath().filter((p) => p.startsWith("/") && !/^\/[/\\]/.test(p)),
  fc.integer({ min: 1, max: 70_000 }).map((n) => "/" + "a".repeat(n)),
);
/** Targets that are not plain paths: authority forms, absolute URLs, `*`, bad hosts. */
const oddTarget = fc.oneof(
  fc.constantFrom(
    "//x:99999/",
    "//%zz/",
    "//[::1/",
    "/\\x:99999/",
    "http://x:99999/",
    "http://127.0.0.1/?code=c&state=" + STATE,
    "*",
    "//@:/",
    "127.0.0.1:80",
    "//" + "x".repeat(300) + ":1/",
  ),
  fc.webUrl().map((u) => u.replace(/^https?:/, "")),
  fc.webUrl(),
);
const version = mostly(
  "HTTP/1.1",
  fc.constantFrom("HTTP/1.0", "HTTP/2.0", "HTTP/9", "", "http/1.1"),
);
const hostHeader = mostly(
  `Host: 127.0.0.1:${PORT}`,
  fc.constantFrom(
    `Host: localhost:${PORT}`,
    `Host: LOCALHOST:${PORT}`,
    "Host: evil.example",
    "Host: [::1",
    "Host:",
    `Host: 127.0.0.1:${PORT}\r\nHost: evil.example`,
    "",
  ),
);
const header = fc.oneof(
  fc.constantFrom(
    "Connection: close",
    "Connection: keep-alive",
    "Transfer-Encoding: chunked",
    "Content-Length: 5",
    "Content-Length: -1",
    "Content-Length: 99999999999999999999",
    "Expect: 100-continue",
    "Upgrade: websocket",
    "X: " + "y".repeat(20_000),
    "no colon",
    " leading-space: x",
  ),
  fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 30 })).map(([k, v]) =>
    `${k}: ${v}`
  ),
);

function request(target: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.tuple(
    methods,
    target,
    version,
    hostHeader,
    fc.array(header, { maxLength: 2 }),
    mostly("", fc.constantFrom("hello", "0\r\n\r\n", "zz\r\n", "x".repeat(10_000))),
    mostly("\r\n", fc.constant("\n")),
  ).map(([m, t, v, h, hs, body, eol]) => {
    const lines = [[m, t, v].join(" "), ...(h ? [h] : []), ...hs];
    return lines.join(eol) + eol + eol + body;
  });
}

/** The bytes of one hostile request (`PORT` not yet replaced). */
function hostile(target: fc.Arbitrary<string>): fc.Arbitrary<Uint8Array | string> {
  return fc.oneof(
    { weight: 6, arbitrary: request(target) },
    { weight: 1, arbitrary: fc.tuple(request(target), request(target)).map(([a, b]) => a + b) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    { weight: 1, arbitrary: oddString },
  );
}

function bytesOf(value: Uint8Array | string, port: number): Uint8Array {
  if (typeof value !== "string") return value;
  // Strings travel as UTF-8 (lone surrogates as U+FFFD), or as raw bytes when they are latin1.
  const text = value.split(PORT).join(String(port));
  return [...text].every((c) => c.charCodeAt(0) <= 0xff)
    ? Buffer.from(text, "latin1")
    : new TextEncoder().encode(text);
}

async function runCase(requests: (Uint8Array | string)[]): Promise<void> {
  const server = await startLoopbackServer({ accept: (q) => q.get("state") === STATE });
  try {
    const waiting = server.waitForRedirect({ timeoutMs: 20_000 });
    waiting.catch(() => {});
    for (const r of requests) {
      const status = await exchange(server.port, bytesOf(r, server.port));
      // Only the sign-in's own redirect gets a success page.
      if (/^HTTP\/1\.[01] 2/.test(status)) {
        assert.ok(
          typeof r === "string" && r.includes(`state=${STATE}`),
          `${status} for ${JSON.stringify(typeof r === "string" ? r.slice(0, 200) : r)}`,
        );
      }
    }
    const good = await exchange(
      server.port,
      bytesOf(
        `GET /?code=the-code&state=${STATE} HTTP/1.1\r\nHost: 127.0.0.1:${PORT}\r\nConnection: close\r\n\r\n`,
        server.port,
      ),
    );
    const query = await waiting;
    assert.equal(query.get("state"), STATE, "only the sign-in's own redirect is accepted");
    if (query.get("code") === "the-code") assert.match(good, /^HTTP\/1\.1 200 /);
  } finally {
    await server.close();
  }
}

describe("fuzz: raw requests to the loopback redirect server", () => {
  it("every request is answered or closed, and the real redirect is still accepted", {
    timeout: fuzzTestTimeout(40, 2_000),
  }, async () => {
    const faults = watchProcessFaults();
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(hostile(plainTarget), { minLength: 1, maxLength: 4 }),
          async (requests) => {
            await settleAsync(() => runCase(requests), [], 30_000);
            await tick();
            faults.check();
          },
        ),
        fuzzParameters(40),
      );
    } finally {
      faults.stop();
    }
  });

  it(
    "request-targets the URL parser refuses (authority forms, bad ports, bad escapes) too",
    {
      timeout: fuzzTestTimeout(40, 2_000),
    },
    async () => {
      const faults = watchProcessFaults();
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.array(hostile(oddTarget), { minLength: 1, maxLength: 3 }),
            async (requests) => {
              await settleAsync(() => runCase(requests), [], 30_000);
              await tick();
              faults.check();
            },
          ),
          fuzzParameters(40),
        );
      } finally {
        faults.stop();
      }
    },
  );
});
