/**
 * Reading and writing MSALRuntime's handles: auth parameters in, results, accounts, errors
 * and strings out (the sized-getter convention), each handle released exactly once. The
 * binding's plumbing; it never decides anything.
 *
 * @module
 */

import { brokerErrorFrom, type BrokerErrorInfo } from "../../src/errors.ts";
import { encodeString, readSizedStringAsync, type StringEncoding } from "../strings.ts";
import {
  type Lib,
  RuntimeAccount,
  type RuntimeAccountData,
  type RuntimeAuthParameters,
  type RuntimeAuthResult,
} from "./types.ts";

/** MSALRUNTIME_RESPONSE_STATUS InsufficientBuffer. */
export const STATUS_INSUFFICIENT_BUFFER = 10;

/**
 * First buffer of a token getter: tokens (about 1–2 KB) fit, so one call usually does. Other
 * getters start smaller, sized to their usual values; a larger value costs one more call.
 */
const TOKEN_UNITS = 4096;

/** The handle reader and writer of one MsalRuntime (internal to ffi/msalruntime). */
export class NativeIo {
  readonly #getLib: () => Lib;
  readonly #enc: StringEncoding;

  /**
   * @param getLib the bound functions in use (they change once a log callback exists)
   * @param encoding `utf8` (Linux, macOS) or `utf16` (Windows)
   */
  constructor(getLib: () => Lib, encoding: StringEncoding) {
    this.#getLib = getLib;
    this.#enc = encoding;
  }

