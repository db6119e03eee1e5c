/**
 * Finding and starting MSALRuntime: an explicit path, then `ENTRA_AUTH_MSALRUNTIME_PATH`, then
 * the `@azure/msal-node-runtime` npm package in the app's `node_modules` (the Linux build
 * chosen from /etc/os-release, the macOS dylib and the Windows DLL by architecture), then the
 * system's library locations. Errors name the exact install command for the runtime in use,
 * or the missing system library and the distro package that provides it.
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { arch, platform } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { setTimeout } from "node:timers";
import { NativeLibraryError } from "../../src/errors.ts";
import { openLibrary } from "../library.ts";
import { addPackageCommand, loadBackend } from "../runtime.ts";
import { MsalRuntime } from "./binding.ts";
import { msalRuntimeSymbols, offThread } from "./symbols.ts";

/** The npm package that ships MSALRuntime for every OS. */
export const MSALRUNTIME_PACKAGE = "@azure/msal-node-runtime";

/** The environment variable that names the library file. */
export const MSALRUNTIME_PATH_ENV = "ENTRA_AUTH_MSALRUNTIME_PATH";

/** Which Linux build of the package suits this distribution (`ubuntu`, `rhel8_9`, `rhel10`). */
export function linuxFlavor(osRelease?: string): "ubuntu" | "rhel8_9" | "rhel10" {
  let text = osRelease;
  if (text === undefined) {
    try {
      text = readFileSync("/etc/os-release", "utf8");
    } catch {
      text = "";
    }
  }
  const field = (k: string) =>
    new RegExp(`^${k}="?([^"\\n]*)"?`, "m").exec(text ?? "")?.[1]?.toLowerCase() ?? "";
  const ids = `${field("ID")} ${field("ID_LIKE")}`;
  if (/\b(rhel|fedora|centos|rocky|almalinux|ol|amzn)\b/.test(ids)) {
    const major = parseInt(field("VERSION_ID"), 10);
    return major >= 10 ? "rhel10" : "rhel8_9";
  }
  return "ubuntu";
}

/** The library's file inside the npm package, for this OS and architecture. */
export function packageLibraryPath(packageDir: string): string | undefined {
  const cpu = arch();
  switch (platform()) {
    case "linux":
      return cpu === "x64"
        ? join(packageDir, "dist", "linux", linuxFlavor(), "x64", "libmsalruntime.so")
        : undefined;
    case "darwin":
      return cpu === "arm64"
        ? join(packageDir, "dist", "macos", "arm64", "libmsalruntime_arm64.dylib")
        : join(packageDir, "dist", "macos", "x64", "libmsalruntime_x64.dylib");
    case "win32": {
      const dir = cpu === "ia32" ? "x86" : cpu;
      const file = cpu === "x64" ? "msalruntime.dll" : `msalruntime_${dir}.dll`;
      return join(packageDir, "dist", "windows", dir, file);
    }
    default:
      return undefined;
  }
}

function resolvePackageDir(): string | undefined {
  for (const base of [join(process.cwd(), "noop.js"), import.meta.url]) {
    try {
      return dirname(createRequire(base).resolve(`${MSALRUNTIME_PACKAGE}/package.json`));
    } catch {
      // next base
    }
  }
  return undefined;
}

const SYSTEM_LOCATIONS: Record<string, string[]> = {
  linux: [
    "/usr/lib/libmsalruntime.so",
    "/usr/lib64/libmsalruntime.so",
    "/usr/lib/x86_64-linux-gnu/libmsalruntime.so",
    "/usr/local/lib/libmsalruntime.so",
    "/opt/microsoft/msalruntime/libmsalruntime.so",
  ],
  darwin: ["/usr/local/lib/libmsalruntime.dylib", "/opt/homebrew/lib/libmsalruntime.dylib"],
  win32: [],
};

/** Where the library was found, and how. */
export interface LocatedLibrary {
  path: string;
  source: "option" | "environment" | "package" | "system";
}

/**
 * Finds the MSALRuntime library file.
 *
 * @param explicitPath a path given by the application
 * @returns the path and where it came from
 * @throws NativeLibraryError `native_library_missing` with the install command
 */
