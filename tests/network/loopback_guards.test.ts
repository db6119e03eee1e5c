/**
 * The loopback redirect server's guards, each a check a refactor could loosen: the `Host`
 * header must be exactly this server's (a name that merely starts with `127.0.0.1` or
 * `localhost` is a DNS-rebinding attempt), and once a redirect was accepted the server takes
 * no new connection and answers 409 to a request that was already arriving.
 */

import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { describe, it } from "node:test";
import { EntraAuthError } from "../../src/errors.ts";
import { startLoopbackServer } from "../../src/network/loopback_server.ts";

/** One HTTP response. */
interface Reply {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** A raw keep-alive HTTP/1.1 connection: one request at a time. */
class RawConnection {
  readonly #socket: Socket;
  #buffer = "";
  #waiter: (() => void) | undefined;
  closed = false;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => {
      this.#buffer += d;
      this.#waiter?.();
    });
    const end = () => {
      this.closed = true;
      this.#waiter?.();
    };
    socket.on("close", end);
    socket.on("error", end);
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  /** Sends a request (GET unless told) and reads one complete response. */
  get(path: string, host: string, method = "GET"): Promise<Reply> {
    const body = method === "GET" ? "" : "Content-Length: 0\r\n";
    this.write(
      `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\n${body}\r\n`,
    );
    return this.response();
  }

  /** Sends raw bytes (e.g. the first part of a request). */
  write(text: string): void {
    this.#socket.write(text);
  }

