/**
 * `entra-auth token` and `entra-auth kube` served from the persistent cache in a process that
 * loads nothing else: no `PublicClientApplication`, no broker binding, no network flows, no
 * lock, and (in Deno) no `node:` module. Scripts and kubectl start a new process per call, so
 * this is what their every call costs.
 *
 * It applies the rules of the full commands, from the same functions: the flag tables and
 * outputs (`token_request.ts`, `kube_request.ts`), the settings (`settings.ts`: flags, environment, profile), the cache
 * path (`cache_path.ts`), the file's trust check (`trust.ts`), the MSAL-format cache reader
 * (`TokenCache`), the account choice (`pick_account.ts`), the request checks
 * (`request_checks.ts`, `parseAuthority`), the access token look-up with its expiry and
 * refresh margins (`TokenCache.findAccessToken`). It answers only
 * when all of that yields a valid token; in every other case (a flag it does not parse, an
 * error of any kind, no file, a plaintext file it would have to judge or repair, an expired
 * or refresh-due token, `--verbose`, `kube` without `KUBERNETES_EXEC_INFO`, Windows) it
 * gives a reason and changes nothing, and the
 * caller runs the full command, which decides, reports errors and repairs exactly as before.
 *
 * A plaintext cache is read here (through `ffi/host.ts`: in Deno no `node:` module is
 * loaded). A keyring-encrypted one (the default) is read by `PersistentCache` itself, so its
 * key look-up, decryption, locking-free reading and keeping aside of an unreadable file are
 * the very same; its failures (no keyring, a locked one) are reported as the full command
 * reports them, since it would meet them first and the keyring must not be asked twice.
 *
 * @module
 */

import type { HostFile, ProcessHost } from "../../ffi/host.ts";
import { parseAuthority } from "../authority.ts";
import { authenticationResultFrom } from "../cache/result.ts";
import { TokenCache } from "../cache/token_cache.ts";
import { cachePathIn } from "../persistence/cache_path.ts";
import { isEncrypted } from "../persistence/envelope.ts";
import { untrustedFile } from "../persistence/trust.ts";
import { checkScopes, silentAccount } from "../request_checks.ts";
import type { AuthenticationResult } from "../result.ts";
import { type Parsed, parseSimple, settingFlags } from "./flags.ts";
import {
  execCredential,
  KUBE_FLAGS,
  kubeScope,
  loginMethod,
  readExecInfo,
} from "./kube_request.ts";
import { cliLogger, logsVerbose } from "./logging.ts";
import { pickAccount } from "./pick_account.ts";
import { posixJoin } from "./posix_path.ts";
import {
  type CliSettings,
  configPathIn,
  resolveSettingsIn,
  type SettingFlags,
  type SettingsSystem,
} from "./settings.ts";
import { OUTPUTS, scopesOf, TOKEN_FLAGS, tokenOutput } from "./token_request.ts";

/**
 * What the fast path found: the text to print; or why the full command must run; or a
 * failure of the keyring-encrypted cache to report as the full command would (it would meet
 * the same failure first, and asking the keyring again could prompt the user twice).
 */
export type CachedAnswer = { output: string; } | { reason: string; } | { failure: unknown; };

/** The services the fast path uses (a subset of {@link ProcessHost}). */
export type CacheHost = Pick<
  ProcessHost,
  "env" | "platform" | "homedir" | "uid" | "readFile" | "write"
>;

/** A call the fast path may answer, checked as the full command checks it. */
interface Plan {
  settings: CliSettings;
  scopes: string[];
  /** `--account`. */
  account: string | undefined;
  /** What to print for the token. */
  render: (result: AuthenticationResult) => string;
  authority: string;
  home: string;
}

/** A command's own part of a {@link Plan}, or why the full command must run. */
type Request =
  | {
    values: Parsed["values"];
    flags: SettingFlags;
    scopes: string[];
    render: (result: AuthenticationResult) => string;
  }
  | { reason: string; };