export function locateMsalRuntime(explicitPath?: string): LocatedLibrary {
  if (explicitPath) return { path: explicitPath, source: "option" };
  const fromEnv = process.env[MSALRUNTIME_PATH_ENV];
  if (fromEnv) return { path: fromEnv, source: "environment" };
  const dir = resolvePackageDir();
  const inPackage = dir ? packageLibraryPath(dir) : undefined;
  if (inPackage && existsSync(inPackage)) return { path: inPackage, source: "package" };
  for (const candidate of SYSTEM_LOCATIONS[platform()] ?? []) {
    if (existsSync(candidate)) return { path: candidate, source: "system" };
  }
  const why = dir
    ? `${MSALRUNTIME_PACKAGE} is installed but has no build for ${platform()}/${arch()}.`
    : `${MSALRUNTIME_PACKAGE} is not installed.`;
  throw new NativeLibraryError(
    "native_library_missing",
    `The broker library MSALRuntime was not found: ${why} Install it with: `
      + `${addPackageCommand(MSALRUNTIME_PACKAGE)} (or set ${MSALRUNTIME_PATH_ENV}).`,
    { library: inPackage ?? "libmsalruntime" },
  );
}

/** Debian/Ubuntu and RHEL packages for the libraries the Linux builds need. */
const LINUX_PACKAGES: Record<string, [debian: string, rhel: string]> = {
  "libwebkit2gtk-4.1.so.0": ["libwebkit2gtk-4.1-0", "webkit2gtk4.1"],
  "libwebkit2gtk-4.0.so.37": ["libwebkit2gtk-4.0-37", "webkit2gtk3"],
  "libjavascriptcoregtk-4.1.so.0": ["libjavascriptcoregtk-4.1-0", "webkit2gtk4.1"],
  "libjavascriptcoregtk-4.0.so.18": ["libjavascriptcoregtk-4.0-18", "webkit2gtk3-jsc"],
  "libgtk-3.so.0": ["libgtk-3-0", "gtk3"],
  "libgdk-3.so.0": ["libgtk-3-0", "gtk3"],
  "libsoup-3.0.so.0": ["libsoup-3.0-0", "libsoup3"],
  "libsoup-2.4.so.1": ["libsoup2.4-1", "libsoup"],
  "libsecret-1.so.0": ["libsecret-1-0", "libsecret"],
  "libX11.so.6": ["libx11-6", "libX11"],
  "libdbus-1.so.3": ["libdbus-1-3", "dbus-libs"],
  "libuuid.so.1": ["libuuid1", "libuuid"],
  "libcurl.so.4": ["libcurl4", "libcurl"],
  "libcrypto.so.3": ["libssl3", "openssl-libs"],
  "libp11-kit.so.0": ["libp11-kit0", "p11-kit"],
  "libfido2.so.1": ["libfido2-1", "libfido2"],
};

/** The install advice for a missing system library of MSALRuntime's Linux build. */
export function dependencyAdvice(soname: string): string {
  const pkgs = LINUX_PACKAGES[soname];
  if (!pkgs) return `Install the package that provides ${soname} (e.g. apt-file search ${soname}).`;
  const flavor = linuxFlavor();
  return flavor === "ubuntu"
    ? `Install it with: sudo apt-get install ${
      pkgs[0]
    } (all of MSALRuntime's: sudo apt-get install `
      + "libwebkit2gtk-4.1-0 libjavascriptcoregtk-4.1-0 libgtk-3-0 libsoup-3.0-0 libsecret-1-0)."
    : `Install it with: sudo dnf install ${pkgs[1]}.`;
}

/** The process's one MSALRuntime start (MSALRuntime refuses a second Startup). */
let started: Promise<MsalRuntime> | undefined;
/** Applications holding the shared start ({@link retainMsalRuntime}). */
let holders = 0;
/** The last Shutdown in progress: a new start waits for it. */
let stopping: Promise<unknown> = Promise.resolve();

