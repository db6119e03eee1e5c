/**
 * Signing in without the broker: the network flows (src/network/) wired to the token cache
 * (src/cache/), with the persistence plug-in around every cache access. Silent acquisition
 * serves a valid cached access token, else redeems a refresh token (the family's first when
 * the app is in one), and removes a refresh token the server rejects.
 *
 * @module
 */

import { withCache } from "../cache/plugin.ts";
import type { CachePlugin } from "../cache/plugin.ts";
import { settleRefusedRefreshToken } from "../cache/refused_refresh_token.ts";
import { authenticationResultFrom } from "../cache/result.ts";
import { TokenCache } from "../cache/token_cache.ts";
import { InteractionRequiredError, ServerError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type {
  AuthCodeRequest,
  DeviceCodeInfo,
  NetworkRequest,
  NetworkTokenResult,
} from "../network/client.ts";
import { type CloudInstance, cloudOf, KNOWN_CLOUDS } from "../network/cloud_aliases.ts";
import { escapeHtml } from "../network/pages.ts";
import type { AccountInfo, AuthenticationResult } from "../result.ts";

/** The network flows, loaded on first use: a token served from the cache needs none of them. */
function network(): Promise<typeof import("../network/client.ts")> {
  return import("../network/client.ts");
}

/** Settings of the network path (internal). */
export interface NetworkSettings extends
  Pick<
    NetworkRequest,
    | "authority"
    | "authorityType"
    | "validateAuthority"
    | "knownAuthorityHosts"
    | "authorityMetadata"
    | "fetch"
    | "clientCapabilities"
    | "requestTimeoutMs"
    | "maxRetryAfterMs"
    | "maxResponseBytes"
  >
{
  clientId: string;
  /** Loopback redirect URI (default `http://localhost`). */
  redirectUri?: string;
  openBrowser?: AuthCodeRequest["openBrowser"];
  cachePlugin?: CachePlugin;
  /** HTML of the page after a successful browser sign-in. */
  successTemplate?: string;
  /** HTML of the page after a failed one; `{{error}}` and `{{error_description}}` are filled. */
  errorTemplate?: string;
}

/** What an interactive network sign-in takes. */
export type NetworkInteractiveRequest =
  & Pick<
    AuthCodeRequest,
    | "scopes"
    | "claims"
    | "prompt"
    | "loginHint"
    | "domainHint"
    | "maxAge"
    | "extraScopesToConsent"
    | "extraQueryParameters"
    | "signal"
    | "timeoutMs"
  >
  & { correlationId: string; openBrowser?: AuthCodeRequest["openBrowser"]; };

/** The network path of one application (internal). */
export class NetworkClient {
  /** The in-memory token cache (MSAL's shared format). */
  readonly cache: TokenCache = new TokenCache();
  readonly #settings: NetworkSettings;
  readonly #logger: Logger;
  readonly #learnedClouds = new Set<CloudInstance>();

  constructor(settings: NetworkSettings, logger: Logger) {
    this.#settings = settings;
    this.#logger = logger;
  }

  #base(correlationId: string, scopes: readonly string[], signal?: AbortSignal): NetworkRequest {
    const s = this.#settings;
    return {
      clientId: s.clientId,
      authority: s.authority,
      authorityType: s.authorityType,
      validateAuthority: s.validateAuthority,
      knownAuthorityHosts: s.knownAuthorityHosts,
      authorityMetadata: s.authorityMetadata,
      fetch: s.fetch,
      clientCapabilities: s.clientCapabilities,
      requestTimeoutMs: s.requestTimeoutMs,
      maxRetryAfterMs: s.maxRetryAfterMs,
      maxResponseBytes: s.maxResponseBytes,
      correlationId,
      scopes,
      signal,
      logger: this.#logger,
    };
  }

  #save(
    result: NetworkTokenResult,
    correlationId: string,
    signal: AbortSignal | undefined,
  ): Promise<AuthenticationResult> {
    return withCache(this.cache, this.#settings.cachePlugin, (cache) => {
      // A cloud learnt by instance discovery joins the cache's alias table before its first
      // entry, so that entries are written under its preferred cache host.
      const cloud = cloudOf(result.context.environment);
      if (cloud && !KNOWN_CLOUDS.includes(cloud) && !this.#learnedClouds.has(cloud)) {
        cache.addCloud(cloud);
        this.#learnedClouds.add(cloud);
      }
      const saved = cache.saveTokenResponse(result.response, result.context);
      return authenticationResultFrom({
        accessToken: saved.accessToken,
        account: saved.account,
        idToken: saved.idToken,
        correlationId,
        authority: this.#settings.authority,
      });
    }, signal);
  }

  /** Browser sign-in with PKCE through a loopback redirect. */
  async acquireTokenInteractive(request: NetworkInteractiveRequest): Promise<AuthenticationResult> {
    const { acquireByAuthCode } = await network();
    const result = await acquireByAuthCode({
      ...this.#base(request.correlationId, request.scopes, request.signal),
      claims: request.claims,
      redirectUri: this.#settings.redirectUri,
      openBrowser: request.openBrowser ?? this.#settings.openBrowser,
      successPage: this.#settings.successTemplate,
      failurePage: errorPage(this.#settings.errorTemplate),
      prompt: request.prompt,
      loginHint: request.loginHint,
      domainHint: request.domainHint,
      maxAge: request.maxAge,
      extraScopesToConsent: request.extraScopesToConsent,
      extraQueryParameters: request.extraQueryParameters,
      timeoutMs: request.timeoutMs,
    });
    return this.#save(result, request.correlationId, request.signal);
  }

  /** Device code sign-in. */
  async acquireTokenByDeviceCode(request: {
    scopes: readonly string[];
    deviceCodeCallback: (info: DeviceCodeInfo) => void | Promise<void>;
    claims?: string;
    signal?: AbortSignal;
    correlationId: string;
  }): Promise<AuthenticationResult> {
    const { acquireByDeviceCode } = await network();
    const result = await acquireByDeviceCode({
      ...this.#base(request.correlationId, request.scopes, request.signal),
      claims: request.claims,
      deviceCodeCallback: request.deviceCodeCallback,
    });
    return this.#save(result, request.correlationId, request.signal);
  }

  /** Silent: the cache, else a refresh token. */
  async acquireTokenSilent(request: {
    scopes: readonly string[];
    account: AccountInfo;
    forceRefresh?: boolean;
    claims?: string;
    signal?: AbortSignal;
    correlationId: string;
  }): Promise<AuthenticationResult> {
    const { clientId } = this.#settings;
    const { account, correlationId } = request;
    const found = await withCache(this.cache, this.#settings.cachePlugin, (cache) => {
      const cached = !request.forceRefresh && !request.claims
        ? cache.findAccessToken({ clientId, account, scopes: request.scopes })
        : undefined;
      const meta = cache.getAppMetadata({ clientId, environment: account.environment });
      // An app the cache does not know yet tries the family refresh token (FOCI), as MSAL
      // does: if it is no member, the server refuses and its own refresh token is used.
      const familyId = meta ? meta.family_id || undefined : "1";
      const family = familyId
        ? cache.findRefreshToken({ clientId, account, familyId })
        : undefined;
      const own = cache.findRefreshToken({ clientId, account });
      const result = cached && !cached.refreshDue
        ? authenticationResultFrom({
          accessToken: cached,
          account,
          idToken: cache.findIdToken({ clientId, account }),
          correlationId,
          fromCache: true,
          authority: this.#settings.authority,
        })
        : undefined;
      return { cached, result, family, familyId, familyKnown: meta !== undefined, own };
    }, request.signal);
    if (found.result) return found.result;
    const attempts = [
      ...(found.family ? [{ rt: found.family, familyId: found.familyId }] : []),
      ...(found.own && found.own.key !== found.family?.key
        ? [{ rt: found.own, familyId: undefined }]
        : []),
    ];
    if (attempts.length === 0) {
      if (found.cached) {
        return authenticationResultFrom({
          accessToken: found.cached,
          account,
          correlationId,
          fromCache: true,
          authority: this.#settings.authority,
        });
      }
      throw new InteractionRequiredError(
        "No refresh token in the cache for this account: sign in interactively.",
      );
    }
    const cacheInfo = request.forceRefresh
      ? 1
      : found.cached?.refreshDue
      ? 4
      : found.cached
      ? 3
      : 2;
    let lastError: unknown;
    for (const { rt, familyId } of attempts) {
      try {
        const { acquireByRefreshToken } = await network();
        const result = await acquireByRefreshToken({
          ...this.#base(correlationId, request.scopes, request.signal),
          claims: request.claims,
          refreshToken: rt.entity.secret,
          familyId,
          cacheInfo,
        });
        return await this.#save(result, correlationId, request.signal);
      } catch (err) {
        lastError = err;
        const refused = err instanceof InteractionRequiredError
          && (err.server?.error === "invalid_grant" || err.server?.error === "unauthorized_client");
        if (refused && familyId && !found.familyKnown) {
          // An app the cache did not know tried the family token and was refused: it is not
          // in the family (as MSAL concludes). Record that; the token stays for the family.
          await withCache(
            this.cache,
            this.#settings.cachePlugin,
            (c) => c.markOutsideFamily({ clientId, environment: account.environment }),
            request.signal,
          );
          continue;
        }
        if (err instanceof InteractionRequiredError) {
          // The server rejected this refresh token: it is dead, remove it.
          const dead = err.server?.error === "invalid_grant" || err.server?.error === "bad_token";
          if (dead) {
            // Compare-and-delete, after a short wait for another process's newer token.
            const newer = await settleRefusedRefreshToken(
              this.cache,
              this.#settings.cachePlugin,
              rt,
              undefined,
              request.signal,
            );
            if (newer && attempts.length < 12) attempts.push({ rt: newer, familyId });
          }
          continue;
        }
        if (found.cached && !(err instanceof ServerError && err.httpStatus < 500)) {
          // refresh_on passed but the service is unavailable: the token is still valid.
          this.#logger.log("warning", "Refreshing early failed; using the cached access token.");
          return authenticationResultFrom({
            accessToken: found.cached,
            account,
            correlationId,
            fromCache: true,
            authority: this.#settings.authority,
          });
        }
        throw err;
      }
    }
    throw lastError;
  }

  /** The cached accounts. */
  getAccounts(): Promise<AccountInfo[]> {
    return withCache(
      this.cache,
      this.#settings.cachePlugin,
      (cache) => cache.getAccounts({ clientId: this.#settings.clientId }),
    );
  }

  /** Removes the account and its tokens from the cache. */
  async removeAccount(account: AccountInfo): Promise<void> {
    await withCache(
      this.cache,
      this.#settings.cachePlugin,
      (cache) => cache.removeAccount(account),
    );
  }
}

// An error page template with its placeholders filled (HTML-escaped), or the default page.
function errorPage(
  template: string | undefined,
): ((error: string, description?: string) => string) | undefined {
  if (template === undefined) return undefined;
  return (error, description) =>
    template.replaceAll("{{error}}", escapeHtml(error)).replaceAll(
      "{{error_description}}",
      escapeHtml(description ?? ""),
    );
}
