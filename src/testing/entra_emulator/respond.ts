/**
 * Response builders: JSON with Entra's headers, HTML pages, redirects and AADSTS errors.
 *
 * @module
 */

import { AadError, errorBody } from "./aad_error.ts";
import type { RequestContext } from "./context.ts";

/**
 * Headers Entra puts on every reply: `client-request-id` echoed, `x-ms-request-id` (trace id),
 * and no caching.
 *
 * @param ctx The request.
 * @param contentType The content type.
 * @returns The headers.
 * @example
 * ```ts
 * import { baseHeaders } from "./respond.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * baseHeaders(ctx, "application/json; charset=utf-8");
 * ```
 */
export function baseHeaders(ctx: RequestContext, contentType: string): Headers {
  const headers = new Headers({
    "content-type": contentType,
    "cache-control": "no-store, no-cache",
    "pragma": "no-cache",
    "x-ms-request-id": ctx.traceId,
    "client-request-id": ctx.correlationId,
  });
  return headers;
}

/**
 * A JSON reply.
 *
 * @param ctx The request.
 * @param body The body.
 * @param status HTTP status (default 200).
 * @returns The response.
 * @example
 * ```ts
 * import { json } from "./respond.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * json(ctx, { ok: true });
 * ```
 */
export function json(ctx: RequestContext, body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: baseHeaders(ctx, "application/json; charset=utf-8"),
  });
}

/**
 * Entra's JSON error reply for an {@link AadError}.
 *
 * @param ctx The request.
 * @param err The error.
 * @returns The response (status from the error).
 * @example
 * ```ts
 * import { AadError } from "./aad_error.ts";
 * import { errorResponse } from "./respond.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * errorResponse(ctx, new AadError("invalid_grant", 70000, "Bad grant."));
 * ```
 */
export function errorResponse(ctx: RequestContext, err: AadError): Response {
  return json(ctx, errorBody(err, ctx.correlationId, ctx.now, ctx.traceId), err.status);
}

/**
 * Escapes text for HTML.
 *
 * @param text The text.
 * @returns Escaped text.
 * @example
 * ```ts
 * import { escapeHtml } from "./respond.ts";
 * console.log(escapeHtml("<b>")); // &lt;b&gt;
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/**
 * An HTML page.
 *
 * @param ctx The request.
 * @param title Page title.
 * @param body Inner HTML (already escaped).
 * @param status HTTP status (default 200).
 * @param setCookie `Set-Cookie` values.
 * @returns The response.
 * @example
 * ```ts
 * import { html } from "./respond.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * html(ctx, "Sign in", "<p>Hello</p>");
 * ```
 */
export function html(
  ctx: RequestContext,
  title: string,
  body: string,
  status = 200,
  setCookie: string[] = [],
): Response {
  const headers = baseHeaders(ctx, "text/html; charset=utf-8");
  for (const c of setCookie) headers.append("set-cookie", c);
  const page = `<!doctype html><html><head><meta charset="utf-8"><title>${
    escapeHtml(title)
  }</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
  return new Response(page, { status, headers });
}

/**
 * An HTML error page showing an AADSTS error (used when Entra cannot redirect back).
 *
 * @param ctx The request.
 * @param err The error.
 * @returns The response, status 400, header `x-ms-ests-error` set to `error` and code.
 * @example
 * ```ts
 * import { AadError } from "./aad_error.ts";
 * import { errorPage } from "./respond.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * errorPage(ctx, new AadError("invalid_request", 50011, "Redirect URI mismatch."));
 * ```
 */
export function errorPage(ctx: RequestContext, err: AadError): Response {
  const res = html(
    ctx,
    "Sorry, but we're having trouble signing you in.",
    `<p id="error" data-error="${escapeHtml(err.error)}">AADSTS${err.code}: ${
      escapeHtml(err.message)
    }</p><p>Trace ID: ${ctx.traceId}</p><p>Correlation ID: ${ctx.correlationId}</p>`,
    400,
  );
  res.headers.set("x-ms-ests-error", `${err.error} AADSTS${err.code}`);
  return res;
}

/**
 * A 302 redirect.
 *
 * @param ctx The request.
 * @param location Target URL.
 * @param setCookie `Set-Cookie` values.
 * @returns The response.
 * @example
 * ```ts
 * import { redirect } from "./respond.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * redirect(ctx, "http://localhost:5000/?code=x");
 * ```
 */
export function redirect(
  ctx: RequestContext,
  location: string,
  setCookie: string[] = [],
): Response {
  const headers = baseHeaders(ctx, "text/html; charset=utf-8");
  headers.set("location", location);
  for (const c of setCookie) headers.append("set-cookie", c);
  return new Response(null, { status: 302, headers });
}

/**
 * Sends parameters back to a redirect URI with the requested response mode: `query` and
 * `fragment` as a 302, `form_post` as an auto-submitting HTML form.
 *
 * @param ctx The request.
 * @param redirectUri The validated redirect URI.
 * @param mode Response mode.
 * @param params Parameters to send.
 * @param setCookie `Set-Cookie` values.
 * @returns The response.
 * @example
 * ```ts
 * import { sendToRedirectUri } from "./respond.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * sendToRedirectUri(ctx, "http://localhost:5000/", "query", { code: "x", state: "s" });
 * ```
 */
export function sendToRedirectUri(
  ctx: RequestContext,
  redirectUri: string,
  mode: "query" | "fragment" | "form_post",
  params: Record<string, string>,
  setCookie: string[] = [],
): Response {
  if (mode === "form_post") {
    const inputs = Object.entries(params).map(([k, v]) =>
      `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`
    ).join("");
    return html(
      ctx,
      "Working...",
      `<form method="POST" name="hiddenform" action="${
        escapeHtml(redirectUri)
      }">${inputs}<noscript><button>Continue</button></noscript></form><script>document.forms[0].submit()</script>`,
      200,
      setCookie,
    );
  }
  const target = new URL(redirectUri);
  const encoded = new URLSearchParams(params);
  if (mode === "fragment") target.hash = encoded.toString();
  else for (const [k, v] of encoded) target.searchParams.append(k, v);
  return redirect(ctx, target.toString(), setCookie);
}

/**
 * Runs a handler and turns a thrown {@link AadError} into Entra's JSON error reply.
 *
 * @param ctx The request.
 * @param run The handler.
 * @returns The handler's response or the error reply.
 * @throws Whatever else the handler throws.
 * @example
 * ```ts
 * import { catchAad, json } from "./respond.ts";
 * declare const ctx: import("./context.ts").RequestContext;
 * await catchAad(ctx, () => Promise.resolve(json(ctx, {})));
 * ```
 */
export async function catchAad(
  ctx: RequestContext,
  run: () => Promise<Response> | Response,
): Promise<Response> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof AadError) return errorResponse(ctx, err);
    throw err;
  }
}
