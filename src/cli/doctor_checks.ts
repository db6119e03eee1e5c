/**
 * The checks of `entra-auth doctor`: each finds one thing the broker or the cache needs and,
 * when it is missing, says how to fix it. Every check is bounded in time.
 *
 * @module
 */

import { existsSync, readFileSync, statSync } from "node:fs";
import { arch, platform, release } from "node:os";
import process from "node:process";
import { defaultCachePath } from "../persistence/location.ts";
import type { DBusConnection } from "../testing/broker_emulator/dbus_connection.ts";
import type { CliSettings } from "./config.ts";
import { detectEnvironment } from "./environment.ts";

/** How a check came out: `fail` blocks sign-in, `warn` degrades it. */
export type CheckStatus = "ok" | "warn" | "fail" | "info";

/** One line of the report. */
export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to do, when something is wrong. */
  fix?: string;
}

/** What the checks need. */
export interface DoctorInputs {
  settings?: CliSettings;
  env: Record<string, string | undefined>;
  online: boolean;
}

const BROKER_BUS_NAME = "com.microsoft.identity.broker1";
const SECRETS_BUS_NAME = "org.freedesktop.secrets";

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function osRelease(): string {
  try {
    const text = readFileSync("/etc/os-release", "utf8");
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? "unknown distribution";
  } catch {
    return "";
  }
}

/**
 * Runs every check, in order; none throws.
 *
 * @param inputs the settings (when a client id is known), the environment, `--online`
 * @returns the results
 */
export async function runChecks(inputs: DoctorInputs): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const os = platform();
  const brokerMode = inputs.settings?.broker ?? "auto";
  const brokerStatus = (bad: CheckStatus) => (brokerMode === "on" ? "fail" : bad);
  results.push({
    id: "os",
    title: "Operating system",
    status: "info",
    detail: `${os} ${arch()} ${release()}${os === "linux" ? `, ${osRelease()}` : ""}`,
  });
  const { runtimeReport } = await import("../../ffi/runtime_report.ts");
  const runtime = runtimeReport();
  results.push({
    id: "runtime",
    title: "Runtime",
    status: runtime.missingPermissions.length ? "fail" : "ok",
    detail: `${runtime.name} ${runtime.version}${
      runtime.missingPermissions.length
        ? `; missing permissions: ${runtime.missingPermissions.join(", ")}`
        : ""
    }`,
    fix: runtime.missingPermissions.length
      ? `run with ${runtime.missingPermissions.map((p) => `--allow-${p}`).join(" ")} (or -A)`
      : undefined,
  });
  const env = detectEnvironment(inputs.env, os);
  results.push({
    id: "session",
    title: "Session",
    status: "info",
    detail: [
      env.ssh ? "SSH" : "local",
      env.container ? "container" : "",
      env.wsl ? "WSL" : "",
    ].filter(Boolean).join(", "),
  });
  results.push({
    id: "display",
    title: "Display for sign-in windows",
    status: env.canOpenBrowser ? "ok" : "warn",
    detail: env.canOpenBrowser
      ? os === "linux"
        ? `DISPLAY=${inputs.env.DISPLAY ?? ""}${
          inputs.env.WAYLAND_DISPLAY ? ` WAYLAND_DISPLAY=${inputs.env.WAYLAND_DISPLAY}` : ""
        }`
        : "yes"
      : `none: ${env.reason}; interactive sign-in uses a device code`,
    fix: env.canOpenBrowser
      ? undefined
      : "run in a desktop session, or use ssh -X, to use the broker's window",
  });
  if (inputs.settings?.broker === "off") {
    results.push({ id: "broker", title: "Broker", status: "info", detail: "off (--broker off)" });
  } else {
    results.push(...await brokerChecks(os, inputs.env, brokerStatus));
  }
  if (os === "linux") results.push(await keyringCheck(inputs.env, inputs.settings));
  results.push(cacheCheck(inputs.settings));
  if (inputs.online && inputs.settings) results.push(await authorityCheck(inputs.settings));
  return results;
}

