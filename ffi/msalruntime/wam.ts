/**
 * Whether Windows has the Web Account Manager (WAM) that MSALRuntime signs in through: its
 * Windows Runtime class `Windows.Security.Authentication.Web.Core.WebAuthenticationCoreManager`
 * is registered (HKLM\SOFTWARE\Microsoft\WindowsRuntime\ActivatableClassId\<class>), which is
 * where activation (`RoGetActivationFactory`) looks it up. Without it MSALRuntime fails with
 * `REGDB_E_CLASSNOTREG`, or, in an interactive call that fails earlier (Wine), with a bare
 * "Caught exception": this check tells the two apart. Reading a registry key, no side effect.
 *
 * @module
 */

import { platform } from "node:os";
import { openLibrary } from "../library.ts";
import { encodeString } from "../strings.ts";

const WAM_CLASS = "Windows.Security.Authentication.Web.Core.WebAuthenticationCoreManager";
const ACTIVATABLE_CLASSES = "SOFTWARE\\Microsoft\\WindowsRuntime\\ActivatableClassId\\";

/** HKEY_LOCAL_MACHINE: `(HKEY)(ULONG_PTR)(LONG)0x80000002`, sign-extended on 64-bit Windows. */
const HKEY_LOCAL_MACHINE = 0xFFFF_FFFF_8000_0002n;
const KEY_READ = 0x20019;
const ERROR_SUCCESS = 0;
const ERROR_FILE_NOT_FOUND = 2;

const advapi32Symbols = {
  /** LSTATUS RegOpenKeyExW(HKEY key, LPCWSTR subKey, DWORD options, REGSAM sam, PHKEY result) */
  RegOpenKeyExW: { parameters: ["pointer", "buffer", "u32", "u32", "buffer"], result: "i32" },
  /** LSTATUS RegCloseKey(HKEY key) */
  RegCloseKey: { parameters: ["pointer"], result: "i32" },
} as const;

let cached: Promise<boolean | undefined> | undefined;

/**
 * Whether WAM's class is registered on this Windows machine (checked once per process).
 *
 * @returns `true` registered, `false` not registered (no WAM), `undefined` when it cannot be
 *   told (not Windows, or the registry refused for another reason)
 * @example
 * ```ts ignore
 * import { wamRegistered } from "./wam.ts";
 * if (await wamRegistered() === false) console.log("no WAM: sign in through the browser");
 * ```
 */
export function wamRegistered(): Promise<boolean | undefined> {
  cached ??= platform() === "win32" ? readRegistration() : Promise.resolve(undefined);
  return cached;
}

async function readRegistration(): Promise<boolean | undefined> {
  try {
    const advapi32 = await openLibrary("advapi32.dll", advapi32Symbols);
    const key = new BigUint64Array(1);
    const status = advapi32.symbols.RegOpenKeyExW(
      HKEY_LOCAL_MACHINE,
      encodeString(ACTIVATABLE_CLASSES + WAM_CLASS, "utf16"),
      0,
      KEY_READ,
      key,
    );
    if (status === ERROR_SUCCESS) {
      advapi32.symbols.RegCloseKey(key[0]);
      return true;
    }
    return status === ERROR_FILE_NOT_FOUND ? false : undefined;
  } catch {
    return undefined;
  }
}
