/**
 * A real headless Chromium (Debian's `chromium`, driven by playwright-core) acting as the
 * system browser in the interactive tests. Each launch uses a fresh profile directory,
 * removed again by `close()`.
 *
 * @module
 */

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Where Debian installs Chromium. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** A running headless Chromium. */
export interface TestBrowser {
  context: BrowserContext;
  /** A new tab. */
  newPage(): Promise<Page>;
  /** Closes the browser and removes its profile. Idempotent. */
  close(): Promise<void>;
}

/**
 * Why the Chromium tests cannot run here, or `undefined` when they can.
 *
 * @returns the reason to skip
 */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM_PATH)
    ? undefined
    : `${CHROMIUM_PATH} is missing: run scripts/setup.sh (installs Debian's chromium)`;
}

/**
 * Launches headless Chromium with a fresh profile.
 *
 * @returns the browser
 */
export async function launchChromium(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "entra-auth-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
  let closed: Promise<void> | undefined;
  return {
    context,
    newPage: () => context.newPage(),
    close: () =>
      closed ??= context.close().finally(() => rmSync(profile, { recursive: true, force: true })),
  };
}
