/**
 * What the machine offers for a sign-in: a display for a browser or the broker's window, or
 * only a terminal (SSH, a container, WSL without a browser), in which case the command line
 * uses the device code.
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { platform } from "node:os";

/** What the command line found about its surroundings. */
export interface SignInEnvironment {
  os: string;
  /** A graphical display is reachable (Linux: DISPLAY or WAYLAND_DISPLAY). */
  display: boolean;
  /** Running in an SSH session. */
  ssh: boolean;
  /** Running in a container (Docker, Podman). */
  container: boolean;
  /** Running under WSL. */
  wsl: boolean;
  /** A browser can be shown to the user. */
  canOpenBrowser: boolean;
  /** Why not, when it cannot. */
  reason?: string;
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/**
 * Looks at the environment and the system.
 *
 * @param env the environment variables
 * @param os the platform name
 * @returns what was found
 */
export function detectEnvironment(
  env: Record<string, string | undefined>,
  os: string = platform(),
): SignInEnvironment {
  const ssh = Boolean(env.SSH_CONNECTION || env.SSH_TTY || env.SSH_CLIENT);
  const container = os === "linux"
    && (existsSync("/.dockerenv") || existsSync("/run/.containerenv")
      || /\b(docker|kubepods|containerd|lxc)\b/.test(readText("/proc/1/cgroup")));
  const wsl = os === "linux"
    && (Boolean(env.WSL_DISTRO_NAME) || /microsoft/i.test(readText("/proc/sys/kernel/osrelease")));
  const display = os === "linux" ? Boolean(env.DISPLAY || env.WAYLAND_DISPLAY) : !ssh;
  let reason: string | undefined;
  if (ssh && !(os === "linux" && env.DISPLAY)) reason = "this is an SSH session";
  else if (os === "linux" && !display && !wsl) {
    reason = container ? "this is a container with no display" : "there is no display";
  } else if (wsl && !env.BROWSER && !existsSync("/usr/bin/wslview")) {
    reason = "WSL has no browser set (BROWSER is unset and wslview is missing)";
  }
  return { os, display, ssh, container, wsl, canOpenBrowser: reason === undefined, reason };
}
