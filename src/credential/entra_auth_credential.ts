/**
 * `EntraAuthCredential`: an Azure SDK `TokenCredential` over a `PublicClientApplication`, so
 * that every Azure SDK client and the Microsoft Graph client get tokens through the OS broker
 * (or the network flows) on Deno, Bun and Node.
 *
 * @module
 */

import { EntraAuthError, InteractionRequiredError } from "../errors.ts";
import type { DeviceCodeInfo } from "../network/client.ts";
import { mergeClaims } from "../network/scopes.ts";
import {
  PublicClientApplication,
  type PublicClientApplicationOptions,
  type WindowHandle,
} from "../public_client_application.ts";
import type { AccountInfo, AuthenticationResult } from "../result.ts";
import { decodeClaimsChallenge } from "./claims.ts";
import { refreshAfter } from "./refresh.ts";
import { SharedRequests } from "./shared_requests.ts";
import { tenantAuthority, validateTenantId } from "./tenant.ts";
import type { AccessToken, GetTokenOptions, TokenCredential } from "./token_credential.ts";

/**
 * Options of an {@link EntraAuthCredential}.
 *
 * @example
 * ```ts
 * import type { EntraAuthCredentialOptions } from "@entra-auth/core";
 * const options: EntraAuthCredentialOptions = {
 *   app: { clientId: "00000000-0000-0000-0000-000000000001", enableBrokerOnLinux: true },
 *   allowInteraction: true,
 * };
 * ```
 */
export interface EntraAuthCredentialOptions {
  /**
   * The application, or its options. With options, the credential can also serve other
   * tenants (`tenantId`) and CAE (`enableCae`) from apps it derives from them.
   */
  app: PublicClientApplication | PublicClientApplicationOptions;
  /**
   * Sign the user in interactively (broker, else browser, else device code) when no token can
   * be had silently. Default `false`: an `InteractionRequiredError` is thrown instead (call
   * {@link EntraAuthCredential.authenticate} first).
   */
  allowInteraction?: boolean;
  /** The account to get tokens for (else the one it signs in, or the app's only account). */
  account?: AccountInfo;
  /** Interactive sign-in: the user to sign in. */
  loginHint?: string;
  /** Interactive sign-in: the app's window (default: the console). */
  parentWindowHandle?: WindowHandle;
  /**
   * Interactive sign-in without a broker or a browser (SSH): show the device code with this;
   * without it, no device code flow is started.
   */
  deviceCodeCallback?: (info: DeviceCodeInfo) => void | Promise<void>;
}

/**
 * A `TokenCredential` (`@azure/core-auth`) backed by entra-auth: silent first from the account
 * it signed in with; interactive only when allowed. Concurrent `getToken` calls for the same
 * request share one; a token is reused until its `refreshAfterTimestamp`.
 *
 * @example
 * ```ts ignore
 * import { BlobServiceClient } from "@azure/storage-blob";
 * import { EntraAuthCredential } from "@entra-auth/core";
 * const credential = new EntraAuthCredential({
 *   app: { clientId: "<client id>", authority: "https://login.microsoftonline.com/organizations", enableBrokerOnLinux: true },
 *   allowInteraction: true,
 * });
 * const blobs = new BlobServiceClient("https://<account>.blob.core.windows.net", credential);
 * ```
 */
export class EntraAuthCredential implements TokenCredential {
  readonly #options: EntraAuthCredentialOptions;
  readonly #app: PublicClientApplication;
  readonly #derived = new Map<string, PublicClientApplication>();
  readonly #inflight = new SharedRequests<AccessToken>();
  readonly #tokens = new Map<string, AccessToken>();
  #account?: AccountInfo;

  /**
   * Creates a credential over an application (or the options to make one).
   *
   * @param options the app (or its options) and how to sign in
   * @throws EntraAuthError `invalid_argument` when the app's options are invalid
   */
  constructor(options: EntraAuthCredentialOptions) {
    if (!options || typeof options !== "object" || !options.app) {
      throw new EntraAuthError(
        "invalid_argument",
        "EntraAuthCredential needs { app }: a PublicClientApplication or its options",
      );
    }
    this.#options = options;
    this.#app = options.app instanceof PublicClientApplication
      ? options.app
      : new PublicClientApplication(options.app);
    this.#account = options.account;
  }

  /** The application the credential gets tokens from. */
  get app(): PublicClientApplication {
    return this.#app;
  }

  /** The account tokens are got for, once known. */
  get account(): AccountInfo | undefined {
    return this.#account;
  }

