/**
 * Fault injection: what can go wrong with a broker call, and the queue that decides which
 * call gets which fault.
 *
 * @module
 */

/**
 * Broker error fields, as they appear in `brokerTokenResponse.error`.
 *
 * @example
 * ```ts
 * const fields: BrokerErrorFields = { status: 2, errorCode: 50076, context: "AADSTS50076" };
 * ```
 */
export interface BrokerErrorFields {
  /** MSALRuntime status (2 = InteractionRequired, 7 = UserCanceled, …). */
  status: number;
  /** Error code (e.g. an AADSTS number). */
  errorCode?: number;
  /** Source tag. */
  tag?: number;
  /** Human-readable context. */
  context?: string;
  /** Sub-status. */
  subStatus?: number;
}

/**
 * One fault kind and its parameters. `hang` never answers; a hung `acquireTokenInteractively`
 * is answered with status 8 (ApplicationCanceled) once a `cancelInteractiveFlow` is answered
 * (as the broker closing its window), unless that call hangs too.
 *
 * @example
 * ```ts
 * const action: FaultAction = { kind: "delay", ms: 500 };
 * ```
 */
export type FaultAction =
  | ({ kind: "error"; } & BrokerErrorFields)
  | { kind: "dbusError"; name: string; message?: string; }
  | { kind: "delay"; ms: number; }
  | { kind: "hang"; }
  | { kind: "die"; exitCode?: number; }
  | { kind: "malformed"; body?: string; }
  | { kind: "reply"; response: unknown; };

/**
 * A fault as submitted to the control API.
 *
 * @example
 * ```ts
 * const spec: FaultSpec = { method: "acquireTokenSilently", kind: "error", status: 5, count: 2 };
 * ```
 */
export type FaultSpec = FaultAction & {
  /** Broker method name (`acquireTokenSilently`, …), D-Bus member, or `"*"` for any. */
  method: string;
  /** How many matching calls it applies to (default 1). */
  count?: number;
  /** Apply to every matching call until removed (overrides `count`). */
  persistent?: boolean;
  /** Extra delay in ms before the fault (or reply) is delivered. */
  delayMs?: number;
};

/**
 * A queued fault with its id and remaining uses.
 *
 * @example
 * ```ts
 * const queued: QueuedFault = new FaultQueue().add({ method: "*", kind: "hang" });
 * ```
 */
export type QueuedFault = FaultSpec & { id: number; remaining: number | null; };

const KINDS = new Set(["error", "dbusError", "delay", "hang", "die", "malformed", "reply"]);

function num(value: unknown, field: string, optional: boolean): void {
  if (value === undefined && optional) return;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new TypeError(`Fault field "${field}" must be a number`);
  }
}

/**
 * Validates a fault submitted as JSON.
 *
 * @param input Parsed JSON body.
 * @returns The fault, typed.
 * @throws {TypeError} When a field is missing or has the wrong type.
 * @example
 * ```ts
 * parseFaultSpec({ method: "acquireTokenSilently", kind: "error", status: 5 });
 * ```
 */
export function parseFaultSpec(input: unknown): FaultSpec {
  if (input === null || typeof input !== "object") throw new TypeError("Fault must be an object");
  const f = input as Record<string, unknown>;
  if (typeof f.method !== "string" || !f.method) throw new TypeError("Fault needs a method");
  if (typeof f.kind !== "string" || !KINDS.has(f.kind)) {
    throw new TypeError(`Fault kind must be one of ${[...KINDS].join(", ")}`);
  }
  num(f.count, "count", true);
  num(f.delayMs, "delayMs", true);
  switch (f.kind) {
    case "error":
      num(f.status, "status", false);
      for (const k of ["errorCode", "tag", "subStatus"]) num(f[k], k, true);
      if (f.context !== undefined && typeof f.context !== "string") {
        throw new TypeError("Fault field \"context\" must be a string");
      }
      break;
    case "dbusError":
      if (typeof f.name !== "string" || !/^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+$/.test(f.name)) {
        throw new TypeError("dbusError needs a valid D-Bus error name");
      }
      break;
    case "delay":
      num(f.ms, "ms", false);
      break;
    case "die":
      num(f.exitCode, "exitCode", true);
      break;
    case "malformed":
      if (f.body !== undefined && typeof f.body !== "string") {
        throw new TypeError("Fault field \"body\" must be a string");
      }
      break;
    case "reply":
      if (!("response" in f)) throw new TypeError("reply fault needs a response");
  }
  return f as unknown as FaultSpec;
}

/**
 * Ordered fault queue: the first queued fault whose method matches is used.
 *
 * @example
 * ```ts
 * const q = new FaultQueue();
 * q.add({ method: "getAccounts", kind: "hang" });
 * q.take("getAccounts"); // the hang fault, now used up
 * ```
 */
export class FaultQueue {
  #faults: QueuedFault[] = [];
  #nextId = 1;

  /** Queues a fault and returns it with its id. */
  add(spec: FaultSpec): QueuedFault {
    const remaining = spec.persistent ? null : Math.max(1, Math.floor(spec.count ?? 1));
    const queued: QueuedFault = { ...spec, id: this.#nextId++, remaining };
    this.#faults.push(queued);
    return queued;
  }

  /**
   * Takes (and uses up once) the first fault matching `method`; `"*"` faults match only
   * when `wildcard` is true (broker methods, not `Ping` or `Introspect`).
   */
  take(method: string, wildcard = true): QueuedFault | undefined {
    const index = this.#faults.findIndex((f) =>
      f.method === method || (wildcard && f.method === "*")
    );
    if (index < 0) return undefined;
    const fault = this.#faults[index]!;
    if (fault.remaining !== null) {
      fault.remaining--;
      if (fault.remaining <= 0) this.#faults.splice(index, 1);
    }
    return fault;
  }

  /** Removes one fault by id; returns whether it existed. */
  remove(id: number): boolean {
    const before = this.#faults.length;
    this.#faults = this.#faults.filter((f) => f.id !== id);
    return this.#faults.length !== before;
  }

  /** The queued faults, in order. */
  list(): QueuedFault[] {
    return this.#faults.map((f) => ({ ...f }));
  }

  /** Removes every fault. */
  clear(): void {
    this.#faults = [];
  }
}
