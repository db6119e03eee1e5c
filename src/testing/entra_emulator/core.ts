/**
 * What the endpoint handlers share: configuration, state and the signing key.
 *
 * @module
 */

import type { ResolvedConfig } from "./config.ts";
import type { SigningKey } from "./jwt.ts";
import type { EmulatorStore } from "./store.ts";
import type { EmulatorApp, EmulatorUser } from "./types.ts";

/** The emulator internals handed to each handler. */
export interface EmulatorCore {
  config: ResolvedConfig;
  store: EmulatorStore;
  /** The signing key (generated on first use). */
  signingKey(): Promise<SigningKey>;
}

/**
 * Finds a registered app by client id.
 *
 * @param core The emulator.
 * @param clientId Client id.
 * @returns The app, if registered.
 * @example
 * ```ts
 * import { findApp } from "./core.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * findApp(core, "11111111-0000-4000-8000-00000000a001");
 * ```
 */
export function findApp(core: EmulatorCore, clientId: string): EmulatorApp | undefined {
  return core.config.apps.find((a) => a.clientId.toLowerCase() === clientId.toLowerCase());
}

/**
 * Finds a user by username (case-insensitive) or oid.
 *
 * @param core The emulator.
 * @param name Username or oid.
 * @returns The user, if configured.
 * @example
 * ```ts
 * import { findUser } from "./core.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * findUser(core, "alice@contoso.onmicrosoft.com");
 * ```
 */
export function findUser(core: EmulatorCore, name: string): EmulatorUser | undefined {
  const n = name.trim().toLowerCase();
  return core.config.users.find((u) => u.username.toLowerCase() === n || u.oid.toLowerCase() === n);
}
