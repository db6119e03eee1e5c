/**
 * A minimal D-Bus client connection over a unix socket: SASL EXTERNAL authentication,
 * `Hello`, outgoing method calls, and dispatch of incoming method calls.
 *
 * @module
 */

import { connect, type Socket } from "node:net";
import process from "node:process";
import {
  type DBusMessage,
  decodeMessage,
  encodeMessage,
  messageLength,
  MessageType,
  NO_REPLY_EXPECTED,
} from "./dbus_message.ts";

/**
 * An error reply received from the bus or a peer.
 *
 * @example
 * ```ts
 * try { await bus.call(options); } catch (e) { if (e instanceof DBusError) console.log(e.errorName); }
 * ```
 */
export class DBusError extends Error {
  /** The D-Bus error name, e.g. `org.freedesktop.DBus.Error.ServiceUnknown`. */
  readonly errorName: string;
  /**
   * @param errorName D-Bus error name.
   * @param message Error text.
   */
  /**
   * Creates a DBusError.
   *
   * @param errorName the D-Bus error name, e.g. `org.freedesktop.DBus.Error.Failed`
   * @param message the error message
   */
  constructor(errorName: string, message: string) {
    super(`${errorName}: ${message}`);
    this.name = "DBusError";
    this.errorName = errorName;
  }
}

/**
 * Handler for incoming method calls; the connection does not reply on its own.
 *
 * @example
 * ```ts
 * bus.onMethodCall = (call) => bus.reply(call);
 * ```
 */
export type MethodCallHandler = (call: DBusMessage) => void;

/**
 * Options for a method call made with {@link DBusConnection.call}.
 *
 * @example
 * ```ts
 * const options: CallOptions = { destination: "org.freedesktop.DBus", path: "/", member: "Ping" };
 * ```
 */
export interface CallOptions {
  /** Destination bus name. */
  destination: string;
  /** Object path. */
  path: string;
  /** Interface name. */
  interface?: string;
  /** Method name. */
  member: string;
  /** Body signature (default none). */
  signature?: string;
  /** Body values. */
  body?: unknown[];
  /** Reject after this many ms (default 25000). */
  timeoutMs?: number;
  /** Send the call big-endian when false (default little-endian). */
  littleEndian?: boolean;
}

/**
 * Parses a D-Bus address (`unix:path=…` or `unix:abstract=…`, several separated by `;`)
 * into the first usable socket path. Abstract names are returned with a leading NUL.
 *
 * @param address Value of `DBUS_SESSION_BUS_ADDRESS`.
 * @returns A path for `node:net` `connect({ path })`.
 * @throws {Error} When no supported transport is listed.
 * @example
 * ```ts
 * socketPathFromAddress("unix:path=/tmp/bus,guid=0123"); // "/tmp/bus"
 * ```
 */
export function socketPathFromAddress(address: string): string {
  for (const entry of address.split(";")) {
    const colon = entry.indexOf(":");
    if (entry.slice(0, colon) !== "unix") continue;
    const params = new Map<string, string>();
    for (const kv of entry.slice(colon + 1).split(",")) {
      const eq = kv.indexOf("=");
      if (eq > 0) params.set(kv.slice(0, eq), decodeURIComponent(kv.slice(eq + 1)));
    }
    const path = params.get("path");
    if (path) return path;
    const abstract = params.get("abstract");
    if (abstract) return `\0${abstract}`;
  }
  throw new Error(`No supported transport in D-Bus address "${address}"`);
}

/**
 * One authenticated connection to a message bus.
 *
 * @example
 * ```ts
 * const bus = await DBusConnection.open(process.env.DBUS_SESSION_BUS_ADDRESS!);
 * await bus.call({ destination: "org.freedesktop.DBus", path: "/org/freedesktop/DBus",
 *   interface: "org.freedesktop.DBus.Peer", member: "Ping" });
 * bus.close();
 * ```
 */