  get #lib(): Lib {
    return this.#getLib();
  }

  /** Encodes a string as the platform's `os_char`. */
  str(value: string): Uint8Array | Uint16Array {
    return encodeString(value, this.#enc);
  }

  async createParameters(p: RuntimeAuthParameters): Promise<bigint> {
    const lib = this.#lib;
    const out = new BigUint64Array(1);
    await this.check(
      await lib.MSALRUNTIME_CreateAuthParameters(
        this.str(p.clientId),
        this.str(p.authority),
        out,
      ),
    );
    const h = out[0];
    try {
      await this.check(await lib.MSALRUNTIME_SetRequestedScopes(h, this.str(p.scopes.join(" "))));
      await this.check(await lib.MSALRUNTIME_SetRedirectUri(h, this.str(p.redirectUri)));
      if (p.claims) {
        await this.check(await lib.MSALRUNTIME_SetDecodedClaims(h, this.str(p.claims)));
      }
      if (p.accessTokenToRenew) {
        await this.check(
          await lib.MSALRUNTIME_SetAccessTokenToRenew(h, this.str(p.accessTokenToRenew)),
        );
      }
      if (p.pop) {
        await this.check(
          await lib.MSALRUNTIME_SetPopParams(
            h,
            this.str(p.pop.method),
            this.str(p.pop.host),
            this.str(p.pop.path ?? ""),
            this.str(p.pop.nonce ?? ""),
          ),
        );
      }
      for (const [key, value] of Object.entries(p.additionalParameters ?? {})) {
        await this.check(
          await lib.MSALRUNTIME_SetAdditionalParameter(h, this.str(key), this.str(value)),
        );
      }
      return h;
    } catch (err) {
      await this.release("ReleaseAuthParameters", h);
      throw err;
    }
  }

  async readAuthResult(
    result: bigint,
    operation: string,
    readAccount: boolean,
  ): Promise<RuntimeAuthResult> {
    const lib = this.#lib;
    await this.throwResultError(operation, (out) => lib.MSALRUNTIME_GetError(result, out));
    let account: RuntimeAccount | undefined;
    if (readAccount) {
      const accountOut = new BigUint64Array(1);
      await this.check(await lib.MSALRUNTIME_GetAccount(result, accountOut));
      if (accountOut[0] !== 0n) account = await this.account(accountOut[0]);
    }
    try {
      const expires = new BigInt64Array(1);
      await this.check(await lib.MSALRUNTIME_GetExpiresOn(result, expires));
      const pop = new Int32Array(1);
      await this.check(await lib.MSALRUNTIME_IsPopAuthorization(result, pop));
      return {
        account,
        idTokenClaims: await this.getString(lib.MSALRUNTIME_GetIdToken, result, 2048),
        rawIdToken: await this.getString(lib.MSALRUNTIME_GetRawIdToken, result, TOKEN_UNITS),
        accessToken: await this.getString(lib.MSALRUNTIME_GetAccessToken, result, TOKEN_UNITS),
        grantedScopes: await this.getString(lib.MSALRUNTIME_GetGrantedScopes, result, 512),
        authorizationHeader: await this.getString(
          lib.MSALRUNTIME_GetAuthorizationHeader,
          result,
          TOKEN_UNITS,
        ),
        telemetry: await this.getString(lib.MSALRUNTIME_GetTelemetryData, result, 2048),
        expiresOn: Number(expires[0]),
        isPop: pop[0] !== 0,
      };
    } catch (err) {
      account?.close();
      throw err;
    }
  }

  async account(handle: bigint): Promise<RuntimeAccount> {
    const lib = this.#lib;
    const get = (fn: Lib["MSALRUNTIME_GetAccountId"]) => this.getString(fn, handle, 256);
    try {
      const data: RuntimeAccountData = {
        accountId: await get(lib.MSALRUNTIME_GetAccountId),
        homeAccountId: await get(lib.MSALRUNTIME_GetHomeAccountId),
        environment: await get(lib.MSALRUNTIME_GetEnvironment),
        realm: await get(lib.MSALRUNTIME_GetRealm),
        localAccountId: await get(lib.MSALRUNTIME_GetLocalAccountId),
        username: await get(lib.MSALRUNTIME_GetUserName),
        name: await get(lib.MSALRUNTIME_GetDisplayName),
        givenName: await get(lib.MSALRUNTIME_GetGivenName),
        familyName: await get(lib.MSALRUNTIME_GetFamilyName),
        clientInfo: await get(lib.MSALRUNTIME_GetClientInfo),
      };
      return new RuntimeAccount(handle, data, (h) => void this.release("ReleaseAccount", h));
    } catch (err) {
      await this.release("ReleaseAccount", handle);
      throw err;
    }
  }

  /** Reads a string through the sized-getter convention, releasing InsufficientBuffer errors. */
  getString(
    fn: (
      handle: bigint,
      buffer: ArrayBufferView | null,
      size: ArrayBufferView | null,
    ) => Promise<bigint>,
    handle: bigint,
    initialUnits: number,
  ): Promise<string> {
    return readSizedStringAsync(this.#enc, async (buffer, size) => {
      const err = await fn(handle, buffer, size);
      if (err === 0n) return true;
      // The common case, a buffer too small, needs only the status (then a second call).
      const status = new Int32Array(1);
      const statusErr = await this.#lib.MSALRUNTIME_GetStatus(err, status);
      if (statusErr === 0n && status[0] === STATUS_INSUFFICIENT_BUFFER) {
        await this.#lib.MSALRUNTIME_ReleaseError(err);
        return false;
      }
      await this.releaseError(statusErr);
      throw brokerErrorFrom(await this.readError(err), "string getter");
    }, initialUnits);
  }

  async throwResultError(
    operation: string,
    getError: (out: BigUint64Array) => Promise<bigint>,
  ): Promise<void> {
    const out = new BigUint64Array(1);
    await this.check(await getError(out));
    if (out[0] !== 0n) throw brokerErrorFrom(await this.readError(out[0]), operation);
  }

  async check(err: bigint): Promise<void> {
    if (err !== 0n) throw brokerErrorFrom(await this.readError(err), "MSALRuntime");
  }

  /** Reads an error handle's status, code, tag and context, then releases it. */
  async readError(err: bigint): Promise<BrokerErrorInfo> {
    const lib = this.#lib;
    try {
      const status = new Int32Array(1);
      const code = new BigInt64Array(1);
      const tag = new Int32Array(1);
      await this.releaseError(await lib.MSALRUNTIME_GetStatus(err, status));
      await this.releaseError(await lib.MSALRUNTIME_GetErrorCode(err, code));
      await this.releaseError(await lib.MSALRUNTIME_GetTag(err, tag));
      let context = "";
      try {
        context = await readSizedStringAsync(this.#enc, async (buffer, size) => {
          const e = await lib.MSALRUNTIME_GetContext(err, buffer, size);
          if (e === 0n) return true;
          await this.releaseError(e);
          return false;
        }, 512);
      } catch {
        // keep the status; the context is only informative
      }
      return { status: status[0], errorCode: Number(code[0]), tag: tag[0] >>> 0, context };
    } finally {
      await lib.MSALRUNTIME_ReleaseError(err);
    }
  }

  /** Releases a handle with its Release function; an error from the release is released too. */
  async release(
    fn:
      | "ReleaseAuthResult"
      | "ReleaseSignOutResult"
      | "ReleaseReadAccountResult"
      | "ReleaseDiscoverAccountsResult"
      | "ReleaseAuthParameters"
      | "ReleaseAsyncHandle"
      | "ReleaseAccount",
    handle: bigint,
  ): Promise<void> {
    await this.releaseError(await this.#lib[`MSALRUNTIME_${fn}`](handle));
  }

  async releaseError(err: bigint): Promise<void> {
    if (err !== 0n) await this.#lib.MSALRUNTIME_ReleaseError(err);
  }
}
