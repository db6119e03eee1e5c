/**
 * The one place that asks which JavaScript runtime is running, and loads its FFI backend.
 *
 * Backends are loaded lazily by dynamic `import()`, so Deno and Bun never load koffi and Node
 * never touches `Deno` or `bun:ffi`. Nothing is loaded at import time.
 *
 * @module
 */

import type { FfiBackend, RuntimeName } from "./types.ts";

/**
 * Names the running JavaScript runtime.
 *
 * @returns `"deno"`, `"bun"` or `"node"`
 * @example
 * ```ts
 * import { currentRuntime } from "./runtime.ts";
 * console.log(currentRuntime());
 * ```
 */
export function currentRuntime(): RuntimeName {
  const g = globalThis as { Deno?: { version?: { deno?: string; }; }; Bun?: unknown; };
  if (typeof g.Deno?.version?.deno === "string") return "deno";
  if (g.Bun !== undefined) return "bun";
  return "node";
}

let backendPromise: Promise<FfiBackend> | undefined;

/**
 * Loads (once) the FFI backend of the running runtime.
 *
 * @returns the backend
 * @throws Error on Node when koffi is not installed (the message gives the command)
 * @example
 * ```ts
 * import { loadBackend } from "./runtime.ts";
 * const ffi = await loadBackend();
 * console.log(ffi.runtime);
 * ```
 */
export function loadBackend(): Promise<FfiBackend> {
  backendPromise ??= importBackend(currentRuntime());
  return backendPromise;
}

async function importBackend(runtime: RuntimeName): Promise<FfiBackend> {
  switch (runtime) {
    case "deno":
      return (await import("./backends/deno.ts")).backend;
    case "bun":
      return (await import("./backends/bun.ts")).backend;
    case "node":
      return (await import("./backends/node.ts")).backend;
  }
}

/**
 * The command that adds an npm package to the application, for the running runtime.
 *
 * @param pkg the npm package name
 * @returns e.g. `deno add npm:koffi`, `bun add koffi` or `npm install koffi`
 * @example
 * ```ts
 * import { addPackageCommand } from "./runtime.ts";
 * console.log(addPackageCommand("@azure/msal-node-runtime"));
 * ```
 */
export function addPackageCommand(pkg: string): string {
  switch (currentRuntime()) {
    case "deno":
      return `deno add npm:${pkg}`;
    case "bun":
      return `bun add ${pkg}`;
    case "node":
      return `npm install ${pkg}`;
  }
}