  /**
   * Gets an access token for the scopes (the Azure SDK calls this).
   *
   * @param scopes one scope or several, e.g. `https://storage.azure.com/.default`
   * @param options abort signal, claims challenge, CAE, tenant, proof of possession
   * @returns the token, with `refreshAfterTimestamp` in the future
   * @throws InteractionRequiredError when the user must sign in and interaction is not
   *   allowed; EntraAuthError `aborted`, `invalid_argument`; any sign-in error
   * @example
   * ```ts ignore
   * const token = await credential.getToken("https://graph.microsoft.com/.default", { enableCae: true });
   * ```
   */
  getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
    let request: TokenRequest;
    try {
      request = this.#request(scopes, options ?? {});
    } catch (err) {
      return Promise.reject(err);
    }
    if (!request.force && !request.pop) {
      const memo = this.#tokens.get(request.key);
      if (memo && memo.refreshAfterTimestamp > Date.now()) return Promise.resolve({ ...memo });
    }
    return this.#inflight.run(
      request.key + (request.force ? `|force:${request.claims}` : ""),
      options?.abortSignal,
      (signal) => this.#acquire(request, signal),
    ).then((token) => ({ ...token }));
  }

  /**
   * Signs the user in interactively now (broker, else browser, else device code) and makes
   * that account the credential's, as `@azure/identity`'s `authenticate` does.
   *
   * @param scopes the scopes to consent to
   * @returns the account
   * @throws UserCanceledError, BrokerError, ServerError, EntraAuthError `no_browser`
   * @example
   * ```ts ignore
   * const account = await credential.authenticate("https://graph.microsoft.com/.default");
   * ```
   */
  async authenticate(scopes: string | string[]): Promise<AccountInfo> {
    const list = scopeList(scopes);
    const result = await this.#interactive(this.#app, list, undefined, undefined);
    return result.account;
  }

  #request(scopes: string | string[], options: GetTokenOptions): TokenRequest {
    const list = scopeList(scopes);
    const challenge = decodeClaimsChallenge(options.claims);
    const cae = options.enableCae === true;
    const claims = cae ? mergeClaims(challenge, ["CP1"]) : challenge;
    const tenantId = options.tenantId === undefined || options.tenantId === ""
      ? undefined
      : validateTenantId(options.tenantId);
    const p = options.proofOfPossessionOptions;
    let pop: TokenRequest["pop"];
    if (p) {
      if (
        !p.resourceRequestMethod || !p.resourceRequestUrl || !URL.canParse(p.resourceRequestUrl)
      ) {
        throw new EntraAuthError(
          "invalid_argument",
          "proofOfPossessionOptions needs resourceRequestMethod and an absolute resourceRequestUrl",
        );
      }
      pop = { method: p.resourceRequestMethod, url: p.resourceRequestUrl, nonce: p.nonce };
    }
    const key = JSON.stringify([
      [...list].sort(),
      tenantId ?? "",
      cae,
      pop ? [pop.method.toUpperCase(), pop.url, pop.nonce ?? ""] : null,
    ]);
    return { scopes: list, claims, force: challenge !== undefined, tenantId, pop, key };
  }

  async #acquire(request: TokenRequest, signal: AbortSignal): Promise<AccessToken> {
    const app = this.#appFor(request.tenantId);
    const account = this.#account ?? await this.#soleAccount();
    let result: AuthenticationResult | undefined;
    if (account) {
      try {
        result = await app.acquireTokenSilent({
          scopes: request.scopes,
          account,
          claims: request.claims,
          forceRefresh: request.force,
          pop: request.pop,
          signal,
        });
      } catch (err) {
        if (!(err instanceof InteractionRequiredError) || !this.#options.allowInteraction) {
          throw err;
        }
      }
    }
    if (!result) {
      if (!this.#options.allowInteraction) {
        throw new InteractionRequiredError(
          account
            ? "The account must sign in again. Call credential.authenticate(scopes), or create the credential with allowInteraction: true."
            : "No account is signed in. Call credential.authenticate(scopes), or create the credential with allowInteraction: true.",
        );
      }
      result = await this.#interactive(app, request.scopes, request, signal);
    }
    signal.throwIfAborted();
    const token = toAccessToken(result);
    if (!request.pop) {
      const now = Date.now();
      for (const [key, old] of this.#tokens) {
        if (old.expiresOnTimestamp <= now) this.#tokens.delete(key);
      }
      this.#tokens.set(request.key, token);
    }
    return token;
  }

  async #interactive(
    app: PublicClientApplication,
    scopes: string[],
    request: TokenRequest | undefined,
    signal: AbortSignal | undefined,
  ): Promise<AuthenticationResult> {
    const o = this.#options;
    let result: AuthenticationResult;
    // The attempt gets a signal of its own, aborted once it has ended, so that nothing it
    // started (a loopback server's wait, a broker call) outlives it when falling back.
    const attempt = new AbortController();
    const forward = () => attempt.abort(signal?.reason);
    if (signal?.aborted) forward();
    signal?.addEventListener("abort", forward, { once: true });
    try {
      result = await app.acquireTokenInteractive({
        scopes,
        claims: request?.claims,
        pop: request?.pop,
        account: this.#account,
        loginHint: this.#account ? undefined : o.loginHint,
        parentWindowHandle: o.parentWindowHandle,
        signal: attempt.signal,
      });
    } catch (err) {
      attempt.abort();
      if (!(err instanceof EntraAuthError && err.code === "no_browser" && o.deviceCodeCallback)) {
        throw err;
      }
      if (request?.pop) throw err;
      result = await app.acquireTokenByDeviceCode({
        scopes,
        claims: request?.claims,
        deviceCodeCallback: o.deviceCodeCallback,
        signal,
      });
    } finally {
      signal?.removeEventListener("abort", forward);
      attempt.abort();
    }
    this.#account = result.account;
    return result;
  }

  async #soleAccount(): Promise<AccountInfo | undefined> {
    const accounts = await this.#app.getAccounts();
    const hint = this.#options.loginHint?.toLowerCase();
    const match = hint ? accounts.filter((a) => a.username.toLowerCase() === hint) : accounts;
    if (match.length !== 1) return undefined;
    this.#account = match[0];
    return match[0];
  }

  #appFor(tenantId: string | undefined): PublicClientApplication {
    if (
      tenantId === undefined || tenantId.toLowerCase() === this.#app.authority.tenant.toLowerCase()
    ) {
      return this.#app;
    }
    const base = this.#options.app;
    if (base instanceof PublicClientApplication) {
      throw new EntraAuthError(
        "invalid_argument",
        `A token for tenant ${tenantId} needs an app for that tenant: create the credential with the app's options ({ app: { clientId, ... } }) instead of an instance.`,
      );
    }
    let derived = this.#derived.get(tenantId.toLowerCase());
    if (!derived) {
      derived = new PublicClientApplication({
        ...base,
        authority: tenantAuthority(this.#app.authority.url, tenantId),
        // Without a cache of its own choosing, the derived app shares the main app's cache.
        cache: base.cache
          ?? (base.persistentCache ? undefined : { cachePlugin: this.#sharedCache() }),
      });
      this.#derived.set(tenantId.toLowerCase(), derived);
    }
    return derived;
  }

  #sharedCache() {
    const main = this.#app.getTokenCache();
    return {
      beforeCacheAccess: (ctx: { tokenCache: { deserialize(json: string): void; }; }) => {
        ctx.tokenCache.deserialize(main.serialize());
      },
      afterCacheAccess: (
        ctx: { tokenCache: { serialize(): string; }; cacheHasChanged: boolean; },
      ) => {
        if (ctx.cacheHasChanged) main.deserialize(ctx.tokenCache.serialize());
      },
    };
  }
}

interface TokenRequest {
  scopes: string[];
  claims?: string;
  force: boolean;
  tenantId?: string;
  pop?: { method: string; url: string; nonce?: string; };
  key: string;
}

function scopeList(scopes: string | string[]): string[] {
  const list = typeof scopes === "string" ? [scopes] : scopes;
  if (
    !Array.isArray(list) || list.length === 0
    || list.some((s) => typeof s !== "string" || s.trim() === "" || /\s/.test(s))
  ) {
    throw new EntraAuthError(
      "invalid_argument",
      "scopes must be a scope string or a non-empty array of them, e.g. \"https://storage.azure.com/.default\"",
    );
  }
  return [...list];
}

function toAccessToken(result: AuthenticationResult): AccessToken {
  const expires = result.expiresOn instanceof Date ? result.expiresOn.getTime() : NaN;
  if (!result.accessToken || !Number.isFinite(expires)) {
    throw new EntraAuthError("invalid_response", "the token result has no access token or expiry");
  }
  return {
    token: result.accessToken,
    expiresOnTimestamp: expires,
    refreshAfterTimestamp: refreshAfter(expires, Date.now()),
    tokenType: result.tokenType === "pop" ? "pop" : "Bearer",
  };
}
