/**
 * Logging: levels, an app-supplied callback, and the PII switch. With PII logging off (the
 * default), nothing personal (tokens, usernames, account ids) may reach the callback: our own
 * messages never include it, and MSALRuntime redacts its own.
 *
 * @module
 */

/** Log levels, most severe first. */
export type LogLevel = "error" | "warning" | "info" | "verbose" | "trace";

const ORDER: Record<LogLevel, number> = { error: 0, warning: 1, info: 2, verbose: 3, trace: 4 };

/** Logging options of a {@link PublicClientApplication}. */
export interface LoggerOptions {
  /** Receives each message at or above `level`. Default: none (silent). */
  loggerCallback?: (level: LogLevel, message: string, containsPii: boolean) => void;
  /** The most verbose level delivered. Default `info`. */
  level?: LogLevel;
  /** Lets personal data into logs and broker error messages. Default `false`. */
  piiLoggingEnabled?: boolean;
  /**
   * Also forward MSALRuntime's own log lines (prefixed `[broker]`). Default `false`: MSALRuntime
   * calls its log callback while holding a lock, so with it on every MSALRuntime call runs off
   * the JavaScript thread, which makes each broker call a few milliseconds slower (see
   * docs/benchmarks.md). Turn it on to diagnose the broker.
   */
  brokerLogs?: boolean;
}

/** The library's logger (internal). */
export class Logger {
  readonly piiEnabled: boolean;
  readonly brokerLogs: boolean;
  readonly #callback?: LoggerOptions["loggerCallback"];
  readonly #max: number;

  constructor(options: LoggerOptions = {}) {
    this.#callback = options.loggerCallback;
    this.#max = ORDER[options.level ?? "info"];
    this.piiEnabled = options.piiLoggingEnabled ?? false;
    this.brokerLogs = (options.brokerLogs ?? false) && options.loggerCallback !== undefined;
  }

  /** Whether messages at `level` are delivered. */
  enabled(level: LogLevel): boolean {
    return this.#callback !== undefined && ORDER[level] <= this.#max;
  }

  /** Logs a message that contains no personal data. */
  log(level: LogLevel, message: string): void {
    if (this.enabled(level)) this.#callback!(level, message, false);
  }

  /** Logs a message with personal data, only when PII logging is on. */
  logPii(level: LogLevel, message: string): void {
    if (this.piiEnabled && this.enabled(level)) this.#callback!(level, message, true);
  }

  /** Logs a line from MSALRuntime (1 trace … 6 fatal); it redacts PII itself when PII is off. */
  runtime(runtimeLevel: number, message: string): void {
    const level: LogLevel = runtimeLevel >= 5
      ? "error"
      : runtimeLevel === 4
      ? "warning"
      : runtimeLevel === 3
      ? "info"
      : runtimeLevel === 2
      ? "verbose"
      : "trace";
    if (this.enabled(level)) this.#callback!(level, `[broker] ${message}`, this.piiEnabled);
  }
}
