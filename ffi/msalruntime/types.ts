/**
 * What the MSALRuntime binding hands to the rest of entra-auth: plain request and result
 * objects, and {@link RuntimeAccount}, the one object that owns a native handle outside ffi/.
 *
 * @module
 */

import { EntraAuthError } from "../../src/errors.ts";
import type { NativeLibrary } from "../types.ts";
import type { MsalRuntimeSymbols, OffThreadSymbols } from "./symbols.ts";

/**
 * The bound functions as the binding uses them: every call is awaited, whether the table in
 * use runs it inline (a plain value) or off the JavaScript thread (a Promise).
 */
export type Lib = NativeLibrary<OffThreadSymbols<MsalRuntimeSymbols>>["symbols"];

/** Parameters of one request, set on a native AUTH_PARAMETERS handle. */
export interface RuntimeAuthParameters {
  clientId: string;
  authority: string;
  scopes: readonly string[];
  redirectUri: string;
  /** Decoded claims JSON (`{"access_token":{…}}`). */
  claims?: string;
  accessTokenToRenew?: string;
  pop?: { method: string; host: string; path?: string; nonce?: string; };
  additionalParameters?: Readonly<Record<string, string>>;
}

/** Account fields as MSALRuntime reports them. */
export interface RuntimeAccountData {
  accountId: string;
  homeAccountId: string;
  environment: string;
  realm: string;
  localAccountId: string;
  username: string;
  name: string;
  givenName: string;
  familyName: string;
  clientInfo: string;
}

/** What a completed auth operation returned, read out of the native result. */
export interface RuntimeAuthResult {
  account?: RuntimeAccount;
  /** The id token's decoded claims as JSON text. */
  idTokenClaims: string;
  rawIdToken: string;
  accessToken: string;
  grantedScopes: string;
  authorizationHeader: string;
  /** Access token expiry, Unix seconds. */
  expiresOn: number;
  isPop: boolean;
  telemetry: string;
}

/** Per-call options. */
export interface RuntimeCallOptions {
  correlationId: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** A log line from MSALRuntime, with its level (1 trace … 6 fatal). */
export type RuntimeLogSink = (level: number, message: string) => void;

const accountRegistry = new FinalizationRegistry<() => void>((release) => release());

/**
 * An MSALRuntime account handle with the account's fields. Owned: {@link RuntimeAccount.close}
 * releases the handle once; a finalizer is the backstop.
 */
export class RuntimeAccount {
  /** The account's fields. */
  readonly data: RuntimeAccountData;
  #handle: bigint;
  #release: (handle: bigint) => void;

  /** @internal */
  constructor(handle: bigint, data: RuntimeAccountData, release: (handle: bigint) => void) {
    this.#handle = handle;
    this.data = data;
    this.#release = release;
    accountRegistry.register(this, () => release(handle), this);
  }

  /** @internal the native handle; valid until close(). */
  get handle(): bigint {
    if (this.#handle === 0n) throw new EntraAuthError("invalid_argument", "account is closed");
    return this.#handle;
  }

  /** Releases the native handle. Idempotent. */
  close(): void {
    if (this.#handle === 0n) return;
    const handle = this.#handle;
    this.#handle = 0n;
    accountRegistry.unregister(this);
    this.#release(handle);
  }

  /** Releases the native handle. */
  [Symbol.dispose](): void {
    this.close();
  }
}
