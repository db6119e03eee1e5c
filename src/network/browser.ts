/**
 * Opening the system browser: `xdg-open` on Linux and the BSDs, `open` on macOS, `start` on
 * Windows; and the check that there is a screen to show one on at all (no display on Linux,
 * or an SSH session), which fails with `no_browser` suggesting the device code flow.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { EntraAuthError } from "../errors.ts";

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
  const { platform, env } = environment;
  if (env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY) {
    throw noBrowser("this is an SSH session, so a browser would open on the remote machine");
  }
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
      if (!env.DISPLAY && !env.WAYLAND_DISPLAY) {
        throw noBrowser("there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)");
      }
      return { command: "xdg-open", args: [url] };
  }
}

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
  const { default: process } = await import("node:process");
  const { command, args } = browserCommand(
    url,
    environment ?? { platform: process.platform, env: process.env },
  );
  await new Promise<void>((resolve, reject) => {
    let child;
    try {
      child = spawn(command, args, {
        stdio: "ignore",
        detached: true,
        windowsVerbatimArguments: true,
      });
    } catch (cause) {
      reject(new EntraAuthError("no_browser", `${command} could not be started`, { cause }));
      return;
    }
    child.once(
      "error",
      (cause) =>
        reject(
          new EntraAuthError(
            "no_browser",
            `${command} could not be started: ${cause.message}. `
              + "Install it, pass openBrowser, or use the device code flow.",
            { cause },
          ),
        ),
    );
    child.once("spawn", () => {
      child.unref();
      resolve();
    });
  });
}