/**
 * Answers `entra-auth token <argv>` from the persistent cache when it can.
 *
 * @param argv the arguments after `token`
 * @param host the process's services
 * @returns the text for stdout, the reason to run the full command, or a cache failure to
 *   report; never throws
 * @example
 * ```ts ignore
 * import { processHost } from "../../ffi/host.ts";
 * import { tokenFromCache } from "./token_from_cache.ts";
 * const host = await processHost();
 * const answer = await tokenFromCache(["--scope", "User.Read", "--client-id", "…"], host);
 * if ("output" in answer) await host.write(1, new TextEncoder().encode(answer.output));
 * ```
 */
export function tokenFromCache(argv: string[], host: CacheHost): Promise<CachedAnswer> {
  return answer(() => tokenRequest(argv), host);
}

/**
 * Answers `entra-auth kube <argv>` (kubectl's exec credential plug-in) from the persistent
 * cache when it can, as {@link tokenFromCache} does for `token`.
 *
 * @param argv the arguments after `kube` (or `get-token`)
 * @param host the process's services
 * @returns the `ExecCredential` for stdout, the reason to run the full command, or a cache
 *   failure to report; never throws
 * @example
 * ```ts ignore
 * import { processHost } from "../../ffi/host.ts";
 * import { kubeFromCache } from "./token_from_cache.ts";
 * const host = await processHost();
 * const answer = await kubeFromCache(["--server-id", "…", "--client-id", "…"], host);
 * ```
 */
export function kubeFromCache(argv: string[], host: CacheHost): Promise<CachedAnswer> {
  return answer(() => kubeRequest(argv, host), host);
}

async function answer(request: () => Request, host: CacheHost): Promise<CachedAnswer> {
  try {
    const plan = await prepare(request(), host);
    if ("reason" in plan) return plan;
    return plan.settings.cache === "keyring"
      ? await fromEncryptedCache(plan, host)
      : await fromPlaintextCache(plan, host);
  } catch (err) {
    // The full command meets the same error and reports it as it always has.
    return { reason: `error (${(err as Error)?.name ?? "unknown"})` };
  }
}

/** `token`'s checks before its session is made (`commands/token.ts`). */
function tokenRequest(argv: string[]): Request {
  const values = parseSimple(argv, TOKEN_FLAGS);
  if (!values) return { reason: "arguments" };
  if (values.help || values["force-refresh"]) return { reason: "flags" };
  const scopes = scopesOf(values);
  const output = (values.output as string | undefined) ?? "token";
  if (scopes.length === 0 || !OUTPUTS.includes(output)) return { reason: "usage" };
  return {
    values,
    flags: settingFlags(values),
    scopes,
    render: (result) => tokenOutput(output, result),
  };
}

/** `kube`'s checks before its session is made (`commands/kube.ts`). */
function kubeRequest(argv: string[], host: CacheHost): Request {
  const values = parseSimple(argv, KUBE_FLAGS);
  if (!values) return { reason: "arguments" };
  const serverId = values["server-id"] as string | undefined;
  if (values.help || !serverId) return { reason: "flags" };
  const login = loginMethod(host.env, values.login as string | undefined);
  // Run by hand, whether it may prompt depends on a terminal: the full command asks.
  if (!host.env.KUBERNETES_EXEC_INFO) return { reason: "no KUBERNETES_EXEC_INFO" };
  const exec = readExecInfo(host.env.KUBERNETES_EXEC_INFO, false);
  const flags = settingFlags(values);
  flags.tenant ??= values["tenant-id"] as string | undefined;
  if (login === "broker") flags.broker ??= "on";
  return {
    values,
    flags,
    scopes: [kubeScope(serverId)],
    render: (result) => execCredential(exec, result),
  };
}

