/**
 * The memory layout of libsecret's `SecretSchema` (a struct passed by pointer), built by
 * hand because libsecret's schema constructors are variadic:
 *
 * ```c
 * typedef struct {
 *   const gchar *name;                        // offset 0
 *   SecretSchemaFlags flags;                  // offset 8 (enum: int), 4 bytes padding
 *   SecretSchemaAttribute attributes[32];     // offset 16, 16 bytes each:
 *                                             //   { const gchar *name; SecretSchemaAttributeType type; }
 *   gint reserved;                            // offset 528, 4 bytes padding
 *   gpointer reserved1 … reserved7;           // offset 536 … 584
 * } SecretSchema;                             // 592 bytes (LP64: Linux x86-64 and arm64)
 * ```
 *
 * The attribute list ends at the first entry whose name is `NULL`. `reserved` stays 0: the
 * schema is "static" and libsecret neither references nor frees it.
 *
 * @module
 */

/** `sizeof(SecretSchema)` on LP64 platforms. */
export const SECRET_SCHEMA_SIZE = 592;
/** Offset of `attributes[0]`. */
export const SECRET_SCHEMA_ATTRIBUTES_OFFSET = 16;
/** `sizeof(SecretSchemaAttribute)`. */
export const SECRET_SCHEMA_ATTRIBUTE_SIZE = 16;
/** The capacity of the attribute array. */
export const SECRET_SCHEMA_MAX_ATTRIBUTES = 32;
/** `SECRET_SCHEMA_NONE`: the schema name is stored and matched as `xdg:schema`. */
export const SECRET_SCHEMA_NONE = 0;
/** `SECRET_SCHEMA_ATTRIBUTE_STRING`. */
export const SECRET_SCHEMA_ATTRIBUTE_STRING = 0;

/** One attribute of a schema: the address of its NUL-terminated name and its type. */
export interface SchemaAttribute {
  namePointer: bigint;
  type: number;
}

/**
 * Lays out a `SecretSchema` in little-endian memory.
 *
 * @param namePointer address of the schema's NUL-terminated name
 * @param attributes up to 31 attributes (one slot stays for the `NULL` terminator)
 * @param flags `SecretSchemaFlags`
 * @returns the struct's bytes, to copy into native memory
 * @throws RangeError with too many attributes
 * @example
 * ```ts
 * import { secretSchemaBytes, SECRET_SCHEMA_SIZE } from "./secret_schema.ts";
 * const bytes = secretSchemaBytes(0x1000n, [{ namePointer: 0x2000n, type: 0 }]);
 * console.log(bytes.length === SECRET_SCHEMA_SIZE);
 * ```
 */
export function secretSchemaBytes(
  namePointer: bigint,
  attributes: readonly SchemaAttribute[],
  flags: number = SECRET_SCHEMA_NONE,
): Uint8Array {
  if (attributes.length >= SECRET_SCHEMA_MAX_ATTRIBUTES) {
    throw new RangeError(
      `a SecretSchema holds at most ${SECRET_SCHEMA_MAX_ATTRIBUTES - 1} attributes`,
    );
  }
  const bytes = new Uint8Array(SECRET_SCHEMA_SIZE);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, namePointer, true);
  view.setInt32(8, flags, true);
  attributes.forEach((attribute, i) => {
    const at = SECRET_SCHEMA_ATTRIBUTES_OFFSET + i * SECRET_SCHEMA_ATTRIBUTE_SIZE;
    view.setBigUint64(at, attribute.namePointer, true);
    view.setInt32(at + 8, attribute.type, true);
  });
  return bytes;
}

/** Offset of `GError.message` (`{ GQuark domain; gint code; gchar *message; }`). */
export const GERROR_MESSAGE_OFFSET = 8;
/** Bytes of `GError` to read. */
export const GERROR_SIZE = 16;
