/**
 * The broker emulator: owns `com.microsoft.identity.broker1` on a session bus, answers Peer,
 * Introspectable and `com.microsoft.identity.Broker1` calls, applies queued faults, and serves
 * the HTTP control API.
 *
 * @module
 */

import { readFileSync } from "node:fs";
import process from "node:process";
import { BROKER_METHODS, brokerError, EmulatedBroker } from "./broker.ts";
import { startControlServer } from "./control_server.ts";
import { DBusConnection } from "./dbus_connection.ts";
import type { DBusMessage } from "./dbus_message.ts";
import { FaultQueue, type QueuedFault } from "./faults.ts";
import { RequestLog } from "./request_log.ts";
import { TokenMinter } from "./tokens.ts";
import { DEFAULT_USERS, type EmulatedUser, resolveUsers } from "./users.ts";

/**
 * Well-known bus name of the Linux identity broker.
 *
 * @example
 * ```ts
 * await bus.call({ destination: BROKER_BUS_NAME, path: BROKER_OBJECT_PATH, member: "Ping" });
 * ```
 */
export const BROKER_BUS_NAME = "com.microsoft.identity.broker1";
/**
 * Object path of the broker.
 *
 * @example
 * ```ts
 * await bus.call({ destination: BROKER_BUS_NAME, path: BROKER_OBJECT_PATH, member: "Ping" });
 * ```
 */
export const BROKER_OBJECT_PATH = "/com/microsoft/identity/broker1";
/**
 * Interface of the broker methods.
 *
 * @example
 * ```ts
 * await bus.call({ destination: BROKER_BUS_NAME, path: BROKER_OBJECT_PATH, interface: BROKER_INTERFACE, member: "getAccounts", signature: "sss", body: ["0.0", "corr", "{}"] });
 * ```
 */
export const BROKER_INTERFACE = "com.microsoft.identity.Broker1";

/**
 * Options for {@link BrokerEmulator.start}.
 *
 * @example
 * ```ts
 * const options: BrokerEmulatorOptions = { users: [{ username: "a@contoso.example" }], dieMode: "disconnect" };
 * ```
 */
export interface BrokerEmulatorOptions {
  /** Bus address; default `DBUS_SESSION_BUS_ADDRESS`. */
  busAddress?: string;
  /** Users (array or `{ users }`); default {@link DEFAULT_USERS}. */
  users?: unknown;
  /** JSONL file receiving every finished call. */
  logFile?: string;
  /**
   * What a `die` fault does: `"exit"` (default) ends the process; `"disconnect"` drops the bus
   * connection at once (for emulators running inside a test process).
   */
  dieMode?: "exit" | "disconnect";
  /** Start the HTTP control API on 127.0.0.1 (default true). */
  control?: boolean;
}

const PEER = "org.freedesktop.DBus.Peer";
const INTROSPECTABLE = "org.freedesktop.DBus.Introspectable";
const PROPERTIES = "org.freedesktop.DBus.Properties";

function introspectionXml(path: string): string {
  const head = "<!DOCTYPE node PUBLIC \"-//freedesktop//DTD D-BUS Object Introspection 1.0//EN\"\n"
    + " \"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd\">\n<node>\n";
  const std = `  <interface name="${PEER}">\n    <method name="Ping"/>\n`
    + `    <method name="GetMachineId"><arg type="s" name="machine_uuid" direction="out"/></method>\n`
    + `  </interface>\n  <interface name="${INTROSPECTABLE}">\n`
    + `    <method name="Introspect"><arg type="s" name="xml_data" direction="out"/></method>\n`
    + `  </interface>\n`;
  if (path === BROKER_OBJECT_PATH) {
    const methods = BROKER_METHODS.map((m) =>
      `    <method name="${m}">\n      <arg type="s" name="protocolVersion" direction="in"/>\n`
      + `      <arg type="s" name="correlationId" direction="in"/>\n`
      + `      <arg type="s" name="requestJson" direction="in"/>\n`
      + `      <arg type="s" name="responseJson" direction="out"/>\n    </method>\n`
    ).join("");
    return `${head}${std}  <interface name="${BROKER_INTERFACE}">\n${methods}  </interface>\n</node>\n`;
  }
  const parts = BROKER_OBJECT_PATH.split("/").filter(Boolean);
  const mine = path === "/" ? [] : path.split("/").filter(Boolean);
  const child = mine.every((p, i) => parts[i] === p) ? parts[mine.length] : undefined;
  return `${head}${std}${child ? `  <node name="${child}"/>\n` : ""}</node>\n`;
}

