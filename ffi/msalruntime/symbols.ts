/**
 * The MSALRuntime C API (0.20.x), declared once in entra-auth's neutral notation with the C
 * prototype beside each entry. Every function returns an `MSALRUNTIME_ERROR_HANDLE` (NULL is
 * success) unless noted. `os_char` is UTF-8 `char` on Linux/macOS and UTF-16 `wchar_t` on
 * Windows: both are `"buffer"` here. `WINDOW_HANDLE` is `int64_t` on Linux/macOS and `void*`
 * on Windows, so the table is built per platform.
 *
 * @module
 */

import type { SymbolTable } from "../types.ts";

/**
 * Builds the symbol table for a platform.
 *
 * @param windows whether the library is the Windows DLL (window handle is a pointer)
 * @returns the table
 */
export function msalRuntimeSymbols(windows: boolean) {
  const HWND = windows ? "pointer" : "i64";
  return {
    // ---- lifecycle (MSALRuntime.h)
    /** MSALRUNTIME_ERROR_HANDLE MSALRUNTIME_Startup(void): pings the broker over D-Bus (5 s when frozen) */
    MSALRUNTIME_Startup: { parameters: [], result: "pointer", nonblocking: true, mayBlock: true },
    /** void MSALRUNTIME_Shutdown(void): blocks while a broker call is outstanding */
    MSALRUNTIME_Shutdown: { parameters: [], result: "void", nonblocking: true },

    // ---- async operations (MSALRuntime.h); all end with (callback, void* data, ASYNC_HANDLE* out)
    /** ReadAccountByIdAsync(const os_char* accountId, const os_char* correlationId, READ_ACCOUNT_COMPLETION_ROUTINE, void*, ASYNC_HANDLE*) */
    MSALRUNTIME_ReadAccountByIdAsync: {
      parameters: ["buffer", "buffer", "function", "pointer", "buffer"],
      result: "pointer",
      nonblocking: true,
    },
    /** SignInAsync(WINDOW_HANDLE, AUTH_PARAMETERS_HANDLE, const os_char* correlationId, const os_char* accountHint, COMPLETION_ROUTINE, void*, ASYNC_HANDLE*) */
    MSALRUNTIME_SignInAsync: {
      parameters: [HWND, "pointer", "buffer", "buffer", "function", "pointer", "buffer"],
      result: "pointer",
      nonblocking: true,
    },
    /** SignInSilentlyAsync(AUTH_PARAMETERS_HANDLE, const os_char* correlationId, COMPLETION_ROUTINE, void*, ASYNC_HANDLE*) */
    MSALRUNTIME_SignInSilentlyAsync: {
      parameters: ["pointer", "buffer", "function", "pointer", "buffer"],
      result: "pointer",
      nonblocking: true,
    },
    /** SignInInteractivelyAsync(WINDOW_HANDLE, AUTH_PARAMETERS_HANDLE, const os_char* correlationId, const os_char* accountHint, COMPLETION_ROUTINE, void*, ASYNC_HANDLE*) */
    MSALRUNTIME_SignInInteractivelyAsync: {
      parameters: [HWND, "pointer", "buffer", "buffer", "function", "pointer", "buffer"],
      result: "pointer",
      nonblocking: true,
    },
    /** AcquireTokenSilentlyAsync(AUTH_PARAMETERS_HANDLE, const os_char* correlationId, ACCOUNT_HANDLE, COMPLETION_ROUTINE, void*, ASYNC_HANDLE*) */
    MSALRUNTIME_AcquireTokenSilentlyAsync: {
      parameters: ["pointer", "buffer", "pointer", "function", "pointer", "buffer"],
      result: "pointer",
      nonblocking: true,
    },
    /** AcquireTokenInteractivelyAsync(WINDOW_HANDLE, AUTH_PARAMETERS_HANDLE, const os_char* correlationId, ACCOUNT_HANDLE, COMPLETION_ROUTINE, void*, ASYNC_HANDLE*) */
    MSALRUNTIME_AcquireTokenInteractivelyAsync: {
      parameters: [HWND, "pointer", "buffer", "pointer", "function", "pointer", "buffer"],
      result: "pointer",
      nonblocking: true,
    },
    /** SignOutSilentlyAsync(const os_char* clientId, const os_char* correlationId, ACCOUNT_HANDLE, SIGNOUT_COMPLETION_ROUTINE, void*, ASYNC_HANDLE*) */
    MSALRUNTIME_SignOutSilentlyAsync: {
      parameters: ["buffer", "buffer", "pointer", "function", "pointer", "buffer"],
      result: "pointer",
      nonblocking: true,
    },
    /** DiscoverAccountsAsync(const os_char* clientId, const os_char* correlationId, DISCOVER_ACCOUNTS_COMPLETION_ROUTINE, void*, ASYNC_HANDLE*) */
    MSALRUNTIME_DiscoverAccountsAsync: {
      parameters: ["buffer", "buffer", "function", "pointer", "buffer"],
      result: "pointer",
      nonblocking: true,
    },

    // ---- cancellation (MSALRuntimeCancel.h)
    /**
     * CancelAsyncOperation(ASYNC_HANDLE): for an interactive request it sends
     * `cancelInteractiveFlow` with a blocking D-Bus call that cannot go out while a worker waits
     * on the interactive reply, so it may block until the broker answers: never inline.
     */
    MSALRUNTIME_CancelAsyncOperation: {
      parameters: ["pointer"],
      result: "pointer",
      nonblocking: true,
      mayBlock: true,
    },
    /** ReleaseAsyncHandle(ASYNC_HANDLE) */
    MSALRUNTIME_ReleaseAsyncHandle: { parameters: ["pointer"], result: "pointer" },

    // ---- logging (MSALRuntimeLogging.h)
    /** RegisterLogCallback(LOG_CALLBACK_ROUTINE, void* data, LOG_CALLBACK_HANDLE* out) */
    MSALRUNTIME_RegisterLogCallback: {
      parameters: ["function", "pointer", "buffer"],
      result: "pointer",
    },
    /** ReleaseLogCallbackHandle(LOG_CALLBACK_HANDLE) */
    MSALRUNTIME_ReleaseLogCallbackHandle: { parameters: ["pointer"], result: "pointer" },
    /** void SetIsPiiEnabled(int32_t enabled): exactly 1 enables */
    MSALRUNTIME_SetIsPiiEnabled: { parameters: ["i32"], result: "void" },

    // ---- auth parameters (MSALRuntimeAuthParameters.h)
    /** CreateAuthParameters(const os_char* clientId, const os_char* authority, AUTH_PARAMETERS_HANDLE* out) */
    MSALRUNTIME_CreateAuthParameters: {
      parameters: ["buffer", "buffer", "buffer"],
      result: "pointer",
    },
    /** ReleaseAuthParameters(AUTH_PARAMETERS_HANDLE) */
    MSALRUNTIME_ReleaseAuthParameters: { parameters: ["pointer"], result: "pointer" },
    /** SetRequestedScopes(AUTH_PARAMETERS_HANDLE, const os_char* scopes): space-separated */
    MSALRUNTIME_SetRequestedScopes: { parameters: ["pointer", "buffer"], result: "pointer" },
    /** SetRedirectUri(AUTH_PARAMETERS_HANDLE, const os_char* redirectUri) */
    MSALRUNTIME_SetRedirectUri: { parameters: ["pointer", "buffer"], result: "pointer" },
    /** SetDecodedClaims(AUTH_PARAMETERS_HANDLE, const os_char* claimsJson) */
    MSALRUNTIME_SetDecodedClaims: { parameters: ["pointer", "buffer"], result: "pointer" },
    /** SetAccessTokenToRenew(AUTH_PARAMETERS_HANDLE, const os_char* accessToken) */
    MSALRUNTIME_SetAccessTokenToRenew: { parameters: ["pointer", "buffer"], result: "pointer" },
    /** SetPopParams(AUTH_PARAMETERS_HANDLE, const os_char* httpMethod, const os_char* uriHost, const os_char* uriPath, const os_char* nonce) */
    MSALRUNTIME_SetPopParams: {
      parameters: ["pointer", "buffer", "buffer", "buffer", "buffer"],
      result: "pointer",
    },
    /** SetAdditionalParameter(AUTH_PARAMETERS_HANDLE, const os_char* key, const os_char* value) */
    MSALRUNTIME_SetAdditionalParameter: {
      parameters: ["pointer", "buffer", "buffer"],
      result: "pointer",
    },

    // ---- auth result (MSALRuntimeAuthResult.h); string getters: (handle, os_char* buf, int32_t* size)
    /** ReleaseAuthResult(AUTH_RESULT_HANDLE) */
    MSALRUNTIME_ReleaseAuthResult: { parameters: ["pointer"], result: "pointer" },
    /** GetAccount(AUTH_RESULT_HANDLE, ACCOUNT_HANDLE* out): NULL account on failure */
    MSALRUNTIME_GetAccount: { parameters: ["pointer", "buffer"], result: "pointer" },
    /** GetIdToken(AUTH_RESULT_HANDLE, os_char*, int32_t*): the decoded claims JSON */
    MSALRUNTIME_GetIdToken: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
    /** GetRawIdToken(AUTH_RESULT_HANDLE, os_char*, int32_t*): the JWT */
    MSALRUNTIME_GetRawIdToken: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
    /** GetAccessToken(AUTH_RESULT_HANDLE, os_char*, int32_t*) */
    MSALRUNTIME_GetAccessToken: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
    /** GetGrantedScopes(AUTH_RESULT_HANDLE, os_char*, int32_t*): space-separated */
    MSALRUNTIME_GetGrantedScopes: {
      parameters: ["pointer", "buffer", "buffer"],
      result: "pointer",
    },
    /** GetAuthorizationHeader(AUTH_RESULT_HANDLE, os_char*, int32_t*): "pop …" or empty */
    MSALRUNTIME_GetAuthorizationHeader: {
      parameters: ["pointer", "buffer", "buffer"],
      result: "pointer",
    },
    /** GetTelemetryData(AUTH_RESULT_HANDLE, os_char*, int32_t*): JSON object */
    MSALRUNTIME_GetTelemetryData: {
      parameters: ["pointer", "buffer", "buffer"],
      result: "pointer",
    },
    /** IsPopAuthorization(AUTH_RESULT_HANDLE, bool_t* out): 4-byte bool */
    MSALRUNTIME_IsPopAuthorization: { parameters: ["pointer", "buffer"], result: "pointer" },
    /** GetExpiresOn(AUTH_RESULT_HANDLE, int64_t* out): Unix seconds */
    MSALRUNTIME_GetExpiresOn: { parameters: ["pointer", "buffer"], result: "pointer" },
    /** GetError(AUTH_RESULT_HANDLE, ERROR_HANDLE* out): NULL when the operation succeeded */
    MSALRUNTIME_GetError: { parameters: ["pointer", "buffer"], result: "pointer" },

    // ---- account (MSALRuntimeAccount.h); string getters: (ACCOUNT_HANDLE, os_char*, int32_t*)
    /** ReleaseAccount(ACCOUNT_HANDLE) */
    MSALRUNTIME_ReleaseAccount: { parameters: ["pointer"], result: "pointer" },
    /** GetAccountId: the id ReadAccountByIdAsync takes */
    MSALRUNTIME_GetAccountId: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
    /** GetHomeAccountId: "uid.utid" */
    MSALRUNTIME_GetHomeAccountId: {
      parameters: ["pointer", "buffer", "buffer"],
      result: "pointer",
    },
    /** GetEnvironment: e.g. login.microsoftonline.com */
    MSALRUNTIME_GetEnvironment: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
    /** GetRealm: the tenant id */
    MSALRUNTIME_GetRealm: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
    /** GetLocalAccountId: the object id in the tenant */
    MSALRUNTIME_GetLocalAccountId: {
      parameters: ["pointer", "buffer", "buffer"],
      result: "pointer",
    },
    /** GetUserName: the UPN */
    MSALRUNTIME_GetUserName: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
    /** GetGivenName */
    MSALRUNTIME_GetGivenName: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
    /** GetFamilyName */
    MSALRUNTIME_GetFamilyName: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
    /** GetMiddleName */
    MSALRUNTIME_GetMiddleName: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
    /** GetDisplayName */
    MSALRUNTIME_GetDisplayName: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
    /** GetClientInfo: base64url {uid, utid} */
    MSALRUNTIME_GetClientInfo: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
    /** GetAdditionalFieldsJson: JSON object of extra fields */
    MSALRUNTIME_GetAdditionalFieldsJson: {
      parameters: ["pointer", "buffer", "buffer"],
      result: "pointer",
    },
    /** GetHomeEnvironment */
    MSALRUNTIME_GetHomeEnvironment: {
      parameters: ["pointer", "buffer", "buffer"],
      result: "pointer",
    },

    // ---- sign-out result (MSALRuntimeSignoutResult.h)
    /** ReleaseSignOutResult(SIGNOUT_RESULT_HANDLE) */
    MSALRUNTIME_ReleaseSignOutResult: { parameters: ["pointer"], result: "pointer" },
    /** GetSignOutError(SIGNOUT_RESULT_HANDLE, ERROR_HANDLE* out) */
    MSALRUNTIME_GetSignOutError: { parameters: ["pointer", "buffer"], result: "pointer" },
    /** GetSignOutTelemetryData(SIGNOUT_RESULT_HANDLE, os_char*, int32_t*) */
    MSALRUNTIME_GetSignOutTelemetryData: {
      parameters: ["pointer", "buffer", "buffer"],
      result: "pointer",
    },

    // ---- read-account result (MSALRuntimeReadAccountResult.h)
    /** ReleaseReadAccountResult(READ_ACCOUNT_RESULT_HANDLE) */
    MSALRUNTIME_ReleaseReadAccountResult: { parameters: ["pointer"], result: "pointer" },
    /** GetReadAccount(READ_ACCOUNT_RESULT_HANDLE, ACCOUNT_HANDLE* out): errors (16) when absent */
    MSALRUNTIME_GetReadAccount: { parameters: ["pointer", "buffer"], result: "pointer" },
    /** GetReadAccountError(READ_ACCOUNT_RESULT_HANDLE, ERROR_HANDLE* out) */
    MSALRUNTIME_GetReadAccountError: { parameters: ["pointer", "buffer"], result: "pointer" },
    /** GetReadAccountTelemetryData(READ_ACCOUNT_RESULT_HANDLE, os_char*, int32_t*) */
    MSALRUNTIME_GetReadAccountTelemetryData: {
      parameters: ["pointer", "buffer", "buffer"],
      result: "pointer",
    },

    // ---- discover-accounts result (MSALRuntimeDiscoverAccountsResult.h)
    /** ReleaseDiscoverAccountsResult(DISCOVER_ACCOUNTS_RESULT_HANDLE) */
    MSALRUNTIME_ReleaseDiscoverAccountsResult: { parameters: ["pointer"], result: "pointer" },
    /** GetDiscoverAccountsAt(DISCOVER_ACCOUNTS_RESULT_HANDLE, int32_t index, ACCOUNT_HANDLE* out): NULL past the end */
    MSALRUNTIME_GetDiscoverAccountsAt: {
      parameters: ["pointer", "i32", "buffer"],
      result: "pointer",
    },
    /** GetDiscoverAccountsError(DISCOVER_ACCOUNTS_RESULT_HANDLE, ERROR_HANDLE* out) */
    MSALRUNTIME_GetDiscoverAccountsError: { parameters: ["pointer", "buffer"], result: "pointer" },
    /** GetDiscoverAccountsTelemetryData(DISCOVER_ACCOUNTS_RESULT_HANDLE, os_char*, int32_t*) */
    MSALRUNTIME_GetDiscoverAccountsTelemetryData: {
      parameters: ["pointer", "buffer", "buffer"],
      result: "pointer",
    },

    // ---- errors (MSALRuntimeError.h)
    /** bool_t ReleaseError(ERROR_HANDLE): returns 1 for any non-NULL handle */
    MSALRUNTIME_ReleaseError: { parameters: ["pointer"], result: "i32" },
    /** GetStatus(ERROR_HANDLE, MSALRUNTIME_RESPONSE_STATUS* out): int32 enum */
    MSALRUNTIME_GetStatus: { parameters: ["pointer", "buffer"], result: "pointer" },
    /** GetErrorCode(ERROR_HANDLE, int64_t* out) */
    MSALRUNTIME_GetErrorCode: { parameters: ["pointer", "buffer"], result: "pointer" },
    /** GetTag(ERROR_HANDLE, int32_t* out) */
    MSALRUNTIME_GetTag: { parameters: ["pointer", "buffer"], result: "pointer" },
    /** GetContext(ERROR_HANDLE, os_char*, int32_t*): PII-redacted unless PII is enabled */
    MSALRUNTIME_GetContext: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },

    // ---- SSO policy: not in public headers; inferred GetSsoPolicy(MSALRUNTIME_SSO_POLICY_TYPE* out)
    MSALRUNTIME_GetSsoPolicy: { parameters: ["buffer"], result: "pointer", optional: true },
  } as const satisfies SymbolTable;
}

/** The MSALRuntime symbol table type. */
export type MsalRuntimeSymbols = ReturnType<typeof msalRuntimeSymbols>;

/** The same table with every function run off the JavaScript thread. */
export type OffThreadSymbols<T extends SymbolTable> = {
  readonly [K in keyof T]: T[K] & { readonly nonblocking: true; };
};

/**
 * Marks every function of a table `nonblocking`. Used once a log callback is registered:
 * MSALRuntime calls it while holding its logger lock, and Deno and koffi make that thread wait
 * for the JavaScript thread, so the JavaScript thread must never be inside a call that logs.
 *
 * @param table a symbol table
 * @returns the table with `nonblocking: true` on every entry
 */
export function offThread<T extends SymbolTable>(table: T): OffThreadSymbols<T> {
  const out: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(table)) out[name] = { ...def, nonblocking: true };
  return out as OffThreadSymbols<T>;
}
