/**
 * The interactive part of authorize: choosing the account from the browser session, the
 * sign-in, account picker and consent forms, and the redirect back with a code or an error.
 *
 * @module
 */

import { AadError, errorBody } from "./aad_error.ts";
import { userAllowedIn } from "./config.ts";
import type { RequestContext } from "./context.ts";
import { type EmulatorCore, findApp, findUser } from "./core.ts";
import { randomToken, sha256Base64url } from "./encoding.ts";
import { clientInfo } from "./issue.ts";
import { consentPage, loginPage, selectAccountPage } from "./pages.ts";
import { errorPage, sendToRedirectUri } from "./respond.ts";
import type { PendingSignIn } from "./store.ts";
import type { EmulatorUser } from "./types.ts";

/**
 * Name of the browser session cookie (as Entra's).
 *
 * @example
 * ```ts
 * import { SESSION_COOKIE } from "./sign_in.ts";
 * console.log(SESSION_COOKIE); // ESTSAUTH
 * ```
 */
export const SESSION_COOKIE: string = "ESTSAUTH";

/**
 * Redirects an error back to the app: `error`, `error_description`, `error_uri`, `state`.
 *
 * @param ctx The request.
 * @param pending The sign-in (its validated redirect URI and mode).
 * @param err The error.
 * @param setCookie `Set-Cookie` values.
 * @returns The redirect.
 * @example
 * ```ts
 * import { AadError } from "./aad_error.ts";
 * import { failToClient } from "./sign_in.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * declare const pending: import("./store.ts").PendingSignIn;
 * failToClient(ctx, pending, new AadError("login_required", 50058, "No user."));
 * ```
 */
export function failToClient(
  ctx: RequestContext,
  pending: PendingSignIn,
  err: AadError,
  setCookie: string[] = [],
): Response {
  const body = errorBody(err, ctx.correlationId, ctx.now, ctx.traceId);
  const params: Record<string, string> = {
    error: body.error,
    error_description: body.error_description,
    error_uri: body.error_uri,
  };
  if (err.suberror !== undefined) params.error_subcode = err.suberror;
  if (err.claims !== undefined) params.claims = err.claims;
  if (pending.params.state !== undefined) params.state = pending.params.state;
  return sendToRedirectUri(
    ctx,
    pending.params.redirectUri,
    pending.params.responseMode,
    params,
    setCookie,
  );
}

function signIn(
  core: EmulatorCore,
  ctx: RequestContext,
  pending: PendingSignIn,
  user: EmulatorUser,
  setCookie: string[],
): void {
  let session = pending.sessionId ? core.store.sessions.get(pending.sessionId) : undefined;
  if (!session) {
    session = { id: randomToken(24), accounts: new Map() };
    core.store.sessions.set(session.id, session);
    pending.sessionId = session.id;
    setCookie.push(`${SESSION_COOKIE}=${session.id}; Path=/; HttpOnly; SameSite=Lax`);
  }
  const authTime = Math.floor(ctx.now / 1000);
  session.accounts.set(user.oid, authTime);
  pending.oid = user.oid;
  pending.authTime = authTime;
  pending.forceLogin = false;
}

async function issueCode(
  core: EmulatorCore,
  ctx: RequestContext,
  pending: PendingSignIn,
  user: EmulatorUser,
  setCookie: string[],
): Promise<Response> {
  const p = pending.params;
  const code = `1.A${randomToken(48)}`;
  core.store.codes.set(code, {
    clientId: p.clientId,
    redirectUri: p.redirectUri,
    codeChallenge: p.codeChallenge,
    scope: p.scope,
    nonce: p.nonce,
    claims: p.claims,
    oid: user.oid,
    authTime: pending.authTime ?? Math.floor(ctx.now / 1000),
    cloud: pending.cloud.preferredNetwork,
    expiresAt: ctx.now + core.config.lifetimes.authorizationCode * 1000,
    redeemed: false,
  });
  core.store.pending.delete(pending.id);
  const params: Record<string, string> = { code };
  if (p.state !== undefined) params.state = p.state;
  if (p.clientInfo) params.client_info = clientInfo(user);
  params.session_state = await sha256Base64url(`${pending.sessionId ?? ""}|${p.clientId}`);
  return sendToRedirectUri(ctx, p.redirectUri, p.responseMode, params, setCookie);
}

