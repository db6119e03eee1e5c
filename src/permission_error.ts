/**
 * A permission the runtime refused: on Deno, a flag the app was not started with
 * (`--allow-net`, `--allow-run`, `--allow-env`, `--allow-read`, `--allow-write`, …). It is a
 * {@link PermissionDeniedError} naming the flag, never a `network_error` or a "could not be
 * started: install it" that sends the user the wrong way.
 *
 * @module
 */

import { EntraAuthError } from "./errors.ts";

/**
 * The runtime refused a permission the operation needs.
 *
 * @example
 * ```ts
 * import { PermissionDeniedError } from "@entra-auth/core";
 * const err = new PermissionDeniedError("--allow-net", "Requesting a token needs --allow-net.");
 * console.log(err.code, err.flag); // "permission_denied" "--allow-net"
 * ```
 */
export class PermissionDeniedError extends EntraAuthError {
  /** The flag to grant, e.g. `--allow-net` (Deno). */
  readonly flag: string;

  /**
   * Creates the error for a missing Deno permission.
   *
   * @param flag the flag to grant
   * @param message what needed it and how to grant it
   * @param options the runtime's own error
   */
  constructor(flag: string, message: string, options?: { cause?: unknown; }) {
    super("permission_denied", message, options);
    this.flag = flag;
  }
}

const DENO_NAMES = new Set(["NotCapable", "PermissionDenied"]);

/**
 * Recognises a runtime's permission refusal (Deno's `NotCapable`, formerly
 * `PermissionDenied`; Node's permission model `ERR_ACCESS_DENIED`) and turns it into a
 * {@link PermissionDeniedError} naming the flag.
 *
 * @param cause the error the runtime threw
 * @param what the operation, e.g. `requesting a token from login.microsoftonline.com`
 * @returns the typed error, or `undefined` when `cause` is no permission refusal
 * @example
 * ```ts
 * import { permissionError } from "./permission_error.ts";
 * const denied = Object.assign(
 *   new Error('Requires net access to "127.0.0.1:80", run again with the --allow-net flag'),
 *   { name: "NotCapable" },
 * );
 * permissionError(denied, "the token request")?.flag; // "--allow-net"
 * ```
 */
export function permissionError(cause: unknown, what: string): PermissionDeniedError | undefined {
  const seen = new Set<unknown>();
  for (let e = cause; e instanceof Error && !seen.has(e); e = e.cause) {
    seen.add(e);
    if (e instanceof PermissionDeniedError) return e;
    if (DENO_NAMES.has(e.name)) {
      const flag = /--allow-[a-z-]+/.exec(e.message)?.[0]
        ?? `--allow-${/Requires (\w+) access/.exec(e.message)?.[1] ?? "all"}`;
      return new PermissionDeniedError(
        flag,
        `${capitalise(what)} needs Deno's ${flag} permission, which this process does not `
          + `have: run it with ${flag} (or ${flag}=<what it names>, or -A). Deno said: ${e.message}`,
        { cause },
      );
    }
    if ((e as { code?: unknown; }).code === "ERR_ACCESS_DENIED") {
      const permission = String((e as { permission?: unknown; }).permission ?? "");
      const flag = NODE_FLAGS[permission] ?? "--allow-*";
      return new PermissionDeniedError(
        flag,
        `${capitalise(what)} was refused by Node's permission model (${permission}): run with `
          + `${flag}. Node said: ${e.message}`,
        { cause },
      );
    }
  }
  return undefined;
}

const NODE_FLAGS: Record<string, string> = {
  FileSystemRead: "--allow-fs-read",
  FileSystemWrite: "--allow-fs-write",
  ChildProcess: "--allow-child-process",
  WorkerThreads: "--allow-worker",
  Addon: "--allow-addons",
  WASI: "--allow-wasi",
};

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The slice of Deno's permission API this module uses (no dependency on Deno's types). */
interface DenoPermissions {
  requestSync?(descriptor: { name: string; host?: string; }): { state: string; };
}

/**
 * On Deno, makes sure a permission is granted before an operation whose refusal Deno would
 * raise outside any handler. Listening with `node:http` without `--allow-net` throws
 * `NotCapable` from a later tick, an uncaught exception that ends the process: asked first,
 * it is a {@link PermissionDeniedError} instead. In an interactive terminal Deno asks the
 * user, as it would for the operation itself. Elsewhere (Bun, Node) this does nothing. This
 * is the one place outside `ffi/` that knows about Deno.
 *
 * @param descriptor Deno's permission descriptor, e.g. `{ name: "net", host: "127.0.0.1" }`
 * @param what the operation, for the message
 * @throws PermissionDeniedError when Deno refuses
 * @example
 * ```ts
 * import { requireDenoPermission } from "./permission_error.ts";
 * requireDenoPermission({ name: "net", host: "127.0.0.1" }, "listening for the redirect");
 * ```
 */
export function requireDenoPermission(
  descriptor: { name: string; host?: string; },
  what: string,
): void {
  const deno = (globalThis as { Deno?: { permissions?: DenoPermissions; }; }).Deno;
  const request = deno?.permissions?.requestSync;
  if (typeof request !== "function") return;
  let state: string;
  try {
    state = request.call(deno!.permissions, descriptor).state;
  } catch {
    return; // cannot ask: let the operation report it
  }
  if (state === "granted") return;
  const flag = `--allow-${descriptor.name}`;
  throw new PermissionDeniedError(
    flag,
    `${capitalise(what)} needs Deno's ${flag} permission${
      descriptor.host ? ` for ${descriptor.host}` : ""
    }, which this process does not have: run it with ${flag}${
      descriptor.host ? ` (or ${flag}=${descriptor.host})` : ""
    }, or -A.`,
  );
}

/**
 * A cache plug-in whose hooks report a runtime's permission refusal (e.g. Deno without
 * `--allow-read` / `--allow-write` on the cache's folder) as a {@link PermissionDeniedError}
 * naming the flag; the plug-in's own error stays its `cause`.
 *
 * @param plugin the plug-in (e.g. the persistent cache)
 * @param what names it in the message
 * @returns the guarded plug-in
 * @example
 * ```ts
 * import { guardPermissions } from "./permission_error.ts";
 * const plugin = guardPermissions({
 *   beforeCacheAccess() {},
 *   afterCacheAccess() {},
 * }, "the persistent token cache");
 * ```
 */
export function guardPermissions<
  P extends {
    beforeCacheAccess(ctx: C): void | Promise<void>;
    afterCacheAccess(ctx: C): void | Promise<void>;
  },
  C,
>(plugin: P, what: string): P {
  const guard = (hook: (ctx: C) => void | Promise<void>) => async (ctx: C) => {
    try {
      await hook.call(plugin, ctx);
    } catch (err) {
      throw permissionError(err, what) ?? err;
    }
  };
  return Object.assign(Object.create(plugin), {
    beforeCacheAccess: guard(plugin.beforeCacheAccess),
    afterCacheAccess: guard(plugin.afterCacheAccess),
  });
}