  /** Reads one complete response (sized or chunked body). */
  async response(): Promise<Reply> {
    for (;;) {
      const head = this.#buffer.indexOf("\r\n\r\n");
      if (head >= 0) {
        const headers = this.#buffer.slice(0, head);
        const body = this.#buffer.slice(head + 4);
        const length = Number(/content-length: *(\d+)/i.exec(headers)?.[1]);
        const complete = /transfer-encoding: *chunked/i.test(headers)
          ? body.endsWith("0\r\n\r\n")
          : Number.isFinite(length) && Buffer.byteLength(body) >= length;
        if (complete) {
          this.#buffer = "";
          const fields = new Map<string, string>();
          for (const line of headers.split("\r\n").slice(1)) {
            const colon = line.indexOf(":");
            fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
          }
          return { status: Number(headers.split(" ")[1]), headers: fields, body };
        }
      }
      if (this.closed) {
        throw new Error(`connection closed; received ${JSON.stringify(this.#buffer)}`);
      }
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
  }

  close(): void {
    this.#socket.destroy();
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("loopback server guards", () => {
  it("answers only its own Host, exactly (no prefix, no suffix)", { timeout: 20_000 }, async () => {
    let asked = 0;
    const server = await startLoopbackServer({
      accept: (q) => {
        asked++;
        return q.get("state") === "good";
      },
    });
    const conn = await RawConnection.open(server.port);
    try {
      const port = server.port;
      for (
        const host of [
          "127.0.0.1.evil.example",
          `127.0.0.1.evil.example:${port}`,
          `127.0.0.1:${port}.evil.example`,
          `127.0.0.1:${port}0`,
          `localhost.evil.example:${port}`,
          `localhost:${port}.evil.example`,
          `evil.example:${port}`,
          `x127.0.0.1:${port}`,
          `127.0.0.1:${port + 1}`,
          "",
        ]
      ) {
        const res = await conn.get("/?code=c&state=good", host);
        assert.equal(res.status, 400, `Host ${JSON.stringify(host)} must be refused`);
      }
      assert.equal(asked, 0, "a foreign Host never reaches the state check");
      for (const host of [`127.0.0.1:${port}`, `LOCALHOST:${port}`]) {
        const fresh = await RawConnection.open(port);
        try {
          const res = await fresh.get("/?code=c&state=bad", host);
          assert.equal(res.status, 400);
          assert.match(res.body, /state mismatch/, `Host ${host} is this server's`);
        } finally {
          fresh.close();
        }
      }
    } finally {
      conn.close();
      await server.close();
    }
  });

  it("after the matching redirect: no new connection, 409 on requests in flight, one result", {
    timeout: 20_000,
  }, async () => {
    const server = await startLoopbackServer({ accept: (q) => q.get("state") === "good" });
    const port = server.port;
    const host = `127.0.0.1:${port}`;
    // A second redirect already on its way (e.g. a browser's second tab): its request line
    // and Host have arrived, the rest arrives after the first redirect was accepted.
    const late = await RawConnection.open(port);
    const winner = await RawConnection.open(port);
    try {
      const waiting = server.waitForRedirect({ timeoutMs: 10_000 });
      late.write(`GET /?code=second&state=good HTTP/1.1\r\nHost: ${host}\r\n`);
      await new Promise((r) => setTimeout(r, 200));
      const won = await winner.get("/?code=first&state=good", host);
      assert.equal(won.status, 200);
      assert.equal((await waiting).get("code"), "first");
      assert.equal(
        await canConnect(port),
        false,
        "the server must stop listening as soon as the redirect was accepted",
      );
      late.write("\r\n");
      const refused = await late.response();
      assert.equal(refused.status, 409, "a redirect after completion is refused with 409");
      assert.match(refused.body, /already completed/);
      assert.equal(refused.headers.get("connection"), "close", "and the connection ends");
      const again = await server.waitForRedirect({ timeoutMs: 1_000 });
      assert.equal(again.get("code"), "first", "the first redirect stays the result");
    } finally {
      late.close();
      winner.close();
      await server.close();
    }
  });

  it("answers only GET on the redirect path; every page is uncacheable and not sniffable", {
    timeout: 20_000,
  }, async () => {
    let asked = 0;
    const server = await startLoopbackServer({
      accept: (q) => {
        asked++;
        return q.get("state") === "good";
      },
    });
    const host = `127.0.0.1:${server.port}`;
    const conn = await RawConnection.open(server.port);
    try {
      const waiting = server.waitForRedirect({ timeoutMs: 10_000 });
      for (const method of ["POST", "PUT", "DELETE"]) {
        const res = await conn.get("/?code=c&state=good", host, method);
        assert.equal(res.status, 404, `${method} must not complete the sign-in`);
      }
      assert.equal(asked, 0, "no other method reaches the state check");
      const pages = [
        await conn.get("/?code=c&state=good", "evil.example"), // 400, foreign Host
        await conn.get("/favicon.ico", host), // 404
        await conn.get("/?code=c&state=bad", host), // 400, state mismatch
        await conn.get("/?code=c&state=good", host), // 200
      ];
      assert.deepEqual(pages.map((p) => p.status), [400, 404, 400, 200]);
      for (const page of pages) {
        assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
        assert.equal(page.headers.get("cache-control"), "no-store");
        assert.equal(page.headers.get("x-content-type-options"), "nosniff");
        assert.equal(page.headers.get("referrer-policy"), "no-referrer");
      }
      assert.equal(
        pages[3].headers.get("connection"),
        "close",
        "the last page ends the connection",
      );
      assert.equal((await waiting).get("code"), "c");
    } finally {
      conn.close();
      await server.close();
    }
  });

  it("says what each refused request was, on the page", { timeout: 20_000 }, async () => {
    const server = await startLoopbackServer({ accept: (q) => q.get("state") === "good" });
    const host = `127.0.0.1:${server.port}`;
    const conn = await RawConnection.open(server.port);
    try {
      const foreign = await conn.get("/?state=good", "evil.example");
      assert.match(foreign.body, /<title>Bad request<\/title>/);
      assert.match(foreign.body, /only answers loopback redirects/);
      const path = await conn.get("/other", host);
      assert.match(path.body, /<title>Not found<\/title>/);
      assert.match(path.body, /not the sign-in redirect address/);
      const state = await conn.get("/?state=bad", host);
      assert.match(state.body, /<title>Sign-in response rejected<\/title>/);
      assert.match(state.body, /Return to the application and try again/);
      const late = await RawConnection.open(server.port);
      late.write(`GET /?state=good HTTP/1.1\r\nHost: ${host}\r\n`);
      await new Promise((r) => setTimeout(r, 200));
      await conn.get("/?code=c&state=good", host);
      late.write("\r\n");
      const done = await late.response();
      late.close();
      assert.match(done.body, /<title>Already completed<\/title>/);
      assert.match(done.body, /has already completed/);
    } finally {
      conn.close();
      await server.close();
    }
  });

  it("an already-aborted signal ends the wait at once; limits name the sign-in", {
    timeout: 20_000,
  }, async () => {
    const server = await startLoopbackServer({ accept: () => true });
    try {
      const controller = new AbortController();
      controller.abort();
      await assert.rejects(server.waitForRedirect({ signal: controller.signal }), (err) => {
        assert.ok(err instanceof EntraAuthError);
        assert.equal(err.code, "aborted");
        assert.match(err.message, /sign-in/);
        return true;
      });
      const live = new AbortController();
      const waiting = server.waitForRedirect({ signal: live.signal });
      live.abort();
      await assert.rejects(waiting, (err) => {
        assert.ok(err instanceof EntraAuthError && err.code === "aborted");
        assert.match(err.message, /sign-in/);
        return true;
      });
      await assert.rejects(server.waitForRedirect({ timeoutMs: 20 }), (err) => {
        assert.ok(err instanceof EntraAuthError && err.code === "timeout");
        assert.match(err.message, /redirect/);
        return true;
      });
    } finally {
      await server.close();
    }
  });

  it("a port in use is an invalid_argument naming the port, with the cause", {
    timeout: 20_000,
  }, async () => {
    const first = await startLoopbackServer({ accept: () => true });
    try {
      await assert.rejects(startLoopbackServer({ port: first.port, accept: () => true }), (err) => {
        assert.ok(err instanceof EntraAuthError);
        assert.equal(err.code, "invalid_argument");
        assert.match(
          err.message,
          new RegExp(`^Cannot listen on 127\\.0\\.0\\.1:${first.port} for`),
        );
        assert.match(err.message, /another port/);
        assert.ok(err.cause, "the listen error is kept as the cause");
        return true;
      });
    } finally {
      await first.close();
    }
  });
});
