/**
 * Resolves the tenant segment of the request path, failing as Entra does for unknown tenants.
 *
 * @module
 */

import { AadError } from "./aad_error.ts";
import { resolveTenant, type TenantRef } from "./config.ts";
import type { RequestContext } from "./context.ts";
import type { EmulatorCore } from "./core.ts";

/**
 * The tenant addressed by the first path segment after the host.
 *
 * @param core The emulator.
 * @param ctx The request.
 * @returns The tenant reference.
 * @throws {AadError} `invalid_tenant` AADSTS90002 for an unknown tenant.
 * @example
 * ```ts
 * import { tenantOf } from "./tenant.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * console.log(tenantOf(core, ctx).kind);
 * ```
 */
export function tenantOf(core: EmulatorCore, ctx: RequestContext): TenantRef {
  const segment = ctx.segments[0] ?? "";
  const ref = resolveTenant(core.config, segment);
  if (!ref) {
    throw new AadError(
      "invalid_tenant",
      90002,
      `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    );
  }
  return ref;
}
