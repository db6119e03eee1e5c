/**
 * The process hosts of the command line's start-up (ffi/host.ts): the running runtime's reads a
 * file with the owner and mode of that same file, and Bun's, which reads by path, refuses a file
 * that changed or was replaced while it was read (a stand-in of Bun's API here, so that the
 * check runs in every runtime; the real one where Bun runs).
 */

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, describe, it } from "node:test";
import { processHost } from "../../ffi/host.ts";
import {
  type BunApi,
  type BunFileStat,
  bunHost,
  FileChangedWhileRead,
} from "../../ffi/host/bun.ts";
import { currentRuntime } from "../../ffi/runtime.ts";

const dir = mkdtempSync(join(tmpdir(), "entra-host-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const STAT: BunFileStat = {
  dev: 1,
  ino: 10,
  mode: 0o100600,
  uid: 1000,
  size: 3,
  mtimeMs: 1_700_000_000_000,
  ctimeMs: 1_700_000_000_000,
};

/** Bun's API as far as the host uses it: stats given in turn, bytes, writes in parts. */
function fakeBun(
  stats: (BunFileStat | Error)[],
  bytes: Uint8Array = new Uint8Array([1, 2, 3]),
): BunApi & { written: { to: unknown; data: number[]; }[]; } {
  const written: { to: unknown; data: number[]; }[] = [];
  return {
    written,
    stdout: "stdout",
    stderr: "stderr",
    file: () => ({
      stat: () => {
        const next = stats.shift();
        if (!next) throw new Error("stat called once too often");
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
      bytes: () => Promise.resolve(bytes),
    }),
    // Writes at most two bytes a call, as a full pipe may.
    write: (to, data) => {
      if (written.length > 100) throw new Error("writes without end");
      written.push({ to, data: [...data.subarray(0, 2)] });
      return Promise.resolve(Math.min(2, data.length));
    },
  };
}

describe("the process host", () => {
  it("reads a file with its owner and mode, and nothing for a missing file", async () => {
    const path = join(dir, "plain.json");
    writeFileSync(path, "{}\n", { mode: 0o640 });
    const host = await processHost();
    const file = await host.readFile(path);
    assert.ok(file);
    assert.equal(new TextDecoder().decode(file.bytes), "{}\n");
    if (process.platform !== "win32") {
      const info = statSync(path);
      assert.equal(file.uid, info.uid);
      assert.equal(file.mode, info.mode);
    }
    assert.equal(await host.readFile(join(dir, "missing.json")), undefined);
    await assert.rejects(host.readFile(dir), "a folder is not a file");
  });

  it("is Bun's own in Bun (no node:fs)", { skip: currentRuntime() !== "bun" }, async () => {
    const path = join(dir, "bun.json");
    writeFileSync(path, "[1]");
    const file = await bunHost().readFile(path);
    assert.equal(new TextDecoder().decode(file!.bytes), "[1]");
    assert.equal(file!.uid, statSync(path).uid);
  });
});

describe("Bun's host (reads by path)", () => {
  it("gives the bytes with the owner and mode of the file it stat-ed twice", async () => {
    const file = await bunHost(fakeBun([STAT, { ...STAT }])).readFile("/x");
    assert.deepEqual(file, { bytes: new Uint8Array([1, 2, 3]), uid: 1000, mode: 0o100600 });
  });

  it("refuses a file replaced, rewritten or moved away and back while it was read", async () => {
    const changes: Partial<BunFileStat>[] = [
      { ino: 11 }, // another file renamed over it
      { dev: 2 }, // another file system mounted over it
      { size: 4 }, // rewritten in place
      { mtimeMs: STAT.mtimeMs + 1 }, // rewritten in place, same size
      { ctimeMs: STAT.ctimeMs + 1 }, // moved away and back (a rename sets the change time)
    ];
    for (const change of changes) {
      const host = bunHost(fakeBun([STAT, { ...STAT, ...change }]));
      await assert.rejects(host.readFile("/x"), FileChangedWhileRead, JSON.stringify(change));
    }
    // Read while it was being written: fewer bytes than its size.
    const short = bunHost(fakeBun([STAT, STAT], new Uint8Array([1, 2])));
    await assert.rejects(short.readFile("/x"), FileChangedWhileRead);
  });

  it("gives nothing for a missing file and the error for anything else", async () => {
    const missing = Object.assign(new Error("no such file"), { code: "ENOENT" });
    assert.equal(await bunHost(fakeBun([missing])).readFile("/x"), undefined);
    const denied = Object.assign(new Error("permission denied"), { code: "EACCES" });
    await assert.rejects(bunHost(fakeBun([denied])).readFile("/x"), denied);
  });

  it("writes everything, in parts if it must, to the chosen stream", async () => {
    const bun = fakeBun([]);
    await bunHost(bun).write(2, new Uint8Array([1, 2, 3, 4, 5]));
    assert.deepEqual(bun.written, [
      { to: "stderr", data: [1, 2] },
      { to: "stderr", data: [3, 4] },
      { to: "stderr", data: [5] },
    ]);
  });
});
