/**
 * The log of requests the emulator served.
 *
 * @module
 */

import type { RequestContext } from "./context.ts";
import type { EmulatorEndpoint, RequestLogEntry } from "./types.ts";

/** A bounded, in-order request log. */
export class RequestLog {
  #entries: RequestLogEntry[] = [];
  readonly #limit: number;

  /**
   * @param limit Maximum entries kept (oldest dropped first).
   * @example
   * ```ts
   * import { RequestLog } from "./request_log.ts";
   * const log = new RequestLog(100);
   * ```
   */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Records a served request.
   *
   * @param ctx The parsed request.
   * @param endpoint The protocol endpoint, if any.
   * @param status Response status.
   * @param faultId Fault applied, if any.
   * @example
   * ```ts
   * import { RequestLog } from "./request_log.ts";
   * declare const ctx: import("./context.ts").RequestContext;
   * new RequestLog(10).record(ctx, "token", 200);
   * ```
   */
  record(
    ctx: RequestContext,
    endpoint: EmulatorEndpoint | undefined,
    status: number,
    faultId?: string,
  ): void {
    const entry: RequestLogEntry = {
      time: ctx.now,
      method: ctx.method,
      path: ctx.url.pathname,
      host: ctx.host,
      tenant: ctx.segments[0],
      query: { ...ctx.query },
      form: { ...ctx.form },
      headers: { ...ctx.headers },
      telemetry: { ...ctx.telemetry },
      correlationId: ctx.correlationId,
      status,
    };
    if (endpoint !== undefined) entry.endpoint = endpoint;
    if (faultId !== undefined) entry.faultId = faultId;
    this.#entries.push(entry);
    if (this.#entries.length > this.#limit) this.#entries.shift();
  }

  /**
   * The entries, oldest first.
   *
   * @returns Copies of the entries.
   * @example
   * ```ts
   * import { RequestLog } from "./request_log.ts";
   * console.log(new RequestLog(10).entries()); // []
   * ```
   */
  entries(): RequestLogEntry[] {
    return this.#entries.map((e) => structuredClone(e));
  }

  /**
   * Empties the log.
   *
   * @example
   * ```ts
   * import { RequestLog } from "./request_log.ts";
   * new RequestLog(10).clear();
   * ```
   */
  clear(): void {
    this.#entries = [];
  }
}
