/**
 * D-Bus messages: header fields, encoding, decoding and stream framing.
 *
 * @module
 */

import { DBusReader, DBusWriter, type Variant } from "./dbus_marshal.ts";

/**
 * D-Bus message types.
 *
 * @example
 * ```ts
 * if (message.type === MessageType.METHOD_CALL) bus.reply(message);
 * ```
 */
export const MessageType = {
  METHOD_CALL: 1,
  METHOD_RETURN: 2,
  ERROR: 3,
  SIGNAL: 4,
} as const;

/**
 * Header flag: the sender does not want a reply.
 *
 * @example
 * ```ts
 * const wantsReply = (message.flags & NO_REPLY_EXPECTED) === 0;
 * ```
 */
export const NO_REPLY_EXPECTED = 0x1;

/**
 * A decoded (or to-be-encoded) D-Bus message.
 *
 * @example
 * ```ts
 * const ping: DBusMessage = { type: MessageType.METHOD_CALL, flags: 0, serial: 1, path: "/", member: "Ping", signature: "", body: [] };
 * ```
 */
export interface DBusMessage {
  /** One of {@link MessageType}. */
  type: number;
  /** Header flags. */
  flags: number;
  /** Serial number chosen by the sender. */
  serial: number;
  /** Object path (calls and signals). */
  path?: string;
  /** Interface name. */
  interface?: string;
  /** Method or signal name. */
  member?: string;
  /** Error name (errors). */
  errorName?: string;
  /** Serial of the call this answers (returns and errors). */
  replySerial?: number;
  /** Destination bus name. */
  destination?: string;
  /** Sender's unique name (filled in by the bus). */
  sender?: string;
  /** Body signature, `""` when there is no body. */
  signature: string;
  /** Body values, one per complete type of `signature`. */
  body: unknown[];
  /** True when the message arrived little-endian. */
  littleEndian?: boolean;
}

const FIELDS = [
  [1, "path", "o"],
  [2, "interface", "s"],
  [3, "member", "s"],
  [4, "errorName", "s"],
  [5, "replySerial", "u"],
  [6, "destination", "s"],
  [7, "sender", "s"],
] as const;

/**
 * Encodes a message into its wire form.
 *
 * @param message The message; `serial` must be non-zero.
 * @param littleEndian Byte order (default little-endian).
 * @returns The encoded bytes.
 * @example
 * ```ts
 * const bytes = encodeMessage({
 *   type: MessageType.METHOD_CALL, flags: 0, serial: 1, path: "/org/freedesktop/DBus",
 *   interface: "org.freedesktop.DBus", member: "Hello", destination: "org.freedesktop.DBus",
 *   signature: "", body: [],
 * });
 * ```
 */
export function encodeMessage(message: DBusMessage, littleEndian = true): Uint8Array {
  const bodyWriter = new DBusWriter(littleEndian);
  if (message.signature) bodyWriter.writeAll(message.signature, message.body);
  const body = bodyWriter.toBytes();

  const fields: [number, Variant][] = [];
  for (const [code, key, sig] of FIELDS) {
    const value = message[key];
    if (value !== undefined) fields.push([code, { signature: sig, value }]);
  }
  if (message.signature) fields.push([8, { signature: "g", value: message.signature }]);

  const w = new DBusWriter(littleEndian);
  w.write("y", littleEndian ? 0x6c : 0x42);
  w.write("y", message.type);
  w.write("y", message.flags);
  w.write("y", 1);
  w.write("u", body.length);
  w.write("u", message.serial);
  w.write("a(yv)", fields);
  w.align(8);
  w.writeBytes(body);
  return w.toBytes();
}

/**
 * Returns the total length of the message at the start of `bytes`, or `undefined` when
 * fewer than 16 bytes are available.
 *
 * @param bytes Buffered stream data.
 * @returns The message length in bytes.
 * @throws {TypeError} When the data does not start with a D-Bus header.
 * @example
 * ```ts
 * const n = messageLength(buffered);
 * if (n !== undefined && buffered.length >= n) decodeMessage(buffered.subarray(0, n));
 * ```
 */
export function messageLength(bytes: Uint8Array): number | undefined {
  if (bytes.length < 16) return undefined;
  const endian = bytes[0];
  if (endian !== 0x6c && endian !== 0x42) throw new TypeError("Not a D-Bus message");
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  const le = endian === 0x6c;
  const bodyLength = view.getUint32(4, le);
  const fieldsLength = view.getUint32(12, le);
  const headerEnd = 16 + fieldsLength;
  return headerEnd + ((8 - (headerEnd % 8)) % 8) + bodyLength;
}

/**
 * Decodes one complete message (either byte order).
 *
 * @param bytes Exactly one message, as delimited by {@link messageLength}.
 * @returns The decoded message.
 * @throws {TypeError | RangeError} When the message is malformed.
 * @example
 * ```ts
 * const message = decodeMessage(encodeMessage(call));
 * ```
 */
export function decodeMessage(bytes: Uint8Array): DBusMessage {
  const le = bytes[0] === 0x6c;
  if (!le && bytes[0] !== 0x42) throw new TypeError("Not a D-Bus message");
  const r = new DBusReader(bytes, le);
  r.read("y");
  const type = r.read("y") as number;
  const flags = r.read("y") as number;
  const version = r.read("y") as number;
  if (version !== 1) throw new TypeError(`Unsupported D-Bus protocol version ${version}`);
  const bodyLength = r.read("u") as number;
  const serial = r.read("u") as number;
  const fields = r.read("a(yv)") as [number, Variant][];
  r.align(8);
  const message: DBusMessage = { type, flags, serial, signature: "", body: [], littleEndian: le };
  for (const [code, variant] of fields) {
    const known = FIELDS.find(([c]) => c === code);
    if (known) (message as unknown as Record<string, unknown>)[known[1]] = variant.value;
    else if (code === 8) message.signature = variant.value as string;
  }
  if (r.offset + bodyLength !== bytes.length) throw new RangeError("D-Bus body length mismatch");
  if (message.signature) {
    message.body = new DBusReader(bytes, le, r.offset, r.offset).readAll(message.signature);
  }
  return message;
}