export class DBusConnection {
  readonly #socket: Socket;
  #serial = 0;
  #buffer: Uint8Array = new Uint8Array(0);
  readonly #pending = new Map<number, {
    resolve: (m: DBusMessage) => void;
    reject: (e: Error) => void;
    timer: ReturnType<typeof setTimeout>;
  }>();
  #closed = false;
  /** Unique name given by the bus (`:1.N`) after `Hello`. */
  uniqueName = "";
  /** Called for every incoming METHOD_CALL. */
  onMethodCall: MethodCallHandler | undefined;
  /** Called once when the socket closes. */
  onClose: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
  }

  /**
   * Connects, authenticates with SASL EXTERNAL and sends `Hello`.
   *
   * @param address A D-Bus address such as `unix:path=/run/user/0/bus`.
   * @param timeoutMs Give up after this many ms (default 5000).
   * @returns The open connection.
   * @throws {Error} When the bus is unreachable or refuses authentication.
   */
  static async open(address: string, timeoutMs = 5000): Promise<DBusConnection> {
    const socket = connect({ path: socketPathFromAddress(address) });
    const timer = setTimeout(() => socket.destroy(new Error("D-Bus connect timed out")), timeoutMs);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("connect", resolve);
        socket.once("error", reject);
      });
      await authenticate(socket);
    } catch (err) {
      socket.destroy();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    const connection = new DBusConnection(socket);
    connection.#attach();
    const [name] = await connection.call({
      destination: "org.freedesktop.DBus",
      path: "/org/freedesktop/DBus",
      interface: "org.freedesktop.DBus",
      member: "Hello",
    });
    connection.uniqueName = name as string;
    return connection;
  }

  #attach(): void {
    this.#socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    this.#socket.on("error", () => {});
    this.#socket.on("close", () => {
      this.#closed = true;
      for (const [serial, p] of this.#pending) {
        clearTimeout(p.timer);
        p.reject(new Error("D-Bus connection closed"));
        this.#pending.delete(serial);
      }
      this.onClose?.();
    });
  }

  #onData(chunk: Uint8Array): void {
    const merged = new Uint8Array(this.#buffer.length + chunk.length);
    merged.set(this.#buffer);
    merged.set(chunk, this.#buffer.length);
    this.#buffer = merged;
    for (;;) {
      let length: number | undefined;
      try {
        length = messageLength(this.#buffer);
      } catch {
        this.#socket.destroy();
        return;
      }
      if (length === undefined || this.#buffer.length < length) return;
      const bytes = this.#buffer.slice(0, length);
      this.#buffer = this.#buffer.slice(length);
      let message: DBusMessage;
      try {
        message = decodeMessage(bytes);
      } catch {
        continue;
      }
      this.#dispatch(message);
    }
  }

  #dispatch(message: DBusMessage): void {
    if (message.type === MessageType.METHOD_CALL) {
      if (this.onMethodCall) this.onMethodCall(message);
      else this.replyError(message, "org.freedesktop.DBus.Error.UnknownMethod", "No handler");
      return;
    }
    if (message.type !== MessageType.METHOD_RETURN && message.type !== MessageType.ERROR) return;
    const pending = this.#pending.get(message.replySerial ?? -1);
    if (!pending) return;
    this.#pending.delete(message.replySerial!);
    clearTimeout(pending.timer);
    if (message.type === MessageType.ERROR) {
      const text = typeof message.body[0] === "string" ? message.body[0] : "";
      pending.reject(new DBusError(message.errorName ?? "org.freedesktop.DBus.Error.Failed", text));
    } else pending.resolve(message);
  }

  /** True once the socket has closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends a message and returns its serial.
   *
   * @param message Everything but the serial.
   * @param littleEndian Byte order to send in (default little-endian).
   */
  send(message: Omit<DBusMessage, "serial">, littleEndian = true): number {
    const serial = ++this.#serial;
    if (!this.#closed) this.#socket.write(encodeMessage({ ...message, serial }, littleEndian));
    return serial;
  }

  /**
   * Calls a method and resolves with the reply body.
   *
   * @throws {DBusError} When the peer answers with an error.
   */
  call(options: CallOptions): Promise<unknown[]> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(new Error("D-Bus connection closed"));
      const serial = this.send({
        type: MessageType.METHOD_CALL,
        flags: 0,
        destination: options.destination,
        path: options.path,
        interface: options.interface,
        member: options.member,
        signature: options.signature ?? "",
        body: options.body ?? [],
      }, options.littleEndian ?? true);
      const timer = setTimeout(() => {
        this.#pending.delete(serial);
        reject(new Error(`D-Bus call ${options.member} timed out`));
      }, options.timeoutMs ?? 25000);
      this.#pending.set(serial, { resolve: (m) => resolve(m.body), reject, timer });
    });
  }

  /** Sends a METHOD_RETURN for `call` (skipped when no reply is expected). */
  reply(call: DBusMessage, signature = "", body: unknown[] = []): void {
    if (call.flags & NO_REPLY_EXPECTED) return;
    this.send({
      type: MessageType.METHOD_RETURN,
      flags: NO_REPLY_EXPECTED,
      replySerial: call.serial,
      destination: call.sender,
      signature,
      body,
    });
  }

  /** Sends an ERROR reply for `call` (skipped when no reply is expected). */
  replyError(call: DBusMessage, name: string, message: string): void {
    if (call.flags & NO_REPLY_EXPECTED) return;
    this.send({
      type: MessageType.ERROR,
      flags: NO_REPLY_EXPECTED,
      replySerial: call.serial,
      destination: call.sender,
      errorName: name,
      signature: "s",
      body: [message],
    });
  }

  /** Closes the connection gracefully; idempotent. */
  close(): void {
    if (!this.#closed) this.#socket.end();
    this.#closed = true;
  }

  /** Drops the connection at once, as a crashing process would; idempotent. */
  abort(): void {
    this.#socket.destroy();
    this.#closed = true;
  }
}

async function authenticate(socket: Socket): Promise<void> {
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  const hexUid = Array.from(new TextEncoder().encode(String(uid)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const line = await new Promise<string>((resolve, reject) => {
    let text = "";
    const onData = (chunk: Uint8Array): void => {
      text += new TextDecoder().decode(chunk);
      const end = text.indexOf("\r\n");
      if (end < 0) return;
      socket.off("data", onData);
      socket.off("error", reject);
      if (text.length > end + 2) reject(new Error("Unexpected data after SASL reply"));
      else resolve(text.slice(0, end));
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.write(new Uint8Array([0]));
    socket.write(`AUTH EXTERNAL ${hexUid}\r\n`);
  });
  if (!line.startsWith("OK ")) throw new Error(`D-Bus authentication refused: ${line}`);
  socket.write("BEGIN\r\n");
}
