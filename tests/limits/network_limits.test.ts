/**
 * The time-limit matrix of the network path: browser sign-in, device code, refresh
 * (acquireTokenSilent with a refresh) and metadata discovery, each against a hung
 * counterpart (a server that accepts and never answers, or a browser that never redirects),
 * ended once by its time limit and once by an AbortSignal. Each runs in a process of its
 * own (with its own bound) and must: settle with the typed error (`timeout` / `aborted`)
 * within the limit plus a margin, keep the JavaScript thread running (a heartbeat keeps
 * ticking), and then end by itself.
 */

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { runFixture } from "../support/fixtures.ts";

const LIMIT_MS = 2_000;
/** Generous: 2 cores shared by several workers. */
const MARGIN_MS = 6_000;
/** How long a process may take to end after printing its result. */
const EXIT_MS = 10_000;

let server: Server;
let origin = "";
const sockets = new Set<{ destroy(): void; }>();

before(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith("/devicecode")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({
        user_code: "ABCD",
        device_code: "dc",
        verification_uri: "http://127.0.0.1/device",
        expires_in: 900,
        interval: 1,
      }));
      return;
    }
    // Everything else (/hang/*) is accepted and never answered.
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

const OPERATIONS = ["browser", "device", "refresh", "metadata"] as const;
const MODES = [["timeout", "timeout"], ["abort", "aborted"]] as const;

describe("network time limits and aborts", { timeout: 300_000 }, () => {
  for (const operation of OPERATIONS) {
    for (const [mode, expected] of MODES) {
      it(`${operation}: ${mode} → ${expected}, thread alive, process ends by itself`, async () => {
        const started = Date.now();
        const run = await runFixture(
          "network_limit_app",
          [operation, mode, origin, String(LIMIT_MS)],
          { timeoutMs: LIMIT_MS + MARGIN_MS + EXIT_MS + 15_000 },
        );
        const wallMs = Date.now() - started;
        const line = run.stdout.trim().split("\n").at(-1) ?? "";
        let result: { code: string; elapsedMs: number; ticks: number; };
        try {
          result = JSON.parse(line);
        } catch {
          assert.fail(
            `no result (signal ${run.signal}); stdout ${run.stdout} stderr ${run.stderr}`,
          );
        }
        assert.equal(result.code, expected, run.stderr);
        assert.ok(
          result.elapsedMs >= LIMIT_MS - 200,
          `settled after ${result.elapsedMs} ms, before the limit`,
        );
        assert.ok(
          result.elapsedMs <= LIMIT_MS + MARGIN_MS,
          `settled after ${result.elapsedMs} ms (limit ${LIMIT_MS} ms)`,
        );
        // 50 ms heartbeat: a blocked thread would give about none.
        assert.ok(result.ticks >= 10, `heartbeat ticked ${result.ticks} times`);
        assert.equal(run.signal, null, "killed: the process did not end by itself");
        assert.equal(run.code, 0);
        assert.ok(wallMs - result.elapsedMs < EXIT_MS + 5_000, `process took ${wallMs} ms`);
      });
    }
  }
});
