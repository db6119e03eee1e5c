/**
 * The emulator's HTML pages: sign-in, account picker, consent, device code entry. Plain forms
 * with stable field names so tests can post them without a browser.
 *
 * @module
 */

import type { RequestContext } from "./context.ts";
import { escapeHtml, html } from "./respond.ts";
import type { PendingSignIn } from "./store.ts";
import type { EmulatorApp, EmulatorUser } from "./types.ts";

function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;
}

function errorLine(error: string | undefined): string {
  return error ? `<p id="error" role="alert">${escapeHtml(error)}</p>` : "";
}

/**
 * The sign-in form. Posts `ctx`, `username`, `password` to `{base}/{tenant}/login`.
 *
 * @param ctx The request.
 * @param pending The sign-in in progress.
 * @param username Prefilled username (from `login_hint`).
 * @param error Error text to show.
 * @returns The page.
 * @example
 * ```ts
 * import { loginPage } from "./pages.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * declare const pending: import("./store.ts").PendingSignIn;
 * loginPage(ctx, pending, "alice@contoso.onmicrosoft.com");
 * ```
 */
export function loginPage(
  ctx: RequestContext,
  pending: PendingSignIn,
  username = "",
  error?: string,
): Response {
  return html(
    ctx,
    "Sign in",
    `${errorLine(error)}<form id="login" method="POST" action="${
      escapeHtml(`${pending.base}/${pending.tenant.segment}/login`)
    }">${hidden("ctx", pending.id)}<label>Email <input name="username" type="email" value="${
      escapeHtml(username)
    }"></label><label>Password <input name="password" type="password"></label><button type="submit">Sign in</button></form>`,
  );
}

/**
 * The account picker. Posts `ctx` and `account` (an oid, or `other`) to `{base}/{tenant}/select_account`.
 *
 * @param ctx The request.
 * @param pending The sign-in in progress.
 * @param users Accounts of the browser session.
 * @param setCookie `Set-Cookie` values.
 * @returns The page.
 * @example
 * ```ts
 * import { selectAccountPage } from "./pages.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * declare const pending: import("./store.ts").PendingSignIn;
 * selectAccountPage(ctx, pending, []);
 * ```
 */
export function selectAccountPage(
  ctx: RequestContext,
  pending: PendingSignIn,
  users: EmulatorUser[],
  setCookie: string[] = [],
): Response {
  const action = escapeHtml(`${pending.base}/${pending.tenant.segment}/select_account`);
  const buttons = users.map((u) =>
    `<button type="submit" name="account" value="${escapeHtml(u.oid)}">${escapeHtml(u.name)} (${
      escapeHtml(u.username)
    })</button>`
  ).join("");
  return html(
    ctx,
    "Pick an account",
    `<form id="select_account" method="POST" action="${action}">${
      hidden("ctx", pending.id)
    }${buttons}<button type="submit" name="account" value="other">Use another account</button></form>`,
    200,
    setCookie,
  );
}

/**
 * The consent prompt. Posts `ctx` and `action` (`accept` or `cancel`) to `{base}/{tenant}/consent`.
 *
 * @param ctx The request.
 * @param pending The sign-in in progress.
 * @param app The app asking.
 * @param setCookie `Set-Cookie` values.
 * @returns The page.
 * @example
 * ```ts
 * import { consentPage } from "./pages.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * declare const pending: import("./store.ts").PendingSignIn;
 * consentPage(ctx, pending, { clientId: "c", redirectUris: [] });
 * ```
 */
export function consentPage(
  ctx: RequestContext,
  pending: PendingSignIn,
  app: EmulatorApp,
  setCookie: string[] = [],
): Response {
  return html(
    ctx,
    "Permissions requested",
    `<p>${escapeHtml(app.name ?? app.clientId)} wants to: ${
      escapeHtml(pending.params.scope)
    }</p><form id="consent" method="POST" action="${
      escapeHtml(`${pending.base}/${pending.tenant.segment}/consent`)
    }">${
      hidden("ctx", pending.id)
    }<button type="submit" name="action" value="accept">Accept</button><button type="submit" name="action" value="cancel">Cancel</button></form>`,
    200,
    setCookie,
  );
}

/**
 * The device code pages: step `code` asks for the code (`otc`); step `signin` asks for
 * `username`, `password` and `action` (`approve` or `decline`); `done` shows the outcome.
 * All post to the same URL with a `step` field.
 *
 * @param ctx The request.
 * @param step Which step.
 * @param options The code, the app name, an error or the outcome message.
 * @returns The page.
 * @example
 * ```ts
 * import { devicePage } from "./pages.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * devicePage(ctx, "code", {});
 * ```
 */
export function devicePage(
  ctx: RequestContext,
  step: "code" | "signin" | "done",
  options: { otc?: string; appName?: string; error?: string; message?: string; },
): Response {
  const action = escapeHtml(ctx.url.pathname);
  if (step === "done") {
    return html(ctx, "Device sign-in", `<p id="result">${escapeHtml(options.message ?? "")}</p>`);
  }
  if (step === "code") {
    return html(
      ctx,
      "Enter code",
      `${errorLine(options.error)}<form id="device" method="POST" action="${action}">${
        hidden("step", "code")
      }<label>Code <input name="otc" value="${
        escapeHtml(options.otc ?? "")
      }"></label><button type="submit">Next</button></form>`,
      options.error ? 400 : 200,
    );
  }
  return html(
    ctx,
    `Sign in to ${options.appName ?? "the application"}`,
    `${errorLine(options.error)}<form id="device" method="POST" action="${action}">${
      hidden("step", "signin")
    }${
      hidden("otc", options.otc ?? "")
    }<label>Email <input name="username" type="email"></label><label>Password <input name="password" type="password"></label><button type="submit" name="action" value="approve">Continue</button><button type="submit" name="action" value="decline">Cancel</button></form>`,
    options.error ? 400 : 200,
  );
}
