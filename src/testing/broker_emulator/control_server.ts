/**
 * HTTP control API of the broker emulator, on 127.0.0.1 with an ephemeral port.
 *
 * Endpoints (JSON in, JSON out):
 * - `GET /health` → `{ ok, busName, uniqueName, pid, connected }`
 * - `GET /users` → `{ users: [{ …user, signedIn, consentedClients }] }`
 * - `PUT /users` body `[user…]` or `{ users: [user…] }` → replaces users and sessions
 * - `POST /users/sign-in` / `POST /users/sign-out` body `{ username }` (or oid / home account id)
 * - `GET /faults` → `{ faults }`; `POST /faults` body a fault or an array → `{ faults }` queued;
 *   `DELETE /faults` clears; `DELETE /faults/{id}` removes one
 * - `GET /requests[?method=name]` → `{ requests }`; `DELETE /requests` clears the log
 * - `GET /jwks` → `{ keys }` (id token / access token key, PoP key)
 * - `POST /reset` → clears faults and log, restores the users' initial sessions
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import process from "node:process";
import type { BrokerEmulator } from "./emulator.ts";
import { parseFaultSpec } from "./faults.ts";

/**
 * A started control server.
 *
 * @example
 * ```ts
 * const server: ControlServer = await startControlServer(emulator);
 * ```
 */
export interface ControlServer {
  /** Base URL, `http://127.0.0.1:PORT`. */
  url: string;
  /** Stops listening and drops open connections. */
  close: () => Promise<void>;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of req) chunks.push(chunk as Uint8Array);
  const text = Buffer.concat(chunks).toString("utf8");
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, "Body is not valid JSON");
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

async function route(emulator: BrokerEmulator, req: IncomingMessage): Promise<unknown> {
  const url = new URL(req.url ?? "/", "http://127.0.0.1");
  const key = `${req.method} ${url.pathname.replace(/\/+$/, "") || "/"}`;
  switch (key) {
    case "GET /health":
      return {
        ok: true,
        busName: "com.microsoft.identity.broker1",
        uniqueName: emulator.uniqueName,
        pid: process.pid,
        connected: emulator.connected,
      };
    case "GET /users":
      return {
        users: emulator.broker.states.map((s) => ({
          ...s.user,
          signedIn: s.signedIn,
          // Omitted for "every client", so that what GET returns can be PUT back.
          consentedClients: s.consentedClients ?? undefined,
        })),
      };
    case "PUT /users":
    case "POST /users": {
      try {
        emulator.setUsers(await readJson(req));
      } catch (err) {
        if (err instanceof HttpError) throw err;
        throw new HttpError(400, (err as Error).message);
      }
      return { ok: true, users: emulator.broker.states.map((s) => s.user.username) };
    }
    case "POST /users/sign-in":
    case "POST /users/sign-out": {
      const body = await readJson(req) as { username?: unknown; } | undefined;
      if (typeof body?.username !== "string") throw new HttpError(400, "username is required");
      if (!emulator.broker.setSignedIn(body.username, key.endsWith("sign-in"))) {
        throw new HttpError(404, `Unknown user ${body.username}`);
      }
      return { ok: true };
    }
    case "GET /faults":
      return { faults: emulator.faults.list() };
    case "POST /faults": {
      const body = await readJson(req);
      const specs = Array.isArray(body) ? body : [body];
      let parsed;
      try {
        parsed = specs.map(parseFaultSpec);
      } catch (err) {
        throw new HttpError(400, (err as Error).message);
      }
      return { faults: parsed.map((spec) => emulator.faults.add(spec)) };
    }
    case "DELETE /faults":
      emulator.faults.clear();
      return { ok: true };
    case "GET /requests":
      return { requests: emulator.log.entries(url.searchParams.get("method") ?? undefined) };
    case "DELETE /requests":
      emulator.log.clear();
      return { ok: true };
    case "GET /jwks":
      return emulator.minter.jwks;
    case "POST /reset":
      emulator.reset();
      return { ok: true };
  }
  const faultId = /^DELETE \/faults\/(\d+)$/.exec(key);
  if (faultId) {
    if (!emulator.faults.remove(Number(faultId[1]))) throw new HttpError(404, "No such fault");
    return { ok: true };
  }
  throw new HttpError(404, `No route ${key}`);
}

/**
 * Starts the control API for an emulator on 127.0.0.1 with an ephemeral port.
 *
 * @param emulator The emulator to control.
 * @returns The URL and a close function.
 * @example
 * ```ts
 * const { url, close } = await startControlServer(emulator);
 * await fetch(`${url}/faults`, { method: "POST", body: JSON.stringify({ method: "*", kind: "hang" }) });
 * await close();
 * ```
 */
export async function startControlServer(emulator: BrokerEmulator): Promise<ControlServer> {
  const server = createServer((req, res) => {
    route(emulator, req).then(
      (body) => send(res, 200, body),
      (err) => {
        const status = err instanceof HttpError ? err.status : 500;
        send(res, status, { error: (err as Error).message });
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void; }).closeAllConnections?.();
      }),
  };
}
