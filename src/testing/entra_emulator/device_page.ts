/**
 * The device code verification page (`{base}/{tenant}/oauth2/deviceauth`): enter the code,
 * sign in, approve or decline.
 *
 * @module
 */

import { userAllowedIn } from "./config.ts";
import type { RequestContext } from "./context.ts";
import { type EmulatorCore, findApp, findUser } from "./core.ts";
import { devicePage } from "./pages.ts";
import type { DeviceCodeRecord } from "./store.ts";
import type { EmulatorUser } from "./types.ts";

/**
 * Approves or declines a device code as its user would.
 *
 * @param record The device code.
 * @param decision `approve` with the user, or `decline`.
 * @param now Epoch milliseconds.
 * @param user The user approving (required for `approve`).
 * @returns An error message, or `undefined` on success.
 * @example
 * ```ts
 * import { decideDeviceCode } from "./device_page.ts";
 * declare const record: import("./store.ts").DeviceCodeRecord;
 * decideDeviceCode(record, "decline", Date.now());
 * ```
 */
export function decideDeviceCode(
  record: DeviceCodeRecord,
  decision: "approve" | "decline",
  now: number,
  user?: EmulatorUser,
): string | undefined {
  if (now > record.expiresAt) return "AADSTS70019: That code has expired. Request a new code.";
  if (record.status !== "pending") return "That code has already been used.";
  if (decision === "decline") {
    record.status = "declined";
    return undefined;
  }
  if (!user) return "AADSTS50034: The user account does not exist.";
  if (!userAllowedIn(record.tenant, user)) {
    return `AADSTS50020: User account '${user.username}' does not exist in tenant '${record.tenant.segment}'.`;
  }
  record.status = "approved";
  record.oid = user.oid;
  record.authTime = Math.floor(now / 1000);
  return undefined;
}

/**
 * Handles `GET`/`POST {base}/{tenant}/oauth2/deviceauth`.
 *
 * @param core The emulator.
 * @param ctx The request.
 * @returns The next page.
 * @example
 * ```ts
 * import { handleDevicePage } from "./device_page.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * const res = handleDevicePage(core, ctx);
 * ```
 */
export function handleDevicePage(core: EmulatorCore, ctx: RequestContext): Response {
  if (ctx.method !== "POST") return devicePage(ctx, "code", { otc: ctx.query["otc"] });
  const otc = ctx.form["otc"] ?? "";
  const record = core.store.byUserCode(otc);
  if (!record || ctx.now > record.expiresAt || record.status !== "pending") {
    return devicePage(ctx, "code", {
      otc,
      error: "AADSTS70018: We don't recognize this code, or it has expired. Enter it again.",
    });
  }
  const app = findApp(core, record.clientId);
  const appName = app?.name ?? record.clientId;
  if (ctx.form["step"] !== "signin") return devicePage(ctx, "signin", { otc, appName });
  if (ctx.form["action"] === "decline") {
    decideDeviceCode(record, "decline", ctx.now);
    return devicePage(ctx, "done", {
      message: `You have declined to sign in to ${appName} on your device.`,
    });
  }
  const user = findUser(core, ctx.form["username"] ?? "");
  if (!user || (user.password !== undefined && user.password !== (ctx.form["password"] ?? ""))) {
    return devicePage(ctx, "signin", {
      otc,
      appName,
      error: "AADSTS50126: Error validating credentials due to invalid username or password.",
    });
  }
  const error = decideDeviceCode(record, "approve", ctx.now, user);
  if (error) return devicePage(ctx, "signin", { otc, appName, error });
  return devicePage(ctx, "done", {
    message: `You have signed in to ${appName} on your device. You may now close this window.`,
  });
}