/**
 * Loads and starts MSALRuntime once per process (later calls share the first result, a
 * failure included: the load is not retried). After {@link releaseMsalRuntime} shut it down,
 * the next call starts it again.
 *
 * @param explicitPath an explicit library path
 * @returns the started runtime
 * @throws NativeLibraryError when the library or one of its dependencies is missing
 * @example
 * ```ts ignore
 * const rt = await startMsalRuntime();
 * console.log(rt.brokerAvailable);
 * ```
 */
export function startMsalRuntime(explicitPath?: string): Promise<MsalRuntime> {
  started ??= stopping.then(() => load(explicitPath));
  return started;
}

/**
 * Takes a share of the process's MSALRuntime: every application object holds one while it is
 * open, so that several share one start and the last to close shuts it down.
 *
 * @param explicitPath an explicit library path (the first start's path wins)
 * @returns the started runtime (as {@link startMsalRuntime})
 * @example
 * ```ts ignore
 * const rt = await retainMsalRuntime();
 * // … use rt …
 * await releaseMsalRuntime();
 * ```
 */
export function retainMsalRuntime(explicitPath?: string): Promise<MsalRuntime> {
  holders++;
  return startMsalRuntime(explicitPath);
}

/**
 * How many shares of the process's MSALRuntime are held, and whether it is started (or
 * starting): for diagnostics and tests.
 *
 * @returns the shares and whether a start is in place
 * @example
 * ```ts ignore
 * console.log(msalRuntimeState()); // { shares: 0, started: false }
 * ```
 */
export function msalRuntimeState(): { shares: number; started: boolean; } {
  return { shares: holders, started: started !== undefined };
}

/**
 * Gives back a share taken by {@link retainMsalRuntime}. The last one shuts MSALRuntime down;
 * while a call is still outstanding (Shutdown would block on it) the shutdown waits for it, and
 * a call that never completes keeps the start for the next application to reuse.
 *
 * @returns whether MSALRuntime was shut down now
 * @example
 * ```ts ignore
 * await releaseMsalRuntime();
 * ```
 */
export async function releaseMsalRuntime(): Promise<boolean> {
  holders = Math.max(0, holders - 1);
  const current = started;
  if (holders > 0 || current === undefined) return false;
  const rt = await current.catch(() => undefined);
  // Someone took a share meanwhile, or the start failed (a failure is kept: not retried).
  if (holders > 0 || started !== current || rt === undefined) return false;
  const { pending, abandoned } = rt.outstanding;
  if (pending > 0 || abandoned > 0) {
    shutdownWhenIdle(current, rt);
    return false;
  }
  return await shutdown(current, rt);
}

async function shutdown(current: Promise<MsalRuntime>, rt: MsalRuntime): Promise<boolean> {
  started = undefined;
  let done = false;
  stopping = rt.shutdown().then((d) => (done = d), () => {});
  await stopping;
  // Shutdown refused (a call started in the meantime): keep using this start.
  if (!done && started === undefined) started = current;
  return done;
}

/** Shuts down once the outstanding calls have ended, if nobody took a share meanwhile. */
function shutdownWhenIdle(current: Promise<MsalRuntime>, rt: MsalRuntime): void {
  const check = () => {
    if (holders > 0 || started !== current) return;
    const { pending, abandoned } = rt.outstanding;
    if (pending > 0 || abandoned > 0) {
      // Unreferenced: a call that never completes must not keep the process alive.
      setTimeout(check, 25).unref();
      return;
    }
    void shutdown(current, rt);
  };
  setTimeout(check, 25).unref();
}

function load(explicitPath?: string): Promise<MsalRuntime> {
  return (async () => {
    const located = locateMsalRuntime(explicitPath);
    const windows = platform() === "win32";
    const backend = await loadBackend();
    const symbols = msalRuntimeSymbols(windows);
    const advice = {
      missingAdvice: `Install MSALRuntime with: ${addPackageCommand(MSALRUNTIME_PACKAGE)}.`,
      dependencyAdvice,
    };
    const inline = await openLibrary(located.path, symbols, advice);
    return await MsalRuntime.create(backend, {
      inline,
      offThread: () => openLibrary(located.path, offThread(symbols), advice),
    }, windows);
  })();
}
