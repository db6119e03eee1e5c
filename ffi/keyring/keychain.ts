/**
 * The macOS Keychain through Security.framework's generic-password C functions, by FFI.
 * Written against Apple's documented signatures; UNTESTED on a real Mac (none can run here).
 *
 * `SecKeychain*GenericPassword` are deprecated in favour of `SecItem*`, but they take plain
 * C strings instead of CoreFoundation dictionaries, so they need no CF object construction
 * through FFI; they still work on current macOS for the login keychain.
 *
 * @module
 */

import { pinLibrary } from "../pin.ts";
import { loadBackend } from "../runtime.ts";
import type { FfiBackend, NativeLibrary, SymbolTable } from "../types.ts";
import { KeyringFailure, type SecretStore } from "./failure.ts";

/** Security.framework functions used. */
export const securitySymbols = {
  /**
   * OSStatus SecKeychainFindGenericPassword(CFTypeRef keychainOrArray,
   *   UInt32 serviceNameLength, const char *serviceName, UInt32 accountNameLength,
   *   const char *accountName, UInt32 *passwordLength, void **passwordData,
   *   SecKeychainItemRef *itemRef)
   */
  SecKeychainFindGenericPassword: {
    parameters: ["pointer", "u32", "buffer", "u32", "buffer", "buffer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  /**
   * OSStatus SecKeychainAddGenericPassword(SecKeychainRef keychain, UInt32 serviceNameLength,
   *   const char *serviceName, UInt32 accountNameLength, const char *accountName,
   *   UInt32 passwordLength, const void *passwordData, SecKeychainItemRef *itemRef)
   */
  SecKeychainAddGenericPassword: {
    parameters: ["pointer", "u32", "buffer", "u32", "buffer", "u32", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  /**
   * OSStatus SecKeychainItemModifyAttributesAndData(SecKeychainItemRef itemRef,
   *   const SecKeychainAttributeList *attrList, UInt32 length, const void *data)
   */
  SecKeychainItemModifyAttributesAndData: {
    parameters: ["pointer", "pointer", "u32", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  /** OSStatus SecKeychainItemFreeContent(SecKeychainAttributeList *attrList, void *data) */
  SecKeychainItemFreeContent: { parameters: ["pointer", "pointer"], result: "i32" },
  /** OSStatus SecKeychainItemDelete(SecKeychainItemRef itemRef) */
  SecKeychainItemDelete: { parameters: ["pointer"], result: "i32" },
} as const satisfies SymbolTable;

/** CoreFoundation functions used. */
export const coreFoundationSymbols = {
  /** void CFRelease(CFTypeRef cf) */
  CFRelease: { parameters: ["pointer"], result: "void" },
} as const satisfies SymbolTable;

/** Security.framework's binary (inside the dyld shared cache on macOS 11+, not on disk). */
export const SECURITY_FRAMEWORK = "/System/Library/Frameworks/Security.framework/Security";
/** CoreFoundation's binary. */
export const CORE_FOUNDATION = "/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation";

/** OSStatus values the binding distinguishes. */
export const OSStatus = {
  success: 0,
  itemNotFound: -25300,
  duplicateItem: -25299,
  noSuchKeychain: -25294,
  notAvailable: -25291,
  interactionNotAllowed: -25308,
  authFailed: -25293,
  userCanceled: -128,
} as const;

/**
 * Whether an OSStatus means "no keychain can be used here" (rather than a refusal).
 *
 * @param status the OSStatus
 * @returns true for no keychain, no UI to unlock it
 * @example
 * ```ts
 * import { keychainUnavailable, OSStatus } from "./keychain.ts";
 * console.log(keychainUnavailable(OSStatus.notAvailable)); // true
 * ```
 */
export function keychainUnavailable(status: number): boolean {
  return status === OSStatus.noSuchKeychain || status === OSStatus.notAvailable
    || status === OSStatus.interactionNotAllowed;
}

interface Loaded {
  backend: FfiBackend;
  security: NativeLibrary<typeof securitySymbols>;
  cf: NativeLibrary<typeof coreFoundationSymbols>;
}
let loading: Promise<Loaded> | undefined;

async function load(): Promise<Loaded> {
  const backend = await loadBackend();
  // Not through openLibrary: system frameworks are not files on disk since macOS 11 (they
  // live in the dyld shared cache), and openLibrary checks that a path exists.
  try {
    const security = backend.open(SECURITY_FRAMEWORK, securitySymbols);
    const cf = backend.open(CORE_FOUNDATION, coreFoundationSymbols);
    pinLibrary(backend, SECURITY_FRAMEWORK);
    pinLibrary(backend, CORE_FOUNDATION);
    return { backend, security, cf };
  } catch (err) {
    throw new KeyringFailure(
      "unavailable",
      `Security.framework cannot be loaded: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

const bytes = (s: string) => new TextEncoder().encode(s);

function check(status: number, what: string): void {
  if (status === OSStatus.success) return;
  throw new KeyringFailure(
    keychainUnavailable(status) ? "unavailable" : "failed",
    `${what} failed with OSStatus ${status}`,
  );
}

/**
 * The login keychain as a {@link SecretStore}: generic passwords of service `service`.
 *
 * @example
 * ```ts
 * import { KeychainStore } from "./keychain.ts";
 * const store = new KeychainStore("entra-auth");
 * console.log(await store.lookup("default"));
 * ```
 */
export class KeychainStore implements SecretStore {
  readonly description = "the macOS Keychain";
  readonly #service: Uint8Array;

  /** @param service the generic password's service name */
  constructor(service: string) {
    this.#service = bytes(service);
  }

  #lib(): Promise<Loaded> {
    loading ??= load();
    loading.catch(() => (loading = undefined));
    return loading;
  }

  /** Finds the item; the caller releases `item[0]` and frees `data[0]`. */
  async #find(account: string, withData: boolean) {
    const lib = await this.#lib();
    const name = bytes(account);
    const length = new Uint32Array(1);
    const data = new BigUint64Array(1);
    const item = new BigUint64Array(1);
    const status = await lib.security.symbols.SecKeychainFindGenericPassword(
      0n,
      this.#service.length,
      this.#service,
      name.length,
      name,
      withData ? length : null,
      withData ? data : null,
      item,
    );
    return { lib, status, length: length[0], data: data[0], item: item[0] };
  }

  async lookup(account: string): Promise<string | undefined> {
    const found = await this.#find(account, true);
    if (found.status === OSStatus.itemNotFound) return undefined;
    check(found.status, "SecKeychainFindGenericPassword");
    const { lib } = found;
    try {
      return new TextDecoder().decode(lib.backend.readBytes(found.data, found.length));
    } finally {
      lib.security.symbols.SecKeychainItemFreeContent(0n, found.data);
      if (found.item !== 0n) lib.cf.symbols.CFRelease(found.item);
    }
  }

  async store(account: string, _label: string, secret: string): Promise<void> {
    const value = bytes(secret);
    const found = await this.#find(account, false);
    const { lib } = found;
    if (found.status === OSStatus.success) {
      try {
        check(
          await lib.security.symbols.SecKeychainItemModifyAttributesAndData(
            found.item,
            0n,
            value.length,
            value,
          ),
          "SecKeychainItemModifyAttributesAndData",
        );
      } finally {
        lib.cf.symbols.CFRelease(found.item);
      }
      return;
    }
    if (found.status !== OSStatus.itemNotFound) {
      check(found.status, "SecKeychainFindGenericPassword");
    }
    const name = bytes(account);
    check(
      await lib.security.symbols.SecKeychainAddGenericPassword(
        0n,
        this.#service.length,
        this.#service,
        name.length,
        name,
        value.length,
        value,
        null,
      ),
      "SecKeychainAddGenericPassword",
    );
  }

  async clear(account: string): Promise<boolean> {
    const found = await this.#find(account, false);
    if (found.status === OSStatus.itemNotFound) return false;
    check(found.status, "SecKeychainFindGenericPassword");
    try {
      check(found.lib.security.symbols.SecKeychainItemDelete(found.item), "SecKeychainItemDelete");
      return true;
    } finally {
      found.lib.cf.symbols.CFRelease(found.item);
    }
  }
}