async function brokerChecks(
  os: string,
  env: Record<string, string | undefined>,
  status: (bad: CheckStatus) => CheckStatus,
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const { locateMsalRuntime, startMsalRuntime } = await import("../../ffi/msalruntime/locate.ts");
  let path: string | undefined;
  try {
    const located = locateMsalRuntime();
    path = located.path;
    out.push({
      id: "msalruntime",
      title: "MSALRuntime library",
      status: "ok",
      detail: `${path} (${located.source})`,
    });
  } catch (err) {
    out.push({
      id: "msalruntime",
      title: "MSALRuntime library",
      status: status("warn"),
      detail: "not found",
      fix: (err as Error).message,
    });
  }
  if (os === "linux") {
    const bus = env.DBUS_SESSION_BUS_ADDRESS;
    if (!bus) {
      out.push({
        id: "dbus",
        title: "D-Bus session bus",
        status: status("warn"),
        detail: "DBUS_SESSION_BUS_ADDRESS is not set",
        fix: "sign in to a desktop session (the broker lives on the session bus)",
      });
    } else {
      out.push(...await busChecks(bus, status));
    }
    const intune = ["/usr/bin/intune-portal", "/opt/microsoft/intune/bin/intune-portal"].find(
      existsSync,
    );
    const brokerBin = [
      "/usr/bin/microsoft-identity-broker",
      "/opt/microsoft/identity-broker/bin/microsoft-identity-broker",
    ].find(existsSync);
    out.push({
      id: "intune",
      title: "Intune and the identity broker",
      status: brokerBin ? "ok" : "info",
      detail: `${
        brokerBin ? `broker at ${brokerBin}` : "microsoft-identity-broker not installed"
      }; ${intune ? `intune-portal at ${intune}` : "intune-portal not installed"}`,
      fix: brokerBin
        ? undefined
        : "install Microsoft's microsoft-identity-broker and intune-portal packages to enroll",
    });
  }
  if (path) {
    try {
      const rt = await withTimeout(startMsalRuntime(), 10_000, "MSALRuntime start-up");
      out.push({
        id: "msalruntime-start",
        title: "MSALRuntime loads and starts",
        status: rt.brokerAvailable ? "ok" : status("warn"),
        detail: rt.brokerAvailable
          ? "the broker answered"
          : `started without a broker: ${rt.startupError?.context ?? "no broker"}`,
        fix: rt.brokerAvailable
          ? undefined
          : "start the broker (systemctl --user start microsoft-identity-broker)",
      });
    } catch (err) {
      out.push({
        id: "msalruntime-start",
        title: "MSALRuntime loads and starts",
        status: status("warn"),
        detail: "cannot load",
        fix: (err as Error).message.replace(/\s*\n\s*/g, " "),
      });
    }
  }
  return out;
}

async function busChecks(
  address: string,
  status: (bad: CheckStatus) => CheckStatus,
): Promise<CheckResult[]> {
  const { DBusConnection } = await import("../testing/broker_emulator/dbus_connection.ts");
  let bus;
  try {
    bus = await DBusConnection.open(address, 3_000);
  } catch (err) {
    return [{
      id: "dbus",
      title: "D-Bus session bus",
      status: status("warn"),
      detail: `cannot connect: ${(err as Error).message}`,
      fix: "sign in to a desktop session; check DBUS_SESSION_BUS_ADDRESS",
    }];
  }
  const out: CheckResult[] = [{
    id: "dbus",
    title: "D-Bus session bus",
    status: "ok",
    detail: address.split(",")[0],
  }];
  try {
    const owned = await nameHasOwner(bus, BROKER_BUS_NAME);
    let version = "";
    if (owned) {
      try {
        const [reply] = await bus.call({
          destination: BROKER_BUS_NAME,
          path: "/com/microsoft/identity/broker1",
          interface: "com.microsoft.identity.Broker1",
          member: "getLinuxBrokerVersion",
          signature: "sss",
          body: ["0.0", crypto.randomUUID(), "{}"],
          timeoutMs: 3_000,
        });
        version = String(JSON.parse(String(reply)).linuxBrokerVersion ?? "");
      } catch {
        version = "";
      }
    }
    out.push({
      id: "broker-service",
      title: "Broker on the bus",
      status: owned ? "ok" : status("warn"),
      detail: owned
        ? `${BROKER_BUS_NAME}${version ? ` version ${version}` : ""}`
        : `${BROKER_BUS_NAME} is not owned`,
      fix: owned
        ? undefined
        : "start it: systemctl --user start microsoft-identity-broker (install it with Intune)",
    });
    const secrets = await nameHasOwner(bus, SECRETS_BUS_NAME, true);
    out.push({
      id: "secret-service",
      title: "Secret Service (keyring) on the bus",
      status: secrets ? "ok" : "warn",
      detail: secrets ? SECRETS_BUS_NAME : `${SECRETS_BUS_NAME} is neither running nor activatable`,
      fix: secrets ? undefined : "install and unlock a keyring (gnome-keyring, KWallet, KeePassXC)",
    });
  } finally {
    bus.close();
  }
  return out;
}

