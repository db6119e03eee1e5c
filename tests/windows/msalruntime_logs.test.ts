/**
 * MSALRuntime's log lines on Windows (msalruntime.dll under Wine, scripts/wine/run.sh): its
 * log callback's message is an os_char* (UTF-16 on Windows). In a file of its own: once a log
 * callback is registered, MSALRuntime calls run off the JavaScript thread for the rest of the
 * process. Skipped, by an explicit platform check, everywhere but Windows.
 */

import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "node:test";
import { startMsalRuntime } from "../../ffi/msalruntime/locate.ts";

const notWindows = process.platform !== "win32" && "needs Windows (scripts/wine/run.sh)";
const CLIENT_ID = "00000000-0000-0000-0000-000000000001";

describe("msalruntime.dll log lines", { skip: notWindows }, () => {
  it("are delivered whole (os_char is UTF-16 on Windows)", { timeout: 60_000 }, async () => {
    const rt = await startMsalRuntime();
    const lines: string[] = [];
    await rt.addLogSink((_level, message) => lines.push(message));
    await rt.discoverAccounts(CLIENT_ID, { correlationId: crypto.randomUUID(), timeoutMs: 30_000 })
      .catch(() => undefined);
    assert.ok(lines.length > 0, "MSALRuntime logged something");
    // Read as UTF-8, every line was its first character ("[").
    assert.ok(lines.every((l) => l.length > 1), JSON.stringify(lines.slice(0, 3)));
    assert.ok(lines.some((l) => /[a-z]{4}/i.test(l)), JSON.stringify(lines.slice(0, 3)));
  });
});