function machineId(): string {
  try {
    return readFileSync("/etc/machine-id", "utf8").trim();
  } catch {
    return "00000000000000000000000000000000";
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A running broker emulator.
 *
 * @example
 * ```ts
 * const emulator = await BrokerEmulator.start({ users: [{ username: "a@contoso.example" }] });
 * console.log(emulator.controlUrl);
 * await emulator.close();
 * ```
 */
export class BrokerEmulator {
  /** Users, sessions and replies. */
  readonly broker: EmulatedBroker;
  /** Queued faults. */
  readonly faults: FaultQueue = new FaultQueue();
  /** Every call received. */
  readonly log: RequestLog;
  /** Signing keys. */
  readonly minter: TokenMinter = new TokenMinter();
  /** `http://127.0.0.1:PORT` of the control API, or `""` when disabled. */
  controlUrl = "";
  /** The emulator's unique bus name. */
  uniqueName = "";
  #bus: DBusConnection | undefined;
  #initialUsers: EmulatedUser[];
  #closeControl: (() => Promise<void>) | undefined;
  readonly #dieMode: "exit" | "disconnect";
  /** Interactive calls held by a `hang` fault: an answered `cancelInteractiveFlow` ends them. */
  #hungInteractive: DBusMessage[] = [];

  private constructor(options: BrokerEmulatorOptions) {
    this.#initialUsers = resolveUsers(options.users ?? DEFAULT_USERS);
    this.broker = new EmulatedBroker(this.#initialUsers, this.minter);
    this.log = new RequestLog(options.logFile);
    this.#dieMode = options.dieMode ?? "exit";
  }

  /**
   * Connects to the bus, claims {@link BROKER_BUS_NAME} and starts the control API.
   *
   * @throws {Error} When the bus is unreachable or the name is already owned.
   */
  static async start(options: BrokerEmulatorOptions = {}): Promise<BrokerEmulator> {
    const emulator = new BrokerEmulator(options);
    const address = options.busAddress ?? process.env.DBUS_SESSION_BUS_ADDRESS;
    if (!address) throw new Error("No D-Bus address: set DBUS_SESSION_BUS_ADDRESS");
    const bus = await DBusConnection.open(address);
    emulator.#bus = bus;
    emulator.uniqueName = bus.uniqueName;
    bus.onMethodCall = (call) => void emulator.#onCall(call);
    const [code] = await bus.call({
      destination: "org.freedesktop.DBus",
      path: "/org/freedesktop/DBus",
      interface: "org.freedesktop.DBus",
      member: "RequestName",
      signature: "su",
      body: [BROKER_BUS_NAME, 4],
    });
    if (code !== 1) {
      bus.close();
      throw new Error(`Could not own ${BROKER_BUS_NAME} (RequestName returned ${code})`);
    }
    if (options.control !== false) {
      const server = await startControlServer(emulator);
      emulator.controlUrl = server.url;
      emulator.#closeControl = server.close;
    }
    return emulator;
  }

  /** True while connected to the bus. */
  get connected(): boolean {
    return this.#bus !== undefined && !this.#bus.closed;
  }

  /** Replaces the users (and the set restored by {@link reset}). */
  setUsers(users: unknown): void {
    this.#initialUsers = resolveUsers(users);
    this.broker.setUsers(this.#initialUsers);
  }

  /** Clears faults and the log, and restores the users' initial sessions. */
  reset(): void {
    this.faults.clear();
    this.log.clear();
    this.broker.setUsers(this.#initialUsers);
  }

  /** Releases the bus and the control API; idempotent. */
  async close(): Promise<void> {
    this.#bus?.close();
    const closeControl = this.#closeControl;
    this.#closeControl = undefined;
    await closeControl?.();
  }

  /** Same as {@link close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #onCall(call: DBusMessage): Promise<void> {
    const bus = this.#bus!;
    const member = call.member ?? "";
    const iface = call.interface ?? "";
    const isBroker = call.path === BROKER_OBJECT_PATH && BROKER_METHODS.includes(member)
      && (iface === BROKER_INTERFACE || !iface);
    const broker = isBroker && call.signature === "sss";
    const entry = this.log.start({
      sender: call.sender ?? "",
      interface: iface,
      method: member,
      ...(broker ? this.#parseArgs(call.body as string[]) : {}),
    });
    const fault = this.faults.take(member, isBroker);
    if (fault) entry.fault = { id: fault.id, kind: fault.kind };
    if (fault?.delayMs) await sleep(fault.delayMs);
    if (fault?.kind === "delay") await sleep(fault.ms);
    if (fault?.kind === "hang") {
      if (member === "acquireTokenInteractively") this.#hungInteractive.push(call);
      return this.log.finish(entry, { type: "none", reason: "hang" });
    }
    if (fault?.kind === "die") {
      this.log.finish(entry, { type: "none", reason: "die" });
      if (this.#dieMode === "exit") process.exit(fault.exitCode ?? 70);
      bus.abort();
      return;
    }
    if (fault?.kind === "dbusError") {
      const message = fault.message ?? "Injected D-Bus error";
      bus.replyError(call, fault.name, message);
      return this.log.finish(entry, { type: "error", name: fault.name, message });
    }
    // An answered cancel ends the hung interactive calls (a fault above keeps them hung).
    if (member === "cancelInteractiveFlow" && isBroker) this.#cancelInteractive();
    const replied = this.#answer(call, member, iface, isBroker, entry.request, fault);
    if ("name" in replied) {
      bus.replyError(call, replied.name, replied.message);
      return this.log.finish(entry, { type: "error", ...replied });
    }
    bus.reply(call, replied.signature, replied.body);
    const text = typeof replied.body[0] === "string" ? replied.body[0] : "";
    let json: unknown;
    try {
      json = broker ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    this.log.finish(entry, { type: "return", body: text, ...(json !== undefined ? { json } : {}) });
  }

  /**
   * As the real broker closes its window: every hung interactive call is answered with status 8
   * (ApplicationCanceled). A `hang` fault on `cancelInteractiveFlow` keeps them hung.
   */
  #cancelInteractive(): void {
    const hung = this.#hungInteractive;
    this.#hungInteractive = [];
    const reply = JSON.stringify(brokerError({
      status: 8,
      context: "The interactive flow was canceled by the application (cancelInteractiveFlow).",
    }));
    for (const call of hung) this.#bus?.reply(call, "s", [reply]);
  }

  #parseArgs(
    args: string[],
  ): { protocolVersion: string; correlationId: string; request: unknown; } {
    const [protocolVersion = "", correlationId = "", raw = ""] = args;
    let request: unknown = raw;
    try {
      request = JSON.parse(raw);
    } catch {
      // Keep the raw string: the log shows what arrived.
    }
    return { protocolVersion, correlationId, request };
  }

  #answer(
    call: DBusMessage,
    member: string,
    iface: string,
    isBroker: boolean,
    request: unknown,
    fault: QueuedFault | undefined,
  ): { signature: string; body: unknown[]; } | { name: string; message: string; } {
    if (isBroker) {
      if (call.signature !== "sss") {
        return {
          name: "org.freedesktop.DBus.Error.InvalidArgs",
          message: `${member} expects (sss), got (${call.signature})`,
        };
      }
      if (fault?.kind === "malformed") {
        return {
          signature: "s",
          body: [fault.body ?? "{\"brokerTokenResponse\":{\"accessToken\":\""],
        };
      }
      let reply: unknown;
      if (fault?.kind === "reply") reply = fault.response;
      else if (fault?.kind === "error") reply = brokerError(fault);
      else if (typeof request === "string") {
        reply = brokerError({ status: 6, context: "Request is not valid JSON" });
      } else reply = this.broker.handle(member, request);
      return { signature: "s", body: [JSON.stringify(reply)] };
    }
    if ((iface === PEER || !iface) && member === "Ping") return { signature: "", body: [] };
    if ((iface === PEER || !iface) && member === "GetMachineId") {
      return { signature: "s", body: [machineId()] };
    }
    if ((iface === INTROSPECTABLE || !iface) && member === "Introspect") {
      return { signature: "s", body: [introspectionXml(call.path ?? "/")] };
    }
    if (iface === PROPERTIES && member === "GetAll") return { signature: "a{sv}", body: [[]] };
    if (call.path !== BROKER_OBJECT_PATH && iface === BROKER_INTERFACE) {
      return {
        name: "org.freedesktop.DBus.Error.UnknownObject",
        message: `No object ${call.path}`,
      };
    }
    return {
      name: "org.freedesktop.DBus.Error.UnknownMethod",
      message: `No method ${iface ? `${iface}.` : ""}${member}(${call.signature}) at ${call.path}`,
    };
  }
}