/**
 * Advances a sign-in: picks the account from the session (honouring `prompt`, `login_hint`
 * and `max_age`), signs in automatically when `login_hint` names a known user, or shows the
 * next page; ends with the redirect back to the app.
 *
 * @param core The emulator.
 * @param ctx The current request.
 * @param pending The sign-in.
 * @param setCookie `Set-Cookie` values collected so far.
 * @returns The next page or the redirect.
 * @example
 * ```ts
 * import { continueSignIn } from "./sign_in.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * declare const pending: import("./store.ts").PendingSignIn;
 * const res = await continueSignIn(core, ctx, pending, []);
 * ```
 */
export async function continueSignIn(
  core: EmulatorCore,
  ctx: RequestContext,
  pending: PendingSignIn,
  setCookie: string[],
): Promise<Response> {
  const p = pending.params;
  const app = findApp(core, p.clientId);
  if (!app) return errorPage(ctx, new AadError("unauthorized_client", 700016, "Unknown app."));
  const nowS = Math.floor(ctx.now / 1000);
  const fresh = (t: number) => p.maxAge === undefined || nowS - t <= p.maxAge;
  const session = pending.sessionId ? core.store.sessions.get(pending.sessionId) : undefined;
  const accounts: { user: EmulatorUser; authTime: number; }[] = [];
  for (const [oid, authTime] of session?.accounts ?? []) {
    const user = findUser(core, oid);
    if (user && userAllowedIn(pending.tenant, user)) accounts.push({ user, authTime });
  }
  const hinted = p.loginHint !== undefined ? findUser(core, p.loginHint) : undefined;
  const fromHint = hinted ? accounts.find((a) => a.user.oid === hinted.oid) : undefined;

  if (pending.oid === undefined && p.prompt === "none") {
    if (!hinted && accounts.length > 1) {
      return failToClient(
        ctx,
        pending,
        new AadError(
          "interaction_required",
          16000,
          "Multiple user identities are available for the current request. Select the account to use.",
        ),
      );
    }
    const chosen = p.loginHint !== undefined ? fromHint : accounts[0];
    if (!chosen) {
      return failToClient(
        ctx,
        pending,
        new AadError(
          "login_required",
          50058,
          "A silent sign-in request was sent but no user is signed in.",
        ),
      );
    }
    if (!fresh(chosen.authTime)) {
      return failToClient(
        ctx,
        pending,
        new AadError(
          "login_required",
          50058,
          "A silent sign-in request was sent but the user's authentication is older than max_age.",
        ),
      );
    }
    if (app.requireConsent && !core.store.hasConsent(chosen.user.oid, app.clientId)) {
      return failToClient(
        ctx,
        pending,
        new AadError(
          "consent_required",
          65001,
          `The user or administrator has not consented to use the application with ID '${app.clientId}'. Send an interactive authorization request for this user and resource.`,
        ),
      );
    }
    pending.oid = chosen.user.oid;
    pending.authTime = chosen.authTime;
    return issueCode(core, ctx, pending, chosen.user, setCookie);
  }

  if (pending.oid === undefined && !pending.forceLogin) {
    const wantPicker = (p.prompt === "select_account" || (!hinted && accounts.length > 1))
      && !pending.accountChosen;
    if (wantPicker) {
      return selectAccountPage(ctx, pending, accounts.map((a) => a.user), setCookie);
    }
    const chosen = hinted ? fromHint : accounts.length === 1 ? accounts[0] : undefined;
    if (chosen && fresh(chosen.authTime)) {
      pending.oid = chosen.user.oid;
      pending.authTime = chosen.authTime;
    }
  }
  if (pending.oid === undefined) {
    if (core.config.autoLogin && hinted && userAllowedIn(pending.tenant, hinted)) {
      signIn(core, ctx, pending, hinted, setCookie);
    } else {
      const res = loginPage(ctx, pending, p.loginHint ?? "");
      for (const c of setCookie) res.headers.append("set-cookie", c);
      return res;
    }
  }
  const user = findUser(core, pending.oid as string) as EmulatorUser;
  const needsConsent = p.prompt === "consent"
    || (app.requireConsent === true && !core.store.hasConsent(user.oid, app.clientId));
  if (needsConsent && !pending.consented) return consentPage(ctx, pending, app, setCookie);
  return await issueCode(core, ctx, pending, user, setCookie);
}

