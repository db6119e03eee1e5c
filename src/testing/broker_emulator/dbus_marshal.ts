/**
 * D-Bus wire format: marshalling and unmarshalling of typed values.
 *
 * Value mapping: `y n q i u h d` ↔ `number`, `x t` ↔ `bigint`, `b` ↔ `boolean`,
 * `s o g` ↔ `string`, `a…` ↔ array (`a{kv}` ↔ array of `[key, value]` pairs; a plain
 * object is also accepted when writing), `(…)` ↔ array of members, `v` ↔ {@link Variant}.
 *
 * @module
 */

/**
 * A D-Bus variant: a value together with its single complete type signature.
 *
 * @example
 * ```ts
 * const v: Variant = { signature: "s", value: "text" };
 * ```
 */
export interface Variant {
  /** Single complete type, e.g. `"s"` or `"a{sv}"`. */
  signature: string;
  /** The value, mapped as described in this module's documentation. */
  value: unknown;
}

const ALIGNMENT: Record<string, number> = {
  y: 1,
  b: 4,
  n: 2,
  q: 2,
  i: 4,
  u: 4,
  x: 8,
  t: 8,
  d: 8,
  h: 4,
  s: 4,
  o: 4,
  g: 1,
  a: 4,
  "(": 8,
  "{": 8,
  v: 1,
};

/**
 * Returns the index just past the single complete type that starts at `start`.
 *
 * @param signature A D-Bus signature.
 * @param start Index of the first character of the type.
 * @returns The index of the character after the type.
 * @throws {TypeError} When the signature is malformed.
 * @example
 * ```ts
 * completeTypeEnd("a{sv}s", 0); // 5
 * ```
 */
export function completeTypeEnd(signature: string, start: number): number {
  const c = signature[start];
  if (c === undefined) throw new TypeError(`Truncated D-Bus signature "${signature}"`);
  if (c === "a") return completeTypeEnd(signature, start + 1);
  if (c === "(" || c === "{") {
    const close = c === "(" ? ")" : "}";
    let i = start + 1;
    while (signature[i] !== close) {
      if (i >= signature.length) throw new TypeError(`Unclosed "${c}" in "${signature}"`);
      i = completeTypeEnd(signature, i);
    }
    return i + 1;
  }
  if (!(c in ALIGNMENT)) throw new TypeError(`Unknown D-Bus type "${c}" in "${signature}"`);
  return start + 1;
}

/**
 * Splits a signature into its single complete types.
 *
 * @param signature A D-Bus signature such as `"sa{sv}u"`.
 * @returns The complete types, e.g. `["s", "a{sv}", "u"]`.
 * @throws {TypeError} When the signature is malformed.
 * @example
 * ```ts
 * splitSignature("(ss)as"); // ["(ss)", "as"]
 * ```
 */
