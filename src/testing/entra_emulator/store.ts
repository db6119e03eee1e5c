/**
 * The emulator's in-memory state: browser sessions, pending sign-ins, authorization codes,
 * refresh tokens, device codes and consents. No I/O.
 *
 * @module
 */

import type { TenantRef } from "./config.ts";
import type { EmulatorCloud } from "./types.ts";

/** Validated authorize parameters kept while the user signs in. */
export interface AuthorizeParams {
  clientId: string;
  redirectUri: string;
  responseMode: "query" | "fragment" | "form_post";
  scope: string;
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: string;
  prompt?: string;
  loginHint?: string;
  maxAge?: number;
  claims?: string;
  clientInfo: boolean;
}

/** A sign-in in progress (between the authorize request and the redirect back). */
export interface PendingSignIn {
  id: string;
  params: AuthorizeParams;
  tenant: TenantRef;
  cloud: EmulatorCloud;
  /** Base URL the authorize request used (for the form actions). */
  base: string;
  /** Browser session id, once known. */
  sessionId?: string;
  /** Signed-in user and time (epoch seconds), once known. */
  oid?: string;
  authTime?: number;
  /** Whether the consent step is done. */
  consented?: boolean;
  /** Whether the account picker was answered. */
  accountChosen?: boolean;
  /** Credentials must be entered again (`prompt=login`, "use another account"). */
  forceLogin?: boolean;
}

/** A browser session (the `ESTSAUTH` cookie): accounts signed in and when. */
export interface Session {
  id: string;
  /** oid → auth time (epoch seconds). */
  accounts: Map<string, number>;
}

/** An issued authorization code. */
export interface AuthCodeRecord {
  clientId: string;
  redirectUri: string;
  codeChallenge?: string;
  scope: string;
  nonce?: string;
  claims?: string;
  oid: string;
  authTime: number;
  cloud: string;
  expiresAt: number;
  redeemed: boolean;
}

/** An issued refresh token. */
export interface RefreshTokenRecord {
  clientId: string;
  familyId?: string;
  oid: string;
  authTime: number;
  cloud: string;
  issuedAt: number;
  expiresAt: number;
  revoked: boolean;
}

/** A device code and the state of its user's decision. */
export interface DeviceCodeRecord {
  deviceCode: string;
  userCode: string;
  clientId: string;
  scope: string;
  tenant: TenantRef;
  cloud: string;
  expiresAt: number;
  interval: number;
  lastPollAt?: number;
  status: "pending" | "approved" | "declined";
  oid?: string;
  authTime?: number;
}

/** All mutable state of one emulator. */
export class EmulatorStore {
  /** Browser sessions by id. */
  readonly sessions: Map<string, Session> = new Map();
  /** Pending sign-ins by id. */
  readonly pending: Map<string, PendingSignIn> = new Map();
  /** Authorization codes by code. */
  readonly codes: Map<string, AuthCodeRecord> = new Map();
  /** Refresh tokens by token. */
  readonly refreshTokens: Map<string, RefreshTokenRecord> = new Map();
  /** Device codes by device code. */
  readonly deviceCodes: Map<string, DeviceCodeRecord> = new Map();
  /** Consents as `oid|clientId`. */
  readonly consents: Set<string> = new Set();

  /**
   * Finds a device code by its user code (case-insensitive).
   *
   * @param userCode The code the user typed.
   * @returns The record, if any.
   * @example
   * ```ts
   * import { EmulatorStore } from "./store.ts";
   * console.log(new EmulatorStore().byUserCode("ABC")); // undefined
   * ```
   */
  byUserCode(userCode: string): DeviceCodeRecord | undefined {
    const wanted = userCode.trim().toUpperCase();
    for (const record of this.deviceCodes.values()) {
      if (record.userCode === wanted) return record;
    }
    return undefined;
  }

  /**
   * Whether a user has consented to an app.
   *
   * @param oid The user.
   * @param clientId The app.
   * @returns True after consent.
   * @example
   * ```ts
   * import { EmulatorStore } from "./store.ts";
   * console.log(new EmulatorStore().hasConsent("u", "c")); // false
   * ```
   */
  hasConsent(oid: string, clientId: string): boolean {
    return this.consents.has(`${oid}|${clientId}`);
  }

  /**
   * Records a user's consent to an app.
   *
   * @param oid The user.
   * @param clientId The app.
   * @example
   * ```ts
   * import { EmulatorStore } from "./store.ts";
   * new EmulatorStore().grantConsent("u", "c");
   * ```
   */
  grantConsent(oid: string, clientId: string): void {
    this.consents.add(`${oid}|${clientId}`);
  }
}
