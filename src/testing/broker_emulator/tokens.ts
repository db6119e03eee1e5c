/**
 * Token minting for the emulated broker: RS256-signed id tokens, access tokens, and
 * PoP signed HTTP requests, with keys generated at start.
 *
 * @module
 */

import { createHash, generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import type { EmulatedUser } from "./users.ts";

/**
 * A public key in JWK form, as published at `GET /jwks`.
 *
 * @example
 * ```ts
 * const [jwk]: PublicJwk[] = new TokenMinter().jwks.keys;
 * ```
 */
export interface PublicJwk {
  /** Key type (`RSA`). */
  kty: string;
  /** RSA modulus (base64url). */
  n: string;
  /** RSA exponent (base64url). */
  e: string;
  /** Key id. */
  kid: string;
  /** Algorithm (`RS256`). */
  alg: string;
  /** Use (`sig`). */
  use: string;
}

/**
 * What a PoP token is bound to (`popParams` of the broker request).
 *
 * @example
 * ```ts
 * const pop: PopBinding = { httpMethod: "GET", uriHost: "graph.microsoft.com", uriPath: "/v1.0/me", nonce: "n" };
 * ```
 */
export interface PopBinding {
  /** HTTP method of the bound request. */
  httpMethod: string;
  /** Host of the bound request. */
  uriHost: string;
  /** Path of the bound request. */
  uriPath: string;
  /** The server nonce. */
  nonce: string;
}

/**
 * Encodes bytes or UTF-8 text as unpadded base64url.
 *
 * @example
 * ```ts
 * base64url("{}"); // "e30"
 * ```
 */
export function base64url(data: Uint8Array | string): string {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/**
 * Decodes the payload of a compact JWT without verifying it.
 *
 * @example
 * ```ts
 * const claims = decodeJwtPayload(idToken);
 * ```
 */
export function decodeJwtPayload(jwt: string): Record<string, unknown> {
  const part = jwt.split(".")[1] ?? "";
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/**
 * Builds the `clientInfo` the broker returns: base64url of `{"uid","utid"}`.
 *
 * @example
 * ```ts
 * const info = clientInfoFor(user);
 * ```
 */
export function clientInfoFor(user: EmulatedUser): string {
  return base64url(JSON.stringify({ uid: user.oid, utid: user.tenantId }));
}

interface KeyPair {
  privateKey: KeyObject;
  jwk: PublicJwk;
}

function newKey(use: string): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const raw = publicKey.export({ format: "jwk" }) as { kty: string; n: string; e: string; };
  const thumbprint = createHash("sha256")
    .update(JSON.stringify({ e: raw.e, kty: raw.kty, n: raw.n }))
    .digest();
  const kid = base64url(new Uint8Array(thumbprint));
  return { privateKey, jwk: { kty: raw.kty, n: raw.n, e: raw.e, kid, alg: "RS256", use } };
}

function signJwt(key: KeyPair, header: object, payload: object): string {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = sign("sha256", new TextEncoder().encode(input), key.privateKey);
  return `${input}.${base64url(new Uint8Array(signature))}`;
}

function resourceOf(scopes: readonly string[]): string {
  for (const scope of scopes) {
    const match = /^(https?:\/\/[^/]+|api:\/\/[^/]+|[0-9a-f-]{36})\//i.exec(scope);
    if (match) return match[1]!;
  }
  return "00000003-0000-0000-c000-000000000000";
}

function shortScopes(scopes: readonly string[]): string {
  return scopes
    .map((s) => s.replace(/^.*\//, ""))
    .filter((s) => !["openid", "profile", "offline_access"].includes(s))
    .map((s) => (s === ".default" ? "User.Read" : s))
    .join(" ");
}

/**
 * Inputs for minting one token response.
 *
 * @example
 * ```ts
 * const req: MintRequest = { user, clientId: "client", scopes: ["User.Read"] };
 * ```
 */
export interface MintRequest {
  /** The user the tokens are for. */
  user: EmulatedUser;
  /** The requesting app. */
  clientId: string;
  /** The scopes granted. */
  scopes: readonly string[];
  /** `nonce` to echo in the id token. */
  nonce?: string;
  /** Capabilities from the claims request (e.g. `["CP1"]`). */
  clientCapabilities?: readonly string[];
  /** PoP binding; when present the access token is a signed HTTP request. */
  pop?: PopBinding;
}

/**
 * The token part of a broker success reply.
 *
 * @example
 * ```ts
 * const { idToken, accessToken }: MintedTokens = minter.mint(req);
 * ```
 */
export interface MintedTokens {
  /** The id token (a JWT). */
  idToken: string;
  /** The access token. */
  accessToken: string;
  /** 0 bearer, 1 proof of possession. */
  accessTokenType: 0 | 1;
  /** Expiry, epoch seconds. */
  expiresOn: number;
  /** Extended expiry, epoch seconds. */
  extendedExpiresOn: number;
}

/**
 * Holds the keys generated at start and mints tokens with them.
 *
 * @example
 * ```ts
 * const minter = new TokenMinter();
 * const tokens = minter.mint({ user, clientId, scopes: ["User.Read"] });
 * ```
 */
export class TokenMinter {
  readonly #idKey = newKey("sig");
  readonly #popKey = newKey("sig");
  #counter = 0;

  /** Public keys: the token signing key and the PoP key (kid = JWK thumbprint). */
  get jwks(): { keys: PublicJwk[]; } {
    return { keys: [this.#idKey.jwk, this.#popKey.jwk] };
  }

  /** Mints an id token and an access token (bearer or PoP) for one request. */
  mint(req: MintRequest, nowMs: number = Date.now()): MintedTokens {
    const { user } = req;
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + user.tokenLifetimeSeconds;
    const idClaims: Record<string, unknown> = {
      aud: req.clientId,
      iss: `https://login.microsoftonline.com/${user.tenantId}/v2.0`,
      iat,
      nbf: iat,
      exp,
      name: user.name,
      oid: user.oid,
      preferred_username: user.username,
      sub: base64url(
        new Uint8Array(createHash("sha256").update(`${user.oid}|${req.clientId}`).digest()),
      ),
      tid: user.tenantId,
      ver: "2.0",
      given_name: user.givenName,
      family_name: user.familyName,
      uti: this.#uti(),
    };
    if (req.nonce) idClaims.nonce = req.nonce;
    const idToken = signJwt(
      this.#idKey,
      { typ: "JWT", alg: "RS256", kid: this.#idKey.jwk.kid },
      idClaims,
    );

    const atClaims: Record<string, unknown> = {
      aud: resourceOf(req.scopes),
      iss: `https://sts.windows.net/${user.tenantId}/`,
      iat,
      nbf: iat,
      exp,
      appid: req.clientId,
      name: user.name,
      oid: user.oid,
      scp: shortScopes(req.scopes),
      sub: idClaims.sub,
      tid: user.tenantId,
      upn: user.username,
      unique_name: user.username,
      uti: this.#uti(),
      ver: "1.0",
    };
    if (req.clientCapabilities?.length) atClaims.xms_cc = [...req.clientCapabilities];
    if (req.pop) atClaims.cnf = { kid: this.#popKey.jwk.kid };
    const at = signJwt(
      this.#idKey,
      { typ: "JWT", alg: "RS256", kid: this.#idKey.jwk.kid },
      atClaims,
    );
    const times = { expiresOn: exp * 1000, extendedExpiresOn: (exp + 3600) * 1000 };
    if (!req.pop) return { idToken, accessToken: at, accessTokenType: 0, ...times };
    return {
      idToken,
      accessToken: this.signedHttpRequest(at, req.pop, iat),
      accessTokenType: 1,
      ...times,
    };
  }

  /**
   * Wraps an access token into a PoP signed HTTP request bound to method, host, path and nonce.
   */
  signedHttpRequest(accessToken: string, pop: PopBinding, ts: number): string {
    const payload: Record<string, unknown> = {
      at: accessToken,
      ts,
      m: pop.httpMethod,
      u: pop.uriHost,
      p: pop.uriPath,
      cnf: { jwk: { kty: this.#popKey.jwk.kty, n: this.#popKey.jwk.n, e: this.#popKey.jwk.e } },
    };
    if (pop.nonce) payload.nonce = pop.nonce;
    return signJwt(this.#popKey, { typ: "pop", alg: "RS256", kid: this.#popKey.jwk.kid }, payload);
  }

  /** Signs an arbitrary payload with the id token key (used for PRT SSO cookies). */
  signWithIdKey(payload: object): string {
    return signJwt(this.#idKey, { typ: "JWT", alg: "RS256", kid: this.#idKey.jwk.kid }, payload);
  }

  #uti(): string {
    this.#counter++;
    return base64url(new TextEncoder().encode(`emu-${Date.now()}-${this.#counter}`)).slice(0, 22);
  }
}
