/**
 * Opening the system browser: `xdg-open` on Linux and the BSDs, `open` on macOS, `start` on
 * Windows; and the check that there is a screen to show one on at all (no display on Linux,
 * or an SSH session), which fails with `no_browser` suggesting the device code flow.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { EntraAuthError } from "../errors.ts";
import { permissionError } from "../permission_error.ts";

/** How to open a URL: a program and its arguments. */
export interface BrowserCommand {
  command: string;
  args: string[];
}

/** What decides how to open a browser (the running process's values by default). */
export interface BrowserEnvironment {
  /** `process.platform`-style name: `linux`, `darwin`, `win32`, … */
  platform: string;
  /** Environment variables. */
  env: Readonly<Record<string, string | undefined>>;
}

function noBrowser(reason: string): EntraAuthError {
  return new EntraAuthError(
    "no_browser",
    `Cannot open a browser for the interactive sign-in: ${reason}. Use the device code flow `
      + "(acquireTokenByDeviceCode), which signs in from a browser on any other device, or pass "
      + "openBrowser to open the URL yourself.",
  );
}

/**
 * The command that opens `url` in the system browser.
 *
 * @param url the URL (http or https)
 * @param environment platform and environment variables
 * @returns the command
 * @throws EntraAuthError `no_browser` in an SSH session, or on Linux/BSD without `DISPLAY`
 *   or `WAYLAND_DISPLAY`
 * @throws EntraAuthError `invalid_argument` for a URL that is not http(s)
 * @example
 * ```ts
 * import { browserCommand } from "./browser.ts";
 * browserCommand("https://example.com/", { platform: "darwin", env: {} });
 * // { command: "open", args: ["https://example.com/"] }
 * ```
 */
export function browserCommand(url: string, environment: BrowserEnvironment): BrowserCommand {
  const protocol = new URL(url).protocol;
  if (protocol !== "https:" && protocol !== "http:") {
    throw new EntraAuthError("invalid_argument", `refusing to open a ${protocol} URL`);
  }
  checkBrowserEnvironment(environment);
  const { platform } = environment;
  switch (platform) {
    case "darwin":
      return { command: "open", args: [url] };
    case "win32":
      // `start` is a cmd.exe built-in: quote the title, escape cmd's metacharacters.
      return {
        command: "cmd.exe",
        args: ["/d", "/s", "/c", `start "" "${url.replace(/[&^|<>%]/g, "^$&")}"`],
      };
    default:
      return { command: "xdg-open", args: [url] };
  }
}

/**
 * Fails fast where no system browser can be shown: an SSH session (it would open on the
 * remote machine), or Linux/BSD without `DISPLAY` or `WAYLAND_DISPLAY`. Run before anything
 * slow (the authority's metadata), so that a headless machine learns at once to use the
 * device code flow.
 *
 * @param environment platform and environment variables
 * @throws EntraAuthError `no_browser`, suggesting the device code flow
 * @example
 * ```ts
 * import { checkBrowserEnvironment } from "./browser.ts";
 * checkBrowserEnvironment({ platform: "darwin", env: {} }); // fine
 * ```
 */
export function checkBrowserEnvironment(environment: BrowserEnvironment): void {
  const { platform, env } = environment;
  if (env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY) {
    throw noBrowser("this is an SSH session, so a browser would open on the remote machine");
  }
  if (platform !== "darwin" && platform !== "win32" && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    throw noBrowser("there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)");
  }
}

/**
 * This process's platform and environment variables, read lazily (on Deno reading the
 * environment needs `--allow-env`).
 *
 * @returns the environment
 * @throws EntraAuthError `permission_denied` on Deno without `--allow-env`
 * @example
 * ```ts ignore
 * import { processBrowserEnvironment } from "./browser.ts";
 * const environment = await processBrowserEnvironment();
 * ```
 */
export async function processBrowserEnvironment(): Promise<BrowserEnvironment> {
  const { default: process } = await import("node:process");
  try {
    const env = process.env;
    return {
      platform: process.platform,
      env: {
        DISPLAY: env.DISPLAY,
        WAYLAND_DISPLAY: env.WAYLAND_DISPLAY,
        SSH_CONNECTION: env.SSH_CONNECTION,
        SSH_CLIENT: env.SSH_CLIENT,
        SSH_TTY: env.SSH_TTY,
      },
    };
  } catch (cause) {
    throw permissionError(cause, "reading DISPLAY and SSH_* to find a browser") ?? cause;
  }
}

/**
 * How long an opener that has not exited yet is given to fail, ms. `xdg-open`, `open` and
 * `start` hand the URL to the browser and exit (0) within a moment; one that exits non-zero
 * found no browser. One still running after this is taken as a browser in the foreground.
 */
export const OPENER_GRACE_MS = 3_000;

/**
 * Opens `url` in the system browser and resolves once the opener started (or failed to).
 *
 * @param url the URL
 * @param environment platform and environment variables (default: this process's)
 * @returns resolves when the browser was launched
 * @throws EntraAuthError `no_browser` when there is no display or the opener is missing or fails
 * @example
 * ```ts ignore
 * import { openSystemBrowser } from "./browser.ts";
 * await openSystemBrowser("https://login.microsoftonline.com/");
 * ```
 */
export async function openSystemBrowser(
  url: string,
  environment?: BrowserEnvironment,
): Promise<void> {
  const { command, args } = browserCommand(url, environment ?? await processBrowserEnvironment());
  const notStarted = (cause: unknown) =>
    permissionError(cause, `starting ${command} to open the browser`)
      ?? new EntraAuthError(
        "no_browser",
        `${command} could not be started: ${
          cause instanceof Error ? cause.message : String(cause)
        }. Install it, pass openBrowser, or use the device code flow.`,
        { cause },
      );
  await new Promise<void>((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, args, {
        stdio: "ignore",
        detached: true,
        windowsVerbatimArguments: true,
        // An explicit environment (tests, embedders) also supplies the PATH to search.
        ...(environment?.env.PATH !== undefined ? { env: { ...environment.env } } : {}),
      });
    } catch (cause) {
      reject(notStarted(cause));
      return;
    }
    let grace: ReturnType<typeof setTimeout> | undefined;
    const settle = (error?: EntraAuthError) => {
      if (grace !== undefined) clearTimeout(grace);
      child.removeAllListeners("exit");
      try {
        child.unref(); // Deno throws for a child that never started
      } catch { /* nothing to release */ }
      if (error) reject(error);
      else resolve();
    };
    child.once("error", (cause) => settle(notStarted(cause)));
    child.once("spawn", () => {
      // An opener that starts and then fails (no browser registered) exits non-zero.
      grace = setTimeout(() => settle(), OPENER_GRACE_MS);
    });
    child.once("exit", (code, signal) => {
      if (code === 0) return settle();
      settle(
        new EntraAuthError(
          "no_browser",
          `${command} could not open a browser (it exited with ${
            code !== null ? `code ${code}` : `signal ${signal}`
          }). Install or configure a default browser, pass openBrowser, or use the device `
            + "code flow (acquireTokenByDeviceCode).",
        ),
      );
    });
  });
}
