/**
 * `GET`/`POST /{tenant}/oauth2/v2.0/logout`: ends the browser session (or one account of it
 * with `logout_hint`) and returns to `post_logout_redirect_uri` when it is registered.
 *
 * @module
 */

import { param, type RequestContext } from "./context.ts";
import type { EmulatorCore } from "./core.ts";
import { findApp, findUser } from "./core.ts";
import { redirectUriRegistered } from "./redirect_uri.ts";
import { html, redirect } from "./respond.ts";
import { SESSION_COOKIE } from "./sign_in.ts";

/**
 * Handles the logout endpoint.
 *
 * @param core The emulator.
 * @param ctx The request.
 * @returns A redirect to the post-logout URI (with `state`), or a "signed out" page.
 * @example
 * ```ts
 * import { handleLogout } from "./logout.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * const res = handleLogout(core, ctx);
 * ```
 */
export function handleLogout(core: EmulatorCore, ctx: RequestContext): Response {
  const sessionId = ctx.cookies[SESSION_COOKIE];
  const session = sessionId !== undefined ? core.store.sessions.get(sessionId) : undefined;
  const hint = param(ctx, "logout_hint");
  const hinted = hint !== undefined ? findUser(core, hint) : undefined;
  const cookies: string[] = [];
  if (session && hinted && session.accounts.size > 1) {
    session.accounts.delete(hinted.oid);
  } else if (session) {
    core.store.sessions.delete(session.id);
    cookies.push(`${SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax`);
  }
  const target = param(ctx, "post_logout_redirect_uri");
  const clientId = param(ctx, "client_id");
  const apps = clientId !== undefined
    ? [findApp(core, clientId)].filter((a) => a !== undefined)
    : core.config.apps;
  if (target !== undefined && apps.some((a) => redirectUriRegistered(a, target))) {
    const url = new URL(target);
    const state = param(ctx, "state");
    if (state !== undefined) url.searchParams.set("state", state);
    return redirect(ctx, url.toString(), cookies);
  }
  return html(
    ctx,
    "You signed out of your account",
    "<p>It's a good idea to close all browser windows.</p>",
    200,
    cookies,
  );
}