async function nameHasOwner(
  bus: DBusConnection,
  name: string,
  activatable = false,
): Promise<boolean> {
  const [owned] = await bus.call({
    destination: "org.freedesktop.DBus",
    path: "/org/freedesktop/DBus",
    interface: "org.freedesktop.DBus",
    member: "NameHasOwner",
    signature: "s",
    body: [name],
    timeoutMs: 3_000,
  });
  if (owned === true || !activatable) return owned === true;
  const [names] = await bus.call({
    destination: "org.freedesktop.DBus",
    path: "/org/freedesktop/DBus",
    interface: "org.freedesktop.DBus",
    member: "ListActivatableNames",
    timeoutMs: 3_000,
  });
  return Array.isArray(names) && names.includes(name);
}

async function keyringCheck(
  env: Record<string, string | undefined>,
  settings: CliSettings | undefined,
): Promise<CheckResult> {
  const mode = settings?.cache ?? "keyring";
  if (mode !== "keyring") {
    return {
      id: "keyring",
      title: "Keyring",
      status: "info",
      detail: `not used (--cache ${mode})`,
    };
  }
  // The key is looked up as sign-in looks it up; then the cache is read (and decrypted)
  // through the same code.
  try {
    const { createPersistentCache } = await import("../persistence/persistent_cache.ts");
    const { TokenCache } = await import("../cache/token_cache.ts");
    const plugin = createPersistentCache({
      encryption: "keyring",
      path: settings?.cachePath,
      onCorrupt: "throw",
      logger: { loggerCallback: () => {} },
    });
    await withTimeout(plugin.checkKeyring(), 10_000, "the keyring");
    await withTimeout(
      Promise.resolve(
        plugin.beforeCacheAccess({ tokenCache: new TokenCache(), cacheHasChanged: false }),
      ),
      10_000,
      "the keyring",
    );
    return {
      id: "keyring",
      title: "Keyring and cache readable",
      status: "ok",
      detail: "the cache can be read",
    };
  } catch (err) {
    return {
      id: "keyring",
      title: "Keyring and cache readable",
      status: "fail",
      detail: (err as Error).message.replace(/\s*\n\s*/g, " ").slice(0, 300),
      fix: `run in a desktop session with an unlocked keyring, or use --cache plaintext${
        env.DBUS_SESSION_BUS_ADDRESS ? "" : " (no session bus)"
      }`,
    };
  }
}

function cacheCheck(settings: CliSettings | undefined): CheckResult {
  if (settings?.cache === "none") {
    return { id: "cache", title: "Token cache", status: "info", detail: "none (--cache none)" };
  }
  const path = settings?.cachePath ?? defaultCachePath();
  const lock = `${path}.lock`;
  let detail: string;
  let status: CheckStatus = "ok";
  let fix: string | undefined;
  try {
    const st = statSync(path);
    const mode = (st.mode & 0o777).toString(8).padStart(3, "0");
    const mine = typeof process.getuid !== "function" || st.uid === process.getuid();
    detail = `${path} (${st.size} bytes, mode ${mode})`;
    if (!mine || (st.mode & 0o077) !== 0) {
      status = "fail";
      fix = `the file must be the user's own and private: chmod 600 ${path}`;
    }
  } catch {
    detail = `${path} (not created yet)`;
  }
  if (existsSync(lock)) {
    detail += `; lock held: ${readFileSafe(lock)}`;
    status = status === "ok" ? "warn" : status;
    fix ??=
      "another process holds the cache's lock; a lock of a dead process is taken over by itself";
  }
  return { id: "cache", title: "Token cache", status, detail, fix };
}

function readFileSafe(path: string): string {
  try {
    const owner = JSON.parse(readFileSync(path, "utf8"));
    return `pid ${owner.pid} since ${new Date(owner.createdAt).toISOString()}`;
  } catch {
    return "unreadable";
  }
}

async function authorityCheck(settings: CliSettings): Promise<CheckResult> {
  const url = `${settings.authority.replace(/\/+$/, "")}/v2.0/.well-known/openid-configuration`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel();
    return {
      id: "authority",
      title: "Authority reachable",
      status: res.ok ? "ok" : "fail",
      detail: `${url}: HTTP ${res.status}`,
      fix: res.ok ? undefined : "check --authority / --tenant",
    };
  } catch (err) {
    return {
      id: "authority",
      title: "Authority reachable",
      status: "fail",
      detail: `${url}: ${(err as Error).message}`,
      fix: "check the network, a proxy (HTTPS_PROXY) or the authority",
    };
  }
}
