import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { networkInterfaces } from "node:os";
import { describe, it } from "node:test";
import { EntraAuthError } from "../../src/errors.ts";
import { browserCommand } from "../../src/network/browser.ts";
import { startLoopbackServer } from "../../src/network/loopback_server.ts";
import { runFixture } from "../support/fixtures.ts";

/** GET over a fresh connection (no keep-alive pooling): status and body, or the socket error code. */
function get(
  host: string,
  port: number,
  path: string,
  hostHeader = `127.0.0.1:${port}`,
): Promise<{ status: number; body: string; } | { error: string; }> {
  return new Promise((resolve) => {
    const req = httpRequest(
      { host, port, path, method: "GET", headers: { host: hostHeader }, agent: false },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end();
  });
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("loopback redirect server", () => {
  it("rejects a wrong state, keeps waiting, accepts the matching redirect once, then closes", {
    timeout: 20_000,
  }, async () => {
    const server = await startLoopbackServer({ accept: (q) => q.get("state") === "good" });
    try {
      assert.ok(server.port > 0);
      assert.equal(server.host, "127.0.0.1");
      const waiting = server.waitForRedirect({ timeoutMs: 10_000 });
      let settled = false;
      waiting.then(() => (settled = true), () => (settled = true));

      const wrong = await get("127.0.0.1", server.port, "/?code=evil&state=bad");
      assert.ok("status" in wrong);
      assert.equal(wrong.status, 400);
      assert.match(wrong.body, /state mismatch/);
      const noState = await get("127.0.0.1", server.port, "/?code=evil");
      assert.ok("status" in noState && noState.status === 400);
      const otherPath = await get("127.0.0.1", server.port, "/favicon.ico");
      assert.ok("status" in otherPath && otherPath.status === 404);
      const rebinding = await get("127.0.0.1", server.port, "/?code=c&state=good", "evil.example");
      assert.ok("status" in rebinding && rebinding.status === 400);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(settled, false, "the flow must keep waiting after rejected requests");

      const good = await get("127.0.0.1", server.port, "/?code=the-code&state=good");
      assert.ok("status" in good);
      assert.equal(good.status, 200);
      assert.match(good.body, /Sign-in complete/);
      const query = await waiting;
      assert.equal(query.get("code"), "the-code");

      // Not listening any more: a second redirect cannot even connect. (A request already
      // arriving at that moment gets 409: tests/network/loopback_guards.test.ts.)
      const second = await get("127.0.0.1", server.port, "/?code=again&state=good");
      assert.ok(
        "error" in second && second.error === "ECONNREFUSED",
        `a second redirect must find the port closed, got ${JSON.stringify(second)}`,
      );
    } finally {
      await server.close();
    }
    assert.equal(await canConnect("127.0.0.1", server.port), false, "port still open after close");
    await server.close(); // idempotent
  });

  it("answers an error redirect with a failure page", async () => {
    const server = await startLoopbackServer({ accept: (q) => q.get("state") === "s" });
    try {
      const waiting = server.waitForRedirect();
      const res = await get(
        "127.0.0.1",
        server.port,
        "/?error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&state=s",
      );
      assert.ok("status" in res);
      assert.match(res.body, /Sign-in failed/);
      assert.match(res.body, /&lt;b&gt;no/); // escaped
      assert.equal((await waiting).get("error"), "access_denied");
    } finally {
      await server.close();
    }
  });

  it("a wait without a time limit keeps waiting", async () => {
    const server = await startLoopbackServer({ accept: (q) => q.get("state") === "s" });
    try {
      const waiting = server.waitForRedirect();
      let settled = false;
      waiting.then(() => (settled = true), () => (settled = true));
      // Long enough for any zero-delay timer to fire (a redirect that arrives within a
      // millisecond would win that race and hide it).
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(settled, false, "a wait without timeoutMs ended by itself");
      await get("127.0.0.1", server.port, "/?code=late&state=s");
      assert.equal((await waiting).get("code"), "late");
    } finally {
      await server.close();
    }
  });

  it("listens on 127.0.0.1 only", async () => {
    const server = await startLoopbackServer({ accept: () => true });
    try {
      assert.equal(await canConnect("127.0.0.1", server.port), true);
      assert.equal(await canConnect("::1", server.port), false, "reachable over ::1");
      const external = Object.values(networkInterfaces()).flat()
        .filter((i) => i && !i.internal && i.family === "IPv4").map((i) => i!.address);
      for (const address of external) {
        assert.equal(await canConnect(address, server.port), false, `reachable on ${address}`);
      }
    } finally {
      await server.close();
    }
  });

  it("uses a fixed port on request and reports a busy port clearly", async () => {
    const first = await startLoopbackServer({ accept: () => true });
    const port = first.port;
    await first.close();
    const fixed = await startLoopbackServer({ port, path: "/callback", accept: () => true });
    try {
      assert.equal(fixed.port, port);
      const res = await get("127.0.0.1", port, "/?state=x");
      assert.ok("status" in res && res.status === 404, "only the redirect path is served");
      await assert.rejects(
        startLoopbackServer({ port, accept: () => true }),
        (err) => err instanceof EntraAuthError && err.code === "invalid_argument",
      );
    } finally {
      await fixed.close();
    }
  });

  it("refuses a port out of range with invalid_argument (listen throws at once: never a hang)", async () => {
    for (const port of [65536, -1]) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hung = new Promise((resolve) => (timer = setTimeout(() => resolve("hung"), 5_000)));
      try {
        const outcome = await Promise.race([
          startLoopbackServer({ port, accept: () => true }).then(
            async (server) => {
              await server.close();
              return "listening";
            },
            (err) => err,
          ),
          hung,
        ]);
        assert.ok(
          outcome instanceof EntraAuthError && outcome.code === "invalid_argument",
          `port ${port}: ${outcome}`,
        );
        assert.match(outcome.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      } finally {
        clearTimeout(timer);
      }
    }
  });

  it("stops waiting on timeout and on abort", async () => {
    const server = await startLoopbackServer({ accept: () => true });
    try {
      await assert.rejects(
        server.waitForRedirect({ timeoutMs: 50 }),
        (err) => err instanceof EntraAuthError && err.code === "timeout",
      );
      const controller = new AbortController();
      const waiting = server.waitForRedirect({ signal: controller.signal });
      controller.abort();
      await assert.rejects(
        waiting,
        (err) => err instanceof EntraAuthError && err.code === "aborted",
      );
    } finally {
      await server.close();
    }
  });
});

describe("the wait's time limit", { timeout: 60_000 }, () => {
  it("is cleared when the redirect arrives: the process ends by itself, not at the limit", async () => {
    // The fixture waits under a 10-minute limit; a timer left running would keep it alive
    // until this test kills it (after 30 s).
    const result = await runFixture("loopback_wait", [], { timeoutMs: 30_000 });
    assert.equal(result.signal, null, `killed: the process did not end by itself ${result.stderr}`);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout.trim().split("\n").at(-1) ?? ""), {
      code: "the-code",
    });
  });
});

