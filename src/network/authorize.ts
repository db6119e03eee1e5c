/**
 * The authorization request (a URL for the browser) and the processing of the redirect that
 * comes back to the app: `state` checked, `error`/`error_description` turned into typed
 * errors, the `code` extracted.
 *
 * @module
 */

import { EntraAuthError, type ServerErrorDetails } from "../errors.ts";
import { errorFromServer } from "./server_error.ts";

/** `prompt` values Entra ID accepts. */
export type Prompt = "login" | "none" | "consent" | "select_account" | "create";

/** The parameters of an authorization request. */
export interface AuthorizeParameters {
  clientId: string;
  redirectUri: string;
  /** The scopes to send (already with the default OpenID scopes). */
  scopes: readonly string[];
  state: string;
  nonce: string;
  /** The PKCE S256 challenge. */
  codeChallenge: string;
  prompt?: Prompt;
  loginHint?: string;
  domainHint?: string;
  /** JSON text of the `claims` parameter. */
  claims?: string;
  /** Seconds since the user's last authentication beyond which they must sign in again. */
  maxAge?: number;
  /** Send `client_info=1` (Entra ID). Default true. */
  clientInfo?: boolean;
  /** More query parameters; they may not replace any parameter above. */
  extraQueryParameters?: Readonly<Record<string, string>>;
}

const RESERVED = [
  "client_id",
  "response_type",
  "redirect_uri",
  "scope",
  "state",
  "nonce",
  "code_challenge",
  "code_challenge_method",
  "response_mode",
];

/**
 * Builds the authorization URL (`response_type=code`, `response_mode=query`, PKCE S256).
 *
 * @param endpoint the `authorization_endpoint`
 * @param params the request parameters
 * @returns the URL to open in the browser
 * @throws EntraAuthError `invalid_argument` when `extraQueryParameters` tries to replace a
 *   protocol parameter, or `maxAge` is not a non-negative integer
 * @example
 * ```ts
 * import { buildAuthorizeUrl } from "./authorize.ts";
 * const url = buildAuthorizeUrl("https://login.microsoftonline.com/common/oauth2/v2.0/authorize", {
 *   clientId: "c", redirectUri: "http://localhost:1234", scopes: ["openid"],
 *   state: "s", nonce: "n", codeChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
 * });
 * ```
 */
export function buildAuthorizeUrl(endpoint: string, params: AuthorizeParameters): string {
  const url = new URL(endpoint);
  const q = url.searchParams;
  q.set("client_id", params.clientId);
  q.set("response_type", "code");
  q.set("redirect_uri", params.redirectUri);
  q.set("scope", params.scopes.join(" "));
  q.set("state", params.state);
  q.set("nonce", params.nonce);
  q.set("code_challenge", params.codeChallenge);
  q.set("code_challenge_method", "S256");
  q.set("response_mode", "query");
  if (params.clientInfo !== false) q.set("client_info", "1");
  if (params.prompt !== undefined) q.set("prompt", params.prompt);
  if (params.loginHint !== undefined) q.set("login_hint", params.loginHint);
  if (params.domainHint !== undefined) q.set("domain_hint", params.domainHint);
  if (params.claims !== undefined) q.set("claims", params.claims);
  if (params.maxAge !== undefined) {
    if (!Number.isInteger(params.maxAge) || params.maxAge < 0) {
      throw new EntraAuthError("invalid_argument", "maxAge must be a non-negative integer");
    }
    q.set("max_age", String(params.maxAge));
  }
  for (const [name, value] of Object.entries(params.extraQueryParameters ?? {})) {
    if (RESERVED.includes(name.toLowerCase())) {
      throw new EntraAuthError(
        "invalid_argument",
        `extraQueryParameters may not set ${name}: entra-auth sets it itself`,
      );
    }
    q.set(name, value);
  }
  return url.toString();
}

/** A successful redirect. */
export interface AuthorizationCode {
  code: string;
  /** `client_info` when the server sent it with the code. */
  clientInfo?: string;
}

/**
 * Processes the redirect's query: checks `state`, then returns the code or throws the error
 * the authorization server reported.
 *
 * @param query the redirect's query parameters
 * @param expectedState the `state` sent
 * @param expectedIssuer the authority's `issuer` when its metadata advertises
 *   `authorization_response_iss_parameter_supported` (RFC 9207): `iss` must then be present
 *   and equal to it, on a code and on an error alike
 * @returns the code
 * @throws EntraAuthError `state_mismatch` when `state` is missing or differs
 * @throws EntraAuthError `invalid_response` when `iss` is required and missing or differs
 * @throws InteractionRequiredError for `interaction_required`, `login_required`, `consent_required`
 * @throws ServerError for any other `error` (e.g. `access_denied`), with `error_description`,
 *   AADSTS codes, `suberror`/`error_subcode` and `claims`
 * @throws EntraAuthError `invalid_response` when there is neither `code` nor `error`
 * @example
 * ```ts
 * import { processRedirect } from "./authorize.ts";
 * processRedirect(new URLSearchParams("code=abc&state=s"), "s").code; // "abc"
 * ```
 */
export function processRedirect(
  query: URLSearchParams,
  expectedState: string,
  expectedIssuer?: string,
): AuthorizationCode {
  if (query.get("state") !== expectedState) {
    throw new EntraAuthError(
      "state_mismatch",
      "The redirect's state does not match this sign-in: it may be forged or belong to another "
        + "sign-in. Sign in again.",
    );
  }
  if (expectedIssuer !== undefined && query.get("iss") !== expectedIssuer) {
    const iss = query.get("iss");
    throw new EntraAuthError(
      "invalid_response",
      `The redirect's iss ${
        iss === null ? "is missing" : `(${JSON.stringify(iss)}) is not ${expectedIssuer}`
      }, although the authority promises it (RFC 9207): the response may come from another `
        + "identity provider (a mix-up attack). Sign in again; if it persists, check the authority.",
    );
  }
  const error = query.get("error");
  if (error !== null && error !== "") {
    const details: ServerErrorDetails = { httpStatus: 302, error };
    const description = query.get("error_description");
    if (description) {
      details.errorDescription = description;
      const codes = [...description.matchAll(/AADSTS(\d+)/g)].map((m) => Number(m[1]));
      if (codes.length > 0) details.errorCodes = codes;
    }
    const sub = query.get("suberror") ?? query.get("error_subcode");
    if (sub) details.subError = sub;
    const claims = query.get("claims");
    if (claims) details.claims = claims;
    const correlation = description && /Correlation ID: ([0-9a-fA-F-]{36})/.exec(description);
    if (correlation) details.correlationId = correlation[1];
    const trace = description && /Trace ID: ([0-9a-fA-F-]{36})/.exec(description);
    if (trace) details.traceId = trace[1];
    throw errorFromServer(details, {
      hint: error === "access_denied" ? "The user declined the sign-in or the consent." : undefined,
    });
  }
  const code = query.get("code");
  if (code === null || code === "") {
    throw new EntraAuthError(
      "invalid_response",
      "The redirect carries neither a code nor an error. Sign in again.",
    );
  }
  const clientInfo = query.get("client_info") ?? undefined;
  return clientInfo ? { code, clientInfo } : { code };
}
