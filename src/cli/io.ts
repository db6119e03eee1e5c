/**
 * The command line's streams. Stdout carries only the result (a token, JSON, an
 * ExecCredential, git's credential lines); everything else goes to stderr. Colour only on a
 * terminal and never with `NO_COLOR`.
 *
 * @module
 */

import { writeSync } from "node:fs";
import process from "node:process";
import { isatty } from "node:tty";

/** Where a command writes. */
export interface CliIo {
  /** Writes the result to stdout (only the result goes there). */
  out(text: string): void;
  /** Writes a message, a prompt or a warning to stderr. */
  err(text: string): void;
  /** Whether stdout is a terminal (tables instead of JSON). */
  readonly stdoutIsTty: boolean;
  /** Whether stderr is a terminal that may be coloured. */
  readonly color: boolean;
  /** The environment. */
  readonly env: Record<string, string | undefined>;
  /** Reads all of stdin (git's credential protocol). */
  readStdin(): Promise<string>;
  /**
   * Protects stdout from native libraries before one is loaded: from then on, whatever else
   * writes to descriptor 1 lands on stderr.
   */
  protectStdout(): Promise<void>;
}

function writeAll(fd: number, text: string): void {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(fd, bytes, offset);
    } catch (err) {
      // A non-blocking pipe that is full: try again.
      if ((err as { code?: string; }).code !== "EAGAIN") throw err;
    }
  }
}

/**
 * The process's own streams.
 *
 * @returns the streams of this process
 */
export function processIo(): CliIo {
  let reserved: ((bytes: Uint8Array) => void) | undefined;
  const env = process.env as Record<string, string | undefined>;
  return {
    out: (text) => (reserved ? reserved(new TextEncoder().encode(text)) : writeAll(1, text)),
    err: (text) => writeAll(2, text),
    // isatty, not process.stdout.isTTY: creating the stream objects costs milliseconds.
    stdoutIsTty: isatty(1),
    color: isatty(2) && !env.NO_COLOR && env.TERM !== "dumb",
    env,
    readStdin: async () => {
      const chunks: Uint8Array[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
      let size = 0;
      for (const c of chunks) size += c.length;
      const all = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      return new TextDecoder().decode(all);
    },
    protectStdout: async () => {
      const { reserveStdout } = await import("../../ffi/stdio.ts");
      reserved ??= await reserveStdout();
    },
  };
}

/** ANSI styles, empty when colour is off. */
export function styles(
  color: boolean,
): { bold: string; red: string; green: string; yellow: string; reset: string; } {
  return color
    ? { bold: "\x1b[1m", red: "\x1b[31m", green: "\x1b[32m", yellow: "\x1b[33m", reset: "\x1b[0m" }
    : { bold: "", red: "", green: "", yellow: "", reset: "" };
}
