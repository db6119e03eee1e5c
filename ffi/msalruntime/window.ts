/**
 * A parent window handle for broker UI when the app has none (a console app). On Linux that
 * is the X11 root window (as MSAL.NET does): `XOpenDisplay(NULL)` then `XDefaultRootWindow`.
 * With no display there is none, and callers must say so. On Windows it is the console's window
 * (`GetConsoleWindow`), else the foreground window, as MSAL does, else the desktop window.
 *
 * @module
 */

import { platform } from "node:os";
import process from "node:process";
import { openLibrary } from "../library.ts";

const x11Symbols = {
  /** Display* XOpenDisplay(const char* name) */
  XOpenDisplay: { parameters: ["pointer"], result: "pointer" },
  /** Window XDefaultRootWindow(Display* display) */
  XDefaultRootWindow: { parameters: ["pointer"], result: "u64" },
} as const;

let cached: Promise<bigint | undefined> | undefined;

/**
 * The window handle to use for a console app, or `undefined` when there is no display.
 * On macOS and Windows MSALRuntime accepts the value as is; Linux needs a real X11 window.
 *
 * @returns a non-zero handle, or `undefined`
 */
export function consoleWindowHandle(): Promise<bigint | undefined> {
  cached ??= (async () => {
    if (platform() === "win32") return await windowsConsoleWindow();
    if (platform() !== "linux") return 1n;
    if (!process.env.DISPLAY) return undefined;
    try {
      const x11 = await openLibrary("libX11.so.6", x11Symbols);
      const display = x11.symbols.XOpenDisplay(0n);
      if (display === 0n) return undefined;
      // The connection stays open: the root window id is only meaningful while it is.
      const root = x11.symbols.XDefaultRootWindow(display);
      return root === 0n ? undefined : root;
    } catch {
      return undefined;
    }
  })();
  return cached;
}

/** The console's window, else the foreground window, else the desktop window. */
async function windowsConsoleWindow(): Promise<bigint | undefined> {
  try {
    const kernel32 = await openLibrary("kernel32.dll", {
      GetConsoleWindow: { parameters: [], result: "pointer" },
    });
    const console = kernel32.symbols.GetConsoleWindow();
    if (console !== 0n) return console;
    const user32 = await openLibrary("user32.dll", {
      GetForegroundWindow: { parameters: [], result: "pointer" },
      GetDesktopWindow: { parameters: [], result: "pointer" },
    });
    // A process with no console (started detached, output redirected) and no foreground
    // window: the desktop, a valid owner MSALRuntime accepts (it refuses 0).
    const window = user32.symbols.GetForegroundWindow() || user32.symbols.GetDesktopWindow();
    return window === 0n ? undefined : window;
  } catch {
    return undefined;
  }
}
