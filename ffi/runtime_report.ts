/**
 * What the running runtime is and, on Deno, which of the permissions entra-auth uses are
 * missing (for `entra-auth doctor`). Part of `ffi/`: the one place that knows the runtime.
 *
 * @module
 */

import process from "node:process";
import { currentRuntime } from "./runtime.ts";

/** The runtime's name, version and the Deno permissions not granted. */
export interface RuntimeReport {
  name: "deno" | "bun" | "node";
  version: string;
  /** Deno permission names (`ffi`, `net`, …) not granted; empty elsewhere. */
  missingPermissions: string[];
}

/** The permissions the broker, the network flows and the cache need on Deno. */
const DENO_PERMISSIONS = ["ffi", "env", "read", "write", "net", "run", "sys"] as const;

/**
 * Describes the running runtime.
 *
 * @returns name, version and missing Deno permissions
 * @example
 * ```ts
 * import { runtimeReport } from "./runtime_report.ts";
 * console.log(runtimeReport().name);
 * ```
 */
export function runtimeReport(): RuntimeReport {
  const name = currentRuntime();
  const g = globalThis as {
    Deno?: {
      version: { deno: string; };
      permissions: { querySync(d: { name: string; }): { state: string; }; };
    };
    Bun?: { version: string; };
  };
  if (name === "deno" && g.Deno) {
    const missing = DENO_PERMISSIONS.filter((p) => {
      try {
        return g.Deno!.permissions.querySync({ name: p }).state !== "granted";
      } catch {
        return false;
      }
    });
    return { name, version: g.Deno.version.deno, missingPermissions: [...missing] };
  }
  if (name === "bun" && g.Bun) return { name, version: g.Bun.version, missingPermissions: [] };
  return { name, version: process.versions.node, missingPermissions: [] };
}