describe("system browser", () => {
  const url = "https://login.example/authorize?a=1&b=2";
  it("picks xdg-open, open, or start per OS", () => {
    assert.deepEqual(browserCommand(url, { platform: "linux", env: { DISPLAY: ":0" } }), {
      command: "xdg-open",
      args: [url],
    });
    assert.deepEqual(
      browserCommand(url, { platform: "linux", env: { WAYLAND_DISPLAY: "w" } }).command,
      "xdg-open",
    );
    assert.deepEqual(browserCommand(url, { platform: "darwin", env: {} }), {
      command: "open",
      args: [url],
    });
    const win = browserCommand(url, { platform: "win32", env: {} });
    assert.equal(win.command, "cmd.exe");
    assert.match(
      win.args.at(-1) ?? "",
      /^start "" "https:\/\/login\.example\/authorize\?a=1\^&b=2"$/,
    );
  });

  it("fails with no_browser (suggesting device code) without a display or in SSH", () => {
    for (
      const env of [
        { platform: "linux", env: {} },
        { platform: "freebsd", env: {} },
        { platform: "linux", env: { DISPLAY: ":0", SSH_CONNECTION: "1.2.3.4 5 6.7.8.9 22" } },
        { platform: "darwin", env: { SSH_TTY: "/dev/pts/1" } },
      ]
    ) {
      assert.throws(() => browserCommand(url, env), (err) => {
        assert.ok(err instanceof EntraAuthError);
        assert.equal(err.code, "no_browser");
        assert.match(err.message, /device code/);
        return true;
      });
    }
    assert.throws(
      () => browserCommand("file:///etc/passwd", { platform: "darwin", env: {} }),
      (err) => err instanceof EntraAuthError && err.code === "invalid_argument",
    );
  });
});
