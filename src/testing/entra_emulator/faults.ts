/**
 * Injected faults: a registry of fault specs with match rules and counts, and turning a
 * fault into a reply.
 *
 * @module
 */

import { AadError, defaultsFor } from "./aad_error.ts";
import type { RequestContext } from "./context.ts";
import { randomToken } from "./encoding.ts";
import { errorResponse, json } from "./respond.ts";
import type { EmulatorEndpoint, FaultSpec, RegisteredFault } from "./types.ts";

const KINDS = ["error", "status", "malformed_json", "truncated", "delay"];

/**
 * Checks a fault spec from untrusted input (the control endpoint).
 *
 * @param input Parsed JSON.
 * @returns The spec.
 * @throws {TypeError} When it is not a valid spec.
 * @example
 * ```ts
 * import { parseFaultSpec } from "./faults.ts";
 * parseFaultSpec({ kind: "status", status: 503, retryAfter: 1 });
 * ```
 */
export function parseFaultSpec(input: unknown): FaultSpec {
  if (typeof input !== "object" || input === null) throw new TypeError("fault must be an object");
  const f = input as Record<string, unknown>;
  if (typeof f.kind !== "string" || !KINDS.includes(f.kind)) {
    throw new TypeError(`fault.kind must be one of ${KINDS.join(", ")}`);
  }
  if (f.kind === "error" && typeof f.error !== "string") {
    throw new TypeError("error fault needs 'error'");
  }
  if (f.kind === "status" && typeof f.status !== "number") {
    throw new TypeError("status fault needs 'status'");
  }
  if (f.kind === "delay" && typeof f.ms !== "number") throw new TypeError("delay fault needs 'ms'");
  if (f.times !== undefined && typeof f.times !== "number") {
    throw new TypeError("times must be a number");
  }
  if (f.match !== undefined && (typeof f.match !== "object" || f.match === null)) {
    throw new TypeError("match must be an object");
  }
  const spec = { ...f } as unknown as FaultSpec;
  if (spec.times !== undefined && spec.times < 0) spec.times = Infinity;
  return spec;
}

/** The registered faults of one emulator. */
export class FaultRegistry {
  #faults: RegisteredFault[] = [];

  /**
   * Registers a fault.
   *
   * @param spec The fault.
   * @returns The registered fault (with `id`).
   * @example
   * ```ts
   * import { FaultRegistry } from "./faults.ts";
   * new FaultRegistry().add({ kind: "status", status: 429, retryAfter: 2 });
   * ```
   */
  add(spec: FaultSpec): RegisteredFault {
    const fault = { ...spec, id: randomToken(9), remaining: spec.times ?? 1 } as RegisteredFault;
    this.#faults.push(fault);
    return fault;
  }

  /**
   * Lists the faults still armed.
   *
   * @returns Copies of the faults.
   * @example
   * ```ts
   * import { FaultRegistry } from "./faults.ts";
   * console.log(new FaultRegistry().list().length); // 0
   * ```
   */
  list(): RegisteredFault[] {
    return this.#faults.map((f) => ({ ...f }));
  }

  /**
   * Removes one fault.
   *
   * @param id Its id.
   * @returns Whether it existed.
   * @example
   * ```ts
   * import { FaultRegistry } from "./faults.ts";
   * console.log(new FaultRegistry().remove("x")); // false
   * ```
   */
  remove(id: string): boolean {
    const before = this.#faults.length;
    this.#faults = this.#faults.filter((f) => f.id !== id);
    return this.#faults.length !== before;
  }

  /**
   * Removes every fault.
   *
   * @example
   * ```ts
   * import { FaultRegistry } from "./faults.ts";
   * new FaultRegistry().clear();
   * ```
   */
  clear(): void {
    this.#faults = [];
  }

