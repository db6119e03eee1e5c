/**
 * The Secret Service (GNOME Keyring, KWallet, KeePassXC …) through libsecret, by FFI. Only
 * non-variadic functions are called: `secret_password_storev_sync`, `…lookupv_sync` and
 * `…clearv_sync`, with the attributes in a `GHashTable` built through glib and a
 * `SecretSchema` laid out in memory by hand (see `secret_schema.ts`). The calls run off the
 * JavaScript thread: a keyring may wait for the user to unlock it.
 *
 * @module
 */

import { openLibrary } from "../library.ts";
import { loadBackend } from "../runtime.ts";
import { encodeString } from "../strings.ts";
import type { FfiBackend, NativeLibrary, SymbolTable } from "../types.ts";
import { KeyringFailure, type SecretStore } from "./failure.ts";
import {
  GERROR_MESSAGE_OFFSET,
  GERROR_SIZE,
  SECRET_SCHEMA_ATTRIBUTE_STRING,
  SECRET_SCHEMA_NONE,
  SECRET_SCHEMA_SIZE,
  secretSchemaBytes,
} from "./secret_schema.ts";

/** The glib functions used (libglib-2.0.so.0). */
export const glibSymbols = {
  /** GHashTable *g_hash_table_new_full(GHashFunc, GEqualFunc, GDestroyNotify key, GDestroyNotify value) */
  g_hash_table_new_full: {
    parameters: ["pointer", "pointer", "pointer", "pointer"],
    result: "pointer",
  },
  /** gboolean g_hash_table_insert(GHashTable *table, gpointer key, gpointer value) */
  g_hash_table_insert: { parameters: ["pointer", "pointer", "pointer"], result: "i32" },
  /** void g_hash_table_unref(GHashTable *table) */
  g_hash_table_unref: { parameters: ["pointer"], result: "void" },
  /** gchar *g_strdup(const gchar *str) */
  g_strdup: { parameters: ["buffer"], result: "pointer" },
  /** gpointer g_malloc0(gsize n_bytes) */
  g_malloc0: { parameters: ["u64"], result: "pointer" },
  /** void g_error_free(GError *error) */
  g_error_free: { parameters: ["pointer"], result: "void" },
  /** void g_list_free(GList *list) */
  g_list_free: { parameters: ["pointer"], result: "void" },
} as const satisfies SymbolTable;