/** The settings and request checks, as the full command makes them. */
async function prepare(request: Request, host: CacheHost): Promise<Plan | { reason: string; }> {
  if ("reason" in request) return request;
  const { values, scopes } = request;
  // Logging beyond warnings: the full command's lines (its set-up's included) are wanted.
  if (logsVerbose(host.env, Boolean(values.verbose))) return { reason: "logging" };
  // POSIX only: Windows paths are left to node:path in the full command.
  if (host.platform === "win32") return { reason: "platform" };
  const home = host.homedir();
  if (home === undefined) return { reason: "home" };
  const where = { platform: host.platform, homedir: () => home, join: posixJoin };
  // The settings read the config file synchronously; the host reads asynchronously: read it
  // first, and hand the settings its text (or the error, which they report as they would).
  const configPath = configPathIn(host.env, where);
  const config = await host.readFile(configPath).then(
    (file) => ({ file }),
    (error: unknown) => ({ error }),
  );
  const system: SettingsSystem = {
    ...where,
    readText: (path) => {
      if (path !== configPath) throw new Error(`unexpected read of ${path}`);
      if ("error" in config) throw config.error;
      const { file } = config;
      return file && new TextDecoder("utf-8", { ignoreBOM: true }).decode(file.bytes);
    },
  };
  const settings = resolveSettingsIn(request.flags, host.env, system);
  if (settings.cache === "none") return { reason: "no cache" };
  // What the application's constructor and acquireTokenSilent check before the cache.
  const authority = parseAuthority(settings.authority, {
    knownAadHosts: settings.knownAuthorityHosts,
  }).url;
  checkScopes(scopes);
  return {
    settings,
    scopes,
    account: values.account as string | undefined,
    render: request.render,
    authority,
    home,
  };
}

async function fromPlaintextCache(plan: Plan, host: CacheHost): Promise<CachedAnswer> {
  const path = plan.settings.cachePath
    ?? cachePathIn("token_cache", {
      platform: host.platform,
      env: host.env,
      home: plan.home,
      join: posixJoin,
    });
  const file = await host.readFile(path);
  if (!file) return { reason: "no cache file" };
  if (!trusted(path, file, host)) return { reason: "untrusted file" };
  // An encrypted file opened as plaintext is an error of the full command's.
  if (isEncrypted(file.bytes)) return { reason: "encrypted file" };
  const cache = new TokenCache();
  try {
    cache.deserialize(new TextDecoder().decode(file.bytes));
  } catch {
    // Maybe being rewritten, maybe corrupt: the full command judges and keeps it aside.
    return { reason: "unreadable file" };
  }
  return lookUp(cache, plan);
}

/**
 * A keyring-encrypted cache is read by the persistent cache itself (its key look-up, its
 * decryption and its handling of an unreadable file), then looked up as above.
 */
async function fromEncryptedCache(plan: Plan, host: CacheHost): Promise<CachedAnswer> {
  const [{ createPersistentCache }, { withCache }, { PersistentCacheError }] = await Promise.all([
    import("../persistence/persistent_cache.ts"),
    import("../cache/plugin.ts"),
    import("../persistence/errors.ts"),
  ]);
  const encoder = new TextEncoder();
  const plugin = createPersistentCache({
    encryption: "keyring",
    path: plan.settings.cachePath,
    // Warnings go out in order; one that cannot be written (stderr closed) is not told.
    logger: cliLogger(host.env, false, (text) => {
      host.write(2, encoder.encode(text)).catch(() => {});
    }),
  });
  try {
    return await withCache(new TokenCache(), plugin, (cache) => lookUp(cache, plan));
  } catch (err) {
    if (err instanceof PersistentCacheError) return { failure: err };
    throw err;
  }
}

/** The session's cache look-up and the application's silent request, from the cache only. */
function lookUp(cache: TokenCache, plan: Plan): CachedAnswer {
  const { clientId } = plan.settings;
  const picked = pickAccount(cache.getAccounts({ clientId, idTokenClaims: false }), plan.account);
  if (!picked) return { reason: "no account" };
  const account = silentAccount({ ...picked, nativeAccountId: undefined });
  const cached = cache.findAccessToken({ clientId, account, scopes: plan.scopes });
  if (!cached) return { reason: "no valid token" };
  if (cached.refreshDue) return { reason: "refresh due" };
  // No id token: every output here (`token`, `header`, `json`, the ExecCredential) is made
  // of the access token, its expiry, tenant and scheme; decoding the id token's claims would
  // be work (about a millisecond of a cold start) that nothing prints.
  const result = authenticationResultFrom({
    accessToken: cached,
    account,
    correlationId: crypto.randomUUID(),
    fromCache: true,
    authority: plan.authority,
  });
  return { output: plan.render(result) };
}

function trusted(path: string, file: HostFile, host: CacheHost): boolean {
  const uid = host.uid();
  if (uid === undefined) return true;
  if (file.uid === null || file.mode === null) return false;
  return untrustedFile(path, { uid: file.uid, mode: file.mode }, "token cache", uid) === undefined;
}
