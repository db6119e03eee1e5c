/**
 * The emulator's request log: every incoming call, the fault applied, and the reply sent,
 * kept in memory and optionally appended to a JSONL file.
 *
 * @module
 */

import { appendFileSync } from "node:fs";

/**
 * What the emulator sent back for a call.
 *
 * @example
 * ```ts
 * const reply: LoggedReply = { type: "error", name: "org.example.Error", message: "x" };
 * ```
 */
export type LoggedReply =
  | { type: "return"; body: string; json?: unknown; }
  | { type: "error"; name: string; message: string; }
  | { type: "none"; reason: "hang" | "die" | "noReplyExpected"; };

/**
 * One logged call.
 *
 * @example
 * ```ts
 * const last: RequestLogEntry | undefined = log.entries("getAccounts").at(-1);
 * ```
 */
export interface RequestLogEntry {
  /** Sequence number, from 1. */
  seq: number;
  /** Arrival time, seconds since the epoch (fractional, as in the captured samples). */
  t: number;
  /** Arrival time, ISO 8601. */
  time: string;
  /** Sender's unique bus name. */
  sender: string;
  /** D-Bus interface (may be empty). */
  interface: string;
  /** D-Bus member: the broker method name. */
  method: string;
  /** First argument of broker methods (`"0.0"`). */
  protocolVersion?: string;
  /** Second argument of broker methods. */
  correlationId?: string;
  /** Third argument of broker methods, parsed (or the raw string when not JSON). */
  request?: unknown;
  /** Id and kind of the fault applied, if any. */
  fault?: { id: number; kind: string; };
  /** The reply, once sent. */
  reply?: LoggedReply;
  /** Time from arrival to reply, in ms. */
  durationMs?: number;
}

/**
 * In-memory request log with optional JSONL mirroring (a line per finished call).
 *
 * @example
 * ```ts
 * const log = new RequestLog("/tmp/requests.jsonl");
 * const entry = log.start({ sender: ":1.2", interface: "", method: "Ping" });
 * log.finish(entry, { type: "return", body: "" });
 * ```
 */
export class RequestLog {
  #entries: RequestLogEntry[] = [];
  #seq = 0;
  readonly #file: string | undefined;

  /** @param file Path of a JSONL file to append finished entries to. */
  /**
   * Creates a RequestLog.
   *
   * @param file a JSONL file to append each request to
   */
  constructor(file?: string) {
    this.#file = file;
  }

  /** Records an arriving call and returns its (mutable) entry. */
  start(fields: Omit<RequestLogEntry, "seq" | "t" | "time">): RequestLogEntry {
    const now = Date.now();
    const entry: RequestLogEntry = {
      seq: ++this.#seq,
      t: now / 1000,
      time: new Date(now).toISOString(),
      ...fields,
    };
    this.#entries.push(entry);
    return entry;
  }

  /** Records the reply (synchronously mirrored to the JSONL file). */
  finish(entry: RequestLogEntry, reply: LoggedReply): void {
    entry.reply = reply;
    entry.durationMs = Date.now() - entry.t * 1000;
    if (this.#file) {
      try {
        appendFileSync(this.#file, JSON.stringify(entry) + "\n");
      } catch {
        // The log file is a convenience; the in-memory log stays authoritative.
      }
    }
  }

  /** Copies of the entries, optionally only those for one method. */
  entries(method?: string): RequestLogEntry[] {
    const list = method ? this.#entries.filter((e) => e.method === method) : this.#entries;
    return structuredClone(list);
  }

  /** Empties the in-memory log (the JSONL file is left as is). */
  clear(): void {
    this.#entries = [];
  }
}