  /**
   * Takes the first fault matching a request, counting it down.
   *
   * @param endpoint The endpoint hit.
   * @param grantType The token request's `grant_type`.
   * @param clientId The request's `client_id`.
   * @returns The fault, if one applies.
   * @example
   * ```ts
   * import { FaultRegistry } from "./faults.ts";
   * new FaultRegistry().take("token", "refresh_token", "c");
   * ```
   */
  take(
    endpoint: EmulatorEndpoint,
    grantType: string | undefined,
    clientId: string | undefined,
  ): RegisteredFault | undefined {
    const fault = this.#faults.find((f) =>
      (f.match?.endpoint === undefined || f.match.endpoint === endpoint)
      && (f.match?.grantType === undefined || f.match.grantType === grantType)
      && (f.match?.clientId === undefined
        || f.match.clientId.toLowerCase() === (clientId ?? "").toLowerCase())
    );
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#faults = this.#faults.filter((f) => f !== fault);
    return { ...fault };
  }
}

/**
 * The AADSTS error a fault of kind `error` stands for (defaults filled in per OAuth error).
 *
 * @param fault The error fault.
 * @returns The error.
 * @example
 * ```ts
 * import { faultError } from "./faults.ts";
 * console.log(faultError({ kind: "error", error: "invalid_grant" }).code); // 70000
 * ```
 */
export function faultError(fault: FaultSpec & { kind: "error"; }): AadError {
  const [code, description] = defaultsFor(fault.error);
  return new AadError(fault.error, fault.code ?? code, fault.description ?? description, {
    status: fault.status,
    suberror: fault.suberror,
    claims: fault.claims,
  });
}

/**
 * The reply of a fault that replaces the real one (`error`, `status`, `malformed_json`), or
 * `undefined` for faults that alter the real reply (`truncated`, `delay`).
 *
 * @param ctx The request.
 * @param fault The fault.
 * @returns The replacement reply.
 * @example
 * ```ts
 * import { faultReply } from "./faults.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * faultReply(ctx, { kind: "status", status: 503, retryAfter: 1 });
 * ```
 */
export function faultReply(ctx: RequestContext, fault: FaultSpec): Response | undefined {
  switch (fault.kind) {
    case "error":
      return errorResponse(ctx, faultError(fault));
    case "status": {
      const res = errorResponse(
        ctx,
        new AadError(
          fault.status === 429 ? "temporarily_unavailable" : "server_error",
          fault.status === 429 ? 50196 : 90033,
          fault.status === 429
            ? "The server terminated an operation because it encountered a client request loop. Please retry later."
            : "A transient error has occurred. Please try again.",
          { status: fault.status },
        ),
      );
      if (fault.retryAfter !== undefined) res.headers.set("retry-after", String(fault.retryAfter));
      return res;
    }
    case "malformed_json": {
      const res = json(ctx, {});
      return new Response(`{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0eXAi`, {
        status: 200,
        headers: res.headers,
      });
    }
    default:
      return undefined;
  }
}

/**
 * The header that tells `listen()` the full length of a truncated body, so the socket reply
 * announces it and then closes early.
 *
 * @example
 * ```ts
 * import { TRUNCATED_HEADER } from "./faults.ts";
 * console.log(TRUNCATED_HEADER);
 * ```
 */
export const TRUNCATED_HEADER: string = "x-emulator-truncated-length";

/**
 * Cuts a reply's body in half (keeping status and headers).
 *
 * @param res The real reply.
 * @returns The truncated reply, with {@link TRUNCATED_HEADER} giving the full byte length.
 * @example
 * ```ts
 * import { truncate } from "./faults.ts";
 * const res = await truncate(new Response("{\"a\":1}"));
 * ```
 */
export async function truncate(res: Response): Promise<Response> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  const headers = new Headers(res.headers);
  headers.set(TRUNCATED_HEADER, String(bytes.length));
  return new Response(bytes.slice(0, Math.floor(bytes.length / 2)), {
    status: res.status,
    headers,
  });
}
