/**
 * Access to the broker emulator started by scripts/with-broker.sh (which scripts/test.sh wraps
 * every runtime's run in). Outside the launcher the broker tests are skipped, except in CI,
 * where they fail: they must never be skipped silently there.
 */

import process from "node:process";
import { loudSkip } from "./skip.ts";

/** The emulator's control URL, when running inside the launcher. */
export const emulatorUrl: string | undefined = process.env.ENTRA_AUTH_BROKER_EMULATOR_URL
  || undefined;

/** `describe`/`it` option: skip outside the launcher (never in CI). */
export const brokerSkip: string | false = emulatorUrl || process.env.CI
  ? false
  : loudSkip(
    "broker tests need the broker session: run inside scripts/with-broker.sh (scripts/test.sh "
      + "does) to test against the real MSALRuntime",
  );

/** The test app's client id (the Azure CLI's public client id, as in the captured samples). */
export const CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
/** The emulator's default signed-in user. */
export const SIGNED_IN_USER = "testuser@contoso.example";

async function control(path: string, init?: RequestInit): Promise<unknown> {
  if (!emulatorUrl) {
    throw new Error("ENTRA_AUTH_BROKER_EMULATOR_URL is not set: not inside scripts/with-broker.sh");
  }
  const res = await fetch(`${emulatorUrl}${path}`, init);
  const text = await res.text();
  if (!res.ok) throw new Error(`emulator ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** A fault for the emulator (see src/testing/broker_emulator/faults.ts). */
export interface Fault {
  method: string;
  kind: "error" | "dbusError" | "delay" | "hang" | "die" | "malformed" | "reply";
  count?: number;
  [key: string]: unknown;
}

/** Queues a fault. */
export function addFault(fault: Fault): Promise<unknown> {
  return control("/faults", { method: "POST", body: JSON.stringify(fault) });
}

/** Removes every queued fault. */
export function clearFaults(): Promise<unknown> {
  return control("/faults", { method: "DELETE" });
}

/** One logged broker request. */
export interface LoggedRequest {
  method: string;
  correlationId: string;
  request: Record<string, unknown> & { authParameters?: Record<string, unknown>; };
}

/** The request log, optionally for one method. */
export async function requests(method?: string): Promise<LoggedRequest[]> {
  const body = await control(`/requests${method ? `?method=${method}` : ""}`);
  return (Array.isArray(body)
    ? body
    : (body as { requests: LoggedRequest[]; }).requests) as LoggedRequest[];
}

/** Clears the request log. */
export function clearRequests(): Promise<unknown> {
  return control("/requests", { method: "DELETE" });
}

/** Marks a user signed in (or out) at the broker. */
export function setSignedIn(username: string, signedIn: boolean): Promise<unknown> {
  return control(`/users/${signedIn ? "sign-in" : "sign-out"}`, {
    method: "POST",
    body: JSON.stringify({ username }),
  });
}
