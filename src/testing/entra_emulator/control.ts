/**
 * The control endpoints under `/_emulator/` (no host prefix): configuration, faults, request
 * log, clock, and device code decisions.
 *
 * @module
 */

import type { EntraEmulator } from "./emulator.ts";

function reply(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body, (_k, v) => (v === Infinity ? -1 : v)), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

function parseJson(text: string): unknown {
  try {
    return text === "" ? {} : JSON.parse(text);
  } catch {
    throw new TypeError("body must be JSON");
  }
}

/**
 * Handles a control request.
 *
 * Routes: `GET /_emulator` (users, apps, tenants, clouds); `GET|POST|DELETE /_emulator/faults`
 * (POST a fault or an array of faults; `times: -1` means always); `DELETE /_emulator/faults/{id}`;
 * `GET|DELETE /_emulator/requests`; `POST /_emulator/time` `{"advanceSeconds": n}`;
 * `POST /_emulator/devicecodes/{user_code}` `{"action": "approve"|"decline", "username"}`.
 *
 * @param emulator The emulator.
 * @param method HTTP method.
 * @param path Path segments after `_emulator`.
 * @param body Request body text.
 * @returns The reply (400 with `{error}` for bad input, 404 for unknown routes).
 * @example
 * ```ts
 * import { handleControl } from "./control.ts";
 * declare const emulator: import("./emulator.ts").EntraEmulator;
 * const res = handleControl(emulator, "GET", ["requests"], "");
 * ```
 */
export function handleControl(
  emulator: EntraEmulator,
  method: string,
  path: string[],
  body: string,
): Response {
  try {
    const [what, id] = path;
    if (what === undefined && method === "GET") return reply(emulator.describe());
    if (what === "faults" && id === undefined) {
      if (method === "GET") return reply(emulator.faults());
      if (method === "DELETE") {
        emulator.clearFaults();
        return reply({ cleared: true });
      }
      if (method === "POST") {
        const input = parseJson(body);
        const list = Array.isArray(input) ? input : [input];
        return reply(list.map((f) => emulator.addFault(f)), 201);
      }
    }
    if (what === "faults" && id !== undefined && method === "DELETE") {
      return emulator.removeFault(id) ? reply({ removed: id }) : reply({ error: "not_found" }, 404);
    }
    if (what === "requests") {
      if (method === "GET") return reply(emulator.requests());
      if (method === "DELETE") {
        emulator.clearRequests();
        return reply({ cleared: true });
      }
    }
    if (what === "time" && method === "POST") {
      const input = parseJson(body) as { advanceSeconds?: unknown; };
      if (typeof input.advanceSeconds !== "number") {
        throw new TypeError("advanceSeconds must be a number");
      }
      emulator.advanceTime(input.advanceSeconds);
      return reply({ now: emulator.now() });
    }
    if (what === "devicecodes" && id !== undefined && method === "POST") {
      const input = parseJson(body) as { action?: unknown; username?: unknown; };
      if (input.action === "decline") emulator.declineDeviceCode(id);
      else emulator.approveDeviceCode(id, String(input.username ?? ""));
      return reply({ ok: true });
    }
    return reply({ error: "not_found" }, 404);
  } catch (err) {
    return reply({ error: err instanceof Error ? err.message : String(err) }, 400);
  }
}