export function splitSignature(signature: string): string[] {
  const types: string[] = [];
  let i = 0;
  while (i < signature.length) {
    const end = completeTypeEnd(signature, i);
    types.push(signature.slice(i, end));
    i = end;
  }
  return types;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Builds D-Bus marshalled data in either byte order. Offsets (and so alignment) count from
 * the start of the buffer, which must therefore start at an 8-aligned position of the message.
 *
 * @example
 * ```ts
 * const w = new DBusWriter(true);
 * w.writeAll("su", ["hi", 7]);
 * const bytes = w.toBytes();
 * ```
 */
export class DBusWriter {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #len = 0;
  /** True for little-endian output. */
  readonly littleEndian: boolean;

  /** @param littleEndian Byte order of the output (default little-endian). */
  /**
   * Creates a DBusWriter.
   *
   * @param littleEndian the byte order to write
   */
  constructor(littleEndian = true) {
    this.littleEndian = littleEndian;
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Pads with zero bytes to a multiple of `n`. */
  align(n: number): void {
    const pad = (n - (this.#len % n)) % n;
    this.#reserve(pad);
    this.#buf.fill(0, this.#len, this.#len + pad);
    this.#len += pad;
  }

  /** Appends raw bytes. */
  writeBytes(bytes: Uint8Array): void {
    this.#reserve(bytes.length);
    this.#buf.set(bytes, this.#len);
    this.#len += bytes.length;
  }

  /** Writes an unsigned 32-bit integer at an absolute offset already written. */
  patchUint32(offset: number, value: number): void {
    this.#view.setUint32(offset, value, this.littleEndian);
  }

  #fixed(size: number, set: (view: DataView, at: number) => void): void {
    this.align(size);
    this.#reserve(size);
    set(this.#view, this.#len);
    this.#len += size;
  }

  /** Writes the values of a whole signature, one value per complete type. */
  writeAll(signature: string, values: readonly unknown[]): void {
    const types = splitSignature(signature);
    if (types.length !== values.length) {
      throw new TypeError(`Signature "${signature}" needs ${types.length} values`);
    }
    types.forEach((t, i) => this.write(t, values[i]));
  }

  /** Writes one value of a single complete type. */
  write(type: string, value: unknown): void {
    const le = this.littleEndian;
    const c = type[0];
    switch (c) {
      case "y":
        return this.#fixed(1, (v, at) => v.setUint8(at, Number(value)));
      case "b":
        return this.#fixed(4, (v, at) => v.setUint32(at, value ? 1 : 0, le));
      case "n":
        return this.#fixed(2, (v, at) => v.setInt16(at, Number(value), le));
      case "q":
        return this.#fixed(2, (v, at) => v.setUint16(at, Number(value), le));
      case "i":
        return this.#fixed(4, (v, at) => v.setInt32(at, Number(value), le));
      case "u":
      case "h":
        return this.#fixed(4, (v, at) => v.setUint32(at, Number(value), le));
      case "x":
        return this.#fixed(8, (v, at) => v.setBigInt64(at, BigInt(value as bigint), le));
      case "t":
        return this.#fixed(8, (v, at) => v.setBigUint64(at, BigInt(value as bigint), le));
      case "d":
        return this.#fixed(8, (v, at) => v.setFloat64(at, Number(value), le));
      case "s":
      case "o": {
        const bytes = encoder.encode(String(value));
        this.#fixed(4, (v, at) => v.setUint32(at, bytes.length, le));
        this.writeBytes(bytes);
        return this.writeBytes(new Uint8Array(1));
      }
      case "g": {
        const bytes = encoder.encode(String(value));
        if (bytes.length > 255) throw new TypeError("D-Bus signature longer than 255 bytes");
        this.writeBytes(Uint8Array.of(bytes.length));
        this.writeBytes(bytes);
        return this.writeBytes(new Uint8Array(1));
      }
      case "v": {
        const variant = value as Variant;
        this.write("g", variant.signature);
        return this.write(variant.signature, variant.value);
      }
      case "(":
      case "{": {
        this.align(8);
        const members = splitSignature(type.slice(1, -1));
        const items = value as readonly unknown[];
        members.forEach((m, i) => this.write(m, items[i]));
        return;
      }
      case "a": {
        const elem = type.slice(1);
        let items: readonly unknown[];
        if (Array.isArray(value)) items = value;
        else if (elem[0] === "{" && value !== null && typeof value === "object") {
          items = Object.entries(value as Record<string, unknown>);
        } else throw new TypeError(`Expected an array for D-Bus type "${type}"`);
        this.align(4);
        const lengthAt = this.#len;
        this.#fixed(4, (v, at) => v.setUint32(at, 0, le));
        this.align(ALIGNMENT[elem[0]!]!);
        const start = this.#len;
        for (const item of items) this.write(elem, item);
        return this.patchUint32(lengthAt, this.#len - start);
      }
      default:
        throw new TypeError(`Unsupported D-Bus type "${type}"`);
    }
  }

  /** Returns a copy of the bytes written. */
  toBytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/**
 * Reads D-Bus marshalled data in either byte order. Alignment counts from `base`.
 *
 * @example
 * ```ts
 * const r = new DBusReader(bytes, true);
 * const [text, n] = r.readAll("su");
 * ```
 */
export class DBusReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #base: number;
  /** Current absolute offset into the bytes. */
  offset: number;
  /** True when the data is little-endian. */
  readonly littleEndian: boolean;

  /**
   * @param bytes The data.
   * @param littleEndian Byte order of the data.
   * @param offset Start offset; alignment is computed relative to `base`.
   * @param base Offset that counts as aligned to 8 (the message start).
   */
  /**
   * Creates a DBusReader.
   *
   * @param bytes the message bytes
   * @param littleEndian their byte order
   * @param offset where to start reading
   * @param base the offset that alignment is counted from
   */
  constructor(bytes: Uint8Array, littleEndian: boolean, offset = 0, base = 0) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.littleEndian = littleEndian;
    this.offset = offset;
    this.#base = base;
  }

  /** Skips padding up to a multiple of `n`. */
  align(n: number): void {
    const rel = this.offset - this.#base;
    this.offset += (n - (rel % n)) % n;
  }

  #need(n: number): void {
    if (this.offset + n > this.#bytes.length) throw new RangeError("Truncated D-Bus data");
  }

  #fixed<T>(size: number, get: (view: DataView, at: number) => T): T {
    this.align(size);
    this.#need(size);
    const value = get(this.#view, this.offset);
    this.offset += size;
    return value;
  }

  #text(length: number): string {
    this.#need(length + 1);
    const text = decoder.decode(this.#bytes.subarray(this.offset, this.offset + length));
    this.offset += length + 1;
    return text;
  }

  /** Reads the values of a whole signature. */
  readAll(signature: string): unknown[] {
    return splitSignature(signature).map((t) => this.read(t));
  }

  /** Reads one value of a single complete type. */
  read(type: string): unknown {
    const le = this.littleEndian;
    switch (type[0]) {
      case "y":
        return this.#fixed(1, (v, at) => v.getUint8(at));
      case "b": {
        const raw = this.#fixed(4, (v, at) => v.getUint32(at, le));
        if (raw > 1) throw new TypeError(`Invalid D-Bus boolean ${raw}`);
        return raw === 1;
      }
      case "n":
        return this.#fixed(2, (v, at) => v.getInt16(at, le));
      case "q":
        return this.#fixed(2, (v, at) => v.getUint16(at, le));
      case "i":
        return this.#fixed(4, (v, at) => v.getInt32(at, le));
      case "u":
      case "h":
        return this.#fixed(4, (v, at) => v.getUint32(at, le));
      case "x":
        return this.#fixed(8, (v, at) => v.getBigInt64(at, le));
      case "t":
        return this.#fixed(8, (v, at) => v.getBigUint64(at, le));
      case "d":
        return this.#fixed(8, (v, at) => v.getFloat64(at, le));
      case "s":
      case "o":
        return this.#text(this.#fixed(4, (v, at) => v.getUint32(at, le)));
      case "g":
        return this.#text(this.#fixed(1, (v, at) => v.getUint8(at)));
      case "v": {
        const signature = this.read("g") as string;
        if (splitSignature(signature).length !== 1) {
          throw new TypeError(`Variant signature "${signature}" is not one complete type`);
        }
        return { signature, value: this.read(signature) } satisfies Variant;
      }
      case "(":
      case "{":
        this.align(8);
        return splitSignature(type.slice(1, -1)).map((m) => this.read(m));
      case "a": {
        const length = this.#fixed(4, (v, at) => v.getUint32(at, le));
        const elem = type.slice(1);
        this.align(ALIGNMENT[elem[0]!]!);
        const end = this.offset + length;
        this.#need(length);
        const items: unknown[] = [];
        while (this.offset < end) items.push(this.read(elem));
        if (this.offset !== end) throw new TypeError("D-Bus array length mismatch");
        return items;
      }
      default:
        throw new TypeError(`Unsupported D-Bus type "${type}"`);
    }
  }
}
