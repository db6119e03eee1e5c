/**
 * The time-limit matrix of the network path: browser sign-in, device code, refresh
 * (acquireTokenSilent with a refresh) and metadata discovery, each against a hung
 * counterpart (a server that accepts and never answers, or a browser that never redirects),
 * ended once by its time limit and once by an AbortSignal. Each runs in a process of its
 * own (with its own bound) and must: settle with the typed error (`timeout` / `aborted`)
 * within the limit plus a margin, keep the JavaScript thread running (a heartbeat keeps
 * ticking), and then end by itself.
 */

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { runLimitFixture } from "../support/limits.ts";

const LIMIT_MS = 2_000;

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
        await runLimitFixture(
          "network_limit_app",
          [operation, mode, origin, String(LIMIT_MS)],
          LIMIT_MS,
          expected,
        );
      });
    }
  }
});