/** The libsecret functions used (libsecret-1.so.0). */
export const libsecretSymbols = {
  /**
   * gboolean secret_password_storev_sync(const SecretSchema *schema, GHashTable *attributes,
   *   const gchar *collection, const gchar *label, const gchar *password,
   *   GCancellable *cancellable, GError **error)
   */
  secret_password_storev_sync: {
    parameters: ["pointer", "pointer", "buffer", "buffer", "buffer", "pointer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  /**
   * gchar *secret_password_lookupv_sync(const SecretSchema *schema, GHashTable *attributes,
   *   GCancellable *cancellable, GError **error)
   */
  secret_password_lookupv_sync: {
    parameters: ["pointer", "pointer", "pointer", "buffer"],
    result: "pointer",
    nonblocking: true,
  },
  /**
   * gboolean secret_password_clearv_sync(const SecretSchema *schema, GHashTable *attributes,
   *   GCancellable *cancellable, GError **error)
   */
  secret_password_clearv_sync: {
    parameters: ["pointer", "pointer", "pointer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  /** void secret_password_free(gchar *password) (wipes, then frees) */
  secret_password_free: { parameters: ["pointer"], result: "void" },
  /** SecretService *secret_service_get_sync(SecretServiceFlags flags, GCancellable *, GError **) */
  secret_service_get_sync: {
    parameters: ["i32", "pointer", "buffer"],
    result: "pointer",
    nonblocking: true,
  },
  /**
   * GList *secret_service_search_sync(SecretService *service, const SecretSchema *schema,
   *   GHashTable *attributes, SecretSearchFlags flags, GCancellable *, GError **)
   */
  secret_service_search_sync: {
    parameters: ["pointer", "pointer", "pointer", "i32", "pointer", "buffer"],
    result: "pointer",
    nonblocking: true,
  },
  /**
   * gint secret_service_unlock_sync(SecretService *service, GList *objects, GCancellable *,
   *   GList **unlocked, GError **)
   */
  secret_service_unlock_sync: {
    parameters: ["pointer", "pointer", "pointer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  /** gboolean secret_item_get_locked(SecretItem *self) */
  secret_item_get_locked: { parameters: ["pointer"], result: "i32" },
} as const satisfies SymbolTable;

/** The GObject functions used (libgobject-2.0.so.0). */
export const gobjectSymbols = {
  /** void g_object_unref(gpointer object) */
  g_object_unref: { parameters: ["pointer"], result: "void" },
} as const satisfies SymbolTable;

/** `SECRET_SEARCH_ALL`: every matching item, locked ones included (no unlocking). */
const SECRET_SEARCH_ALL = 1 << 1;
/** `SECRET_SERVICE_NONE`. */
const SECRET_SERVICE_NONE = 0;

/** The C library functions used to find glib's hash functions and fill native memory. */
export const libcSymbols = {
  /** void *dlopen(const char *filename, int flags) */
  dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
  /** void *dlsym(void *handle, const char *symbol) */
  dlsym: { parameters: ["pointer", "buffer"], result: "pointer" },
  /** void *memcpy(void *dest, const void *src, size_t n) */
  memcpy: { parameters: ["pointer", "buffer", "u64"], result: "pointer" },
} as const satisfies SymbolTable;

const GLIB = "libglib-2.0.so.0";
const LIBSECRET = "libsecret-1.so.0";
const RTLD_NOW = 2;
const utf8 = (s: string) => encodeString(s, "utf8") as Uint8Array;

interface Loaded {
  backend: FfiBackend;
  glib: NativeLibrary<typeof glibSymbols>;
  secret: NativeLibrary<typeof libsecretSymbols>;
  gobject: NativeLibrary<typeof gobjectSymbols>;
  schema: bigint;
  strHash: bigint;
  strEqual: bigint;
  free: bigint;
}

let loading: Promise<Loaded> | undefined;

async function load(schemaName: string, attributeNames: readonly string[]): Promise<Loaded> {
  const backend = await loadBackend();
  let secret: NativeLibrary<typeof libsecretSymbols>;
  try {
    secret = await openLibrary(LIBSECRET, libsecretSymbols);
  } catch (err) {
    throw new KeyringFailure(
      "unavailable",
      `libsecret (${LIBSECRET}) cannot be loaded: ${(err as Error).message} `
        + "(Debian/Ubuntu: apt-get install libsecret-1-0; Fedora: dnf install libsecret)",
      { cause: err },
    );
  }
  const glib = await openLibrary(GLIB, glibSymbols);
  const gobject = await openLibrary("libgobject-2.0.so.0", gobjectSymbols);
  const libc = await openLibrary("libc.so.6", libcSymbols);
  const handle = libc.symbols.dlopen(utf8(GLIB), RTLD_NOW);
  const sym = (name: string) => {
    const address = libc.symbols.dlsym(handle, utf8(name));
    if (address === 0n) throw new KeyringFailure("unavailable", `${GLIB} lacks ${name}`);
    return address;
  };
  // The schema lives in native memory for the life of the process, like a static one.
  const schema = glib.symbols.g_malloc0(BigInt(SECRET_SCHEMA_SIZE));
  const bytes = secretSchemaBytes(
    glib.symbols.g_strdup(utf8(schemaName)),
    attributeNames.map((name) => ({
      namePointer: glib.symbols.g_strdup(utf8(name)),
      type: SECRET_SCHEMA_ATTRIBUTE_STRING,
    })),
    SECRET_SCHEMA_NONE,
  );
  libc.symbols.memcpy(schema, bytes, BigInt(bytes.length));
  return {
    backend,
    glib,
    secret,
    gobject,
    schema,
    strHash: sym("g_str_hash"),
    strEqual: sym("g_str_equal"),
    free: sym("g_free"),
  };
}

/**
 * The Secret Service as a {@link SecretStore}: secrets are stored with the attributes
 * `service` and `account` under the schema `schemaName`.
 *
 * @example
 * ```ts
 * import { SecretServiceStore } from "./secret_service.ts";
 * const store = new SecretServiceStore("entra-auth");
 * await store.store("default", "entra-auth token cache key", "c2VjcmV0");
 * console.log(await store.lookup("default"));
 * ```
 */
export class SecretServiceStore implements SecretStore {
  readonly description = "the Secret Service (libsecret)";
  readonly #service: string;
  readonly #schemaName: string;

  /**
   * @param service the value of the `service` attribute
   * @param schemaName the schema's name (stored as `xdg:schema`)
   */
  constructor(service: string, schemaName = "org.entra_auth.CacheKey") {
    this.#service = service;
    this.#schemaName = schemaName;
  }

  #load(): Promise<Loaded> {
    loading ??= load(this.#schemaName, ["service", "account"]);
    loading.catch(() => (loading = undefined));
    return loading;
  }

  async #withAttributes<T>(
    account: string,
    call: (lib: Loaded, attributes: bigint, error: BigUint64Array) => Promise<T>,
  ): Promise<T> {
    const lib = await this.#load();
    const g = lib.glib.symbols;
    const table = g.g_hash_table_new_full(lib.strHash, lib.strEqual, lib.free, lib.free);
    try {
      g.g_hash_table_insert(table, g.g_strdup(utf8("service")), g.g_strdup(utf8(this.#service)));
      g.g_hash_table_insert(table, g.g_strdup(utf8("account")), g.g_strdup(utf8(account)));
      const error = new BigUint64Array(1);
      const result = await call(lib, table, error);
      if (error[0] !== 0n) throw failureFrom(lib, error[0]);
      return result;
    } finally {
      g.g_hash_table_unref(table);
    }
  }

  lookup(account: string): Promise<string | undefined> {
    return this.#withAttributes(account, async (lib, attributes, error) => {
      const found = await lib.secret.symbols.secret_password_lookupv_sync(
        lib.schema,
        attributes,
        0n,
        error,
      );
      if (found === 0n) {
        await this.#unlockMatching(lib, attributes);
        // Unlocked (or nothing locked): look again.
        const again = await lib.secret.symbols.secret_password_lookupv_sync(
          lib.schema,
          attributes,
          0n,
          error,
        );
        if (again === 0n) return undefined;
        try {
          return lib.backend.readCString(again) ?? undefined;
        } finally {
          lib.secret.symbols.secret_password_free(again);
        }
      }
      try {
        return lib.backend.readCString(found) ?? undefined;
      } finally {
        lib.secret.symbols.secret_password_free(found);
      }
    });
  }

  /**
   * When items matching `attributes` exist but are locked (libsecret's lookup then returns
   * nothing, as for a missing secret), asks the Secret Service to unlock them (it may prompt
   * the user) and throws a `locked` failure if they stay locked.
   */
  async #unlockMatching(lib: Loaded, attributes: bigint): Promise<void> {
    const s = lib.secret.symbols;
    const error = new BigUint64Array(1);
    const service = await s.secret_service_get_sync(SECRET_SERVICE_NONE, 0n, error);
    if (error[0] !== 0n) throw failureFrom(lib, error[0]);
    try {
      const list = await s.secret_service_search_sync(
        service,
        lib.schema,
        attributes,
        SECRET_SEARCH_ALL,
        0n,
        error,
      );
      if (error[0] !== 0n) throw failureFrom(lib, error[0]);
      const items = readList(lib, list);
      try {
        if (!items.some((item) => s.secret_item_get_locked(item) !== 0)) return;
        const unlocked = new BigUint64Array(1);
        const count = await s.secret_service_unlock_sync(service, list, 0n, unlocked, error);
        if (unlocked[0] !== 0n) {
          for (const item of readList(lib, unlocked[0])) lib.gobject.symbols.g_object_unref(item);
          lib.glib.symbols.g_list_free(unlocked[0]);
        }
        const why = error[0] !== 0n ? failureFrom(lib, error[0]).message : undefined;
        if (count > 0 && !items.some((item) => s.secret_item_get_locked(item) !== 0)) return;
        throw new KeyringFailure(
          "locked",
          `the keyring holding the secret is locked${
            why ? ` and unlocking it failed: ${why}` : " and was not unlocked"
          }`,
        );
      } finally {
        for (const item of items) lib.gobject.symbols.g_object_unref(item);
        if (list !== 0n) lib.glib.symbols.g_list_free(list);
      }
    } finally {
      lib.gobject.symbols.g_object_unref(service);
    }
  }

  async store(account: string, label: string, secret: string): Promise<void> {
    const ok = await this.#withAttributes(
      account,
      (lib, attributes, error) =>
        lib.secret.symbols.secret_password_storev_sync(
          lib.schema,
          attributes,
          null, // the default collection
          utf8(label),
          utf8(secret),
          0n,
          error,
        ),
    );
    if (!ok) throw new KeyringFailure("failed", "the Secret Service did not store the secret");
  }

  clear(account: string): Promise<boolean> {
    return this.#withAttributes(
      account,
      async (lib, attributes, error) =>
        (await lib.secret.symbols.secret_password_clearv_sync(lib.schema, attributes, 0n, error))
          !== 0,
    );
  }
}

/** The `data` pointers of a `GList` (`{ gpointer data; GList *next; GList *prev; }`). */
function readList(lib: Loaded, list: bigint): bigint[] {
  const out: bigint[] = [];
  for (let node = list; node !== 0n && out.length < 10_000;) {
    const raw = lib.backend.readBytes(node, 16);
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    out.push(view.getBigUint64(0, true));
    node = view.getBigUint64(8, true);
  }
  return out;
}

const LOCKED = /locked/i;

const UNREACHABLE =
  /connect|ServiceUnknown|not provided by any|autolaunch|DBUS_SESSION_BUS_ADDRESS|No such file|refused|not activatable|Failed to execute program/i;

function failureFrom(lib: Loaded, gerror: bigint): KeyringFailure {
  const raw = lib.backend.readBytes(gerror, GERROR_SIZE);
  const messagePointer = new DataView(raw.buffer, raw.byteOffset).getBigUint64(
    GERROR_MESSAGE_OFFSET,
    true,
  );
  const message = lib.backend.readCString(messagePointer) ?? "unknown error";
  lib.glib.symbols.g_error_free(gerror);
  const kind = UNREACHABLE.test(message)
    ? "unavailable"
    : LOCKED.test(message)
    ? "locked"
    : "failed";
  return new KeyringFailure(kind, message);
}