/**
 * Handles the sign-in forms: `POST {base}/{tenant}/login`, `…/select_account`, `…/consent`.
 *
 * @param core The emulator.
 * @param ctx The request (form with `ctx` = the pending sign-in id).
 * @param step Which form.
 * @returns The next page or the redirect back to the app.
 * @example
 * ```ts
 * import { handleSignInForm } from "./sign_in.ts";
 * declare const core: import("./core.ts").EmulatorCore;
 * declare const ctx: import("./context.ts").RequestContext;
 * const res = await handleSignInForm(core, ctx, "login");
 * ```
 */
export async function handleSignInForm(
  core: EmulatorCore,
  ctx: RequestContext,
  step: "login" | "select_account" | "consent",
): Promise<Response> {
  const pending = core.store.pending.get(ctx.form["ctx"] ?? "");
  if (ctx.method !== "POST" || !pending) {
    return errorPage(
      ctx,
      new AadError("invalid_request", 90014, "The sign-in session is unknown or has expired."),
    );
  }
  const cookie = ctx.cookies[SESSION_COOKIE];
  if (pending.sessionId === undefined && cookie && core.store.sessions.has(cookie)) {
    pending.sessionId = cookie;
  }
  const setCookie: string[] = [];
  if (step === "login") {
    const username = ctx.form["username"] ?? "";
    const user = findUser(core, username);
    if (!user) {
      return loginPage(
        ctx,
        pending,
        username,
        `AADSTS50034: The user account ${username} does not exist in the ${pending.tenant.segment} directory.`,
      );
    }
    if (!userAllowedIn(pending.tenant, user)) {
      return loginPage(
        ctx,
        pending,
        username,
        `AADSTS50020: User account '${username}' from identity provider 'https://sts.windows.net/${user.tid}/' does not exist in tenant '${pending.tenant.segment}'.`,
      );
    }
    if (user.password !== undefined && user.password !== (ctx.form["password"] ?? "")) {
      return loginPage(
        ctx,
        pending,
        username,
        "AADSTS50126: Error validating credentials due to invalid username or password.",
      );
    }
    signIn(core, ctx, pending, user, setCookie);
  } else if (step === "select_account") {
    pending.accountChosen = true;
    const session = pending.sessionId ? core.store.sessions.get(pending.sessionId) : undefined;
    const oid = ctx.form["account"] ?? "other";
    const authTime = session?.accounts.get(oid);
    const max = pending.params.maxAge;
    if (authTime === undefined || (max !== undefined && ctx.now / 1000 - authTime > max)) {
      pending.forceLogin = true;
    } else {
      pending.oid = oid;
      pending.authTime = authTime;
    }
  } else {
    if (ctx.form["action"] !== "accept") {
      core.store.pending.delete(pending.id);
      return failToClient(
        ctx,
        pending,
        new AadError("access_denied", 65004, "User declined to consent to access the app."),
      );
    }
    pending.consented = true;
    if (pending.oid !== undefined) core.store.grantConsent(pending.oid, pending.params.clientId);
  }
  return await continueSignIn(core, ctx, pending, setCookie);
}
