/**
 * Fencing after a lock takeover: a writer process stopped (SIGSTOP) while it holds the lock,
 * past `staleLockMs`, has its lock taken over; others commit meanwhile. When it resumes
 * (SIGCONT) it must not rename its out-of-date merge over the file: it checks, just before
 * the rename, that the lock is still its own, and merges again. Nothing committed is lost
 * and the file's revision never goes backwards.
 */

import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { withCache } from "../../src/cache/plugin.ts";
import { revisionOf } from "../../src/persistence/merge.ts";
import { writerEntry } from "./entries.ts";
import { fixtureRuntimes, simulatedProcess, startFixture, tempFolder } from "./support.ts";

const { runtimes } = fixtureRuntimes();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const STALE_MS = 800;

function lockOwner(path: string): { pid: number; text: string; } | undefined {
  try {
    const text = readFileSync(`${path}.lock`, "utf8");
    return { pid: JSON.parse(text).pid, text };
  } catch {
    return undefined;
  }
}

describe("a lock owner stopped past the stale limit, then resumed", {
  skip: (process.platform === "win32" && "POSIX signals")
    || (runtimes.length === 0 && "no runtime binary found"),
}, () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("cannot write an out-of-date merge: nothing committed meanwhile is lost", {
    timeout: 90_000,
  }, async () => {
    const path = join(folder.dir, "cache.json");
    mkdirSync(dirname(path), { recursive: true });
    // A sizeable cache, so that a write spends most of its time holding the lock.
    const prefill: Record<string, Record<string, string>> = {};
    for (let i = 0; i < 3000; i++) {
      const [key, entry] = writerEntry("prefill", i);
      prefill[key] = entry;
    }
    writeFileSync(path, JSON.stringify({ AccessToken: prefill }), { mode: 0o600 });
    const runtime = runtimes[0];
    const writer = startFixture(runtime, "persistence_writer", [path, "w", "100000", "0"], {
      ENTRA_AUTH_TEST_STALE_LOCK_MS: String(STALE_MS),
    });
    const ours = simulatedProcess(path, { staleLockMs: STALE_MS, lockTimeoutMs: 20_000 });
    const committed: string[] = [];
    let caught = 0;
    try {
      for (let cycle = 0; cycle < 3; cycle++) {
        // Stop the writer while it holds the lock.
        const deadline = Date.now() + 20_000;
        for (;;) {
          assert.ok(Date.now() < deadline, `the writer never held the lock: ${writer.stderr}`);
          const owner = lockOwner(path);
          if (owner && owner.pid === writer.child.pid) {
            process.kill(writer.child.pid!, "SIGSTOP");
            if (lockOwner(path)?.text === owner.text) break;
            process.kill(writer.child.pid!, "SIGCONT");
          }
          await sleep(1);
        }
        caught++;
        // Past the stale limit, another process takes the lock over and commits.
        for (let i = 0; i < 3; i++) {
          const [key, entry] = writerEntry(`ours${cycle}`, i);
          await withCache(ours.cache, ours.plugin, (c) => {
            const doc = JSON.parse(c.serialize());
            doc.AccessToken[key] = entry;
            c.deserialize(JSON.stringify(doc));
          });
          committed.push(key);
        }
        const revision = revisionOf(JSON.parse(readFileSync(path, "utf8")));
        const written = writer.lines.length;
        process.kill(writer.child.pid!, "SIGCONT");
        // The resumed writer finishes the write it was stopped in (fenced, or merged back
        // after a late rename) before it reports another entry: wait for that, not a time.
        const resumed = Date.now() + 30_000;
        while (writer.lines.length <= written) {
          assert.ok(Date.now() < resumed, `the writer made no progress: ${writer.stderr}`);
          assert.equal(writer.child.exitCode, null, `the writer exited: ${writer.stderr}`);
          await sleep(5);
        }
        const doc = JSON.parse(readFileSync(path, "utf8"));
        assert.ok(revisionOf(doc) >= revision, `revision ${revisionOf(doc)} < ${revision}`);
        for (const key of committed) assert.ok(doc.AccessToken[key], `${key} survived`);
      }
    } finally {
      for (const signal of ["SIGCONT", "SIGKILL"] as const) {
        try {
          process.kill(writer.child.pid!, signal);
        } catch {
          // exited already
        }
      }
      await writer.exited;
    }
    assert.equal(caught, 3);
    const doc = JSON.parse(readFileSync(path, "utf8"));
    const theirs = writer.lines.filter((l) => l.startsWith("E ")).map((l) => l.slice(2));
    assert.ok(theirs.length > 0, "the writer committed entries");
    for (const key of [...committed, ...theirs]) {
      assert.ok(doc.AccessToken[key], `committed ${key} is present`);
    }
  });
});

/** Whether a process is stopped (Linux: /proc; elsewhere assumed once it said so). */
function stopped(pid: number): boolean {
  if (!existsSync(`/proc/${pid}/stat`)) return true;
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  return text.slice(text.lastIndexOf(")") + 2, text.lastIndexOf(")") + 3) === "T";
}

describe("a writer stopped between the fence and the rename, then resumed", {
  skip: (process.platform === "win32" && "POSIX signals")
    || (runtimes.length === 0 && "no runtime binary found"),
}, () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  // The fence cannot close this window (no lock file can): the stalled writer's rename lands
  // on what the process that took its lock over committed. What that commit held must come
  // back: the guard kept since the takeover lets the clobber be seen and merged back.
  const cases = [
    ["fence", "its late rename loses nothing another process committed"],
    ["after", "stopped just after its rename, it records its own file, not the others'"],
  ] as const;
  for (const runtime of runtimes) {
    for (const [stopAt, what] of cases) {
      it(`${runtime.name}, ${stopAt}: ${what}`, {
        timeout: 60_000,
      }, async () => {
        const dir = join(folder.dir, `${runtime.name}-${stopAt}`);
        mkdirSync(dir, { recursive: true });
        const path = join(dir, "cache.json");
        const stale = 600;
        const writer = startFixture(runtime, "persistence_stall", [
          path,
          "late",
          String(stale),
          stopAt,
        ]);
        try {
          const deadline = Date.now() + 30_000;
          while (!(writer.lines.includes("STOPPING") && stopped(writer.child.pid!))) {
            assert.ok(Date.now() < deadline, `the writer never stopped: ${writer.stderr}`);
            assert.equal(writer.child.exitCode, null, `the writer exited: ${writer.stderr}`);
            await sleep(5);
          }
          await sleep(stale + 200);
          // Another process takes the stale lock over and commits three entries.
          const ours = simulatedProcess(path, { staleLockMs: stale, lockTimeoutMs: 20_000 });
          const committed: string[] = [];
          for (let i = 0; i < 3; i++) {
            const [key, entry] = writerEntry("other", i);
            await withCache(ours.cache, ours.plugin, (c) => {
              const doc = JSON.parse(c.serialize());
              doc.AccessToken[key] = entry;
              c.deserialize(JSON.stringify(doc));
            });
            committed.push(key);
          }
          process.kill(writer.child.pid!, "SIGCONT");
          const { code } = await writer.exited;
          assert.equal(code, 0, `the writer failed: ${writer.stderr}`);
          assert.ok(writer.lines.includes("DONE"), writer.lines.join("\n"));
          const doc = JSON.parse(readFileSync(path, "utf8"));
          for (const key of [...committed, "at-late-0", "at-late-1", "at-late-2"]) {
            assert.ok(doc.AccessToken[key], `${key} is in the file`);
          }
          // The other process sees the late writer's entry; its own are still there.
          const seen = await withCache(ours.cache, ours.plugin, (c) => JSON.parse(c.serialize()));
          for (const key of [...committed, "at-late-2"]) assert.ok(seen.AccessToken[key], key);
          // Once the stalled writer is done, nothing of the takeover is left in the folder.
          assert.deepEqual(readdirSync(dir).sort(), ["cache.json"]);
        } finally {
          for (const signal of ["SIGCONT", "SIGKILL"] as const) {
            try {
              process.kill(writer.child.pid!, signal);
            } catch {
              // exited already
            }
          }
          await writer.exited;
        }
      });
    }
  }
});

describe("writers in every runtime, stopped at random while they hold the lock", {
  skip: (process.platform === "win32" && "POSIX signals")
    || (runtimes.length === 0 && "no runtime binary found"),
}, () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  // Takeovers between the writers themselves (not by the test): records, guards, late
  // renames and merges back interleave as they will; nothing any writer reported committed
  // may be missing at the end, and once every writer is gone one more commit leaves nothing
  // of the takeovers behind. A stress test, not a proof: before writeAtomic took its version
  // from its own file it failed about one run in three (six runs: 1 to 6 failures); the
  // deterministic `after` cases above are the regression test for that.
  it("lose nothing, and leave no record or guard once they are gone", {
    timeout: 120_000,
  }, async () => {
    const path = join(folder.dir, "cache.json");
    const stale = 300;
    const writers = Array.from({ length: 4 }, (_, i) => {
      const runtime = runtimes[i % runtimes.length];
      return startFixture(runtime, "persistence_writer", [path, `w${i}`, "40", "0"], {
        ENTRA_AUTH_TEST_STALE_LOCK_MS: String(stale),
      });
    });
    let done = false;
    const exits = Promise.all(writers.map((w) => w.exited)).finally(() => (done = true));
    let stops = 0;
    try {
      while (!done) {
        // Stop the lock's owner, if it is one of the writers, past the stale limit.
        const owner = lockOwner(path);
        const writer = owner && writers.find((w) => w.child.pid === owner.pid);
        if (writer && writer.child.exitCode === null) {
          process.kill(writer.child.pid!, "SIGSTOP");
          stops++;
          await sleep(stale + 100 + Math.random() * 200);
          process.kill(writer.child.pid!, "SIGCONT");
        }
        await sleep(20 + Math.random() * 60);
      }
    } finally {
      for (const w of writers) {
        try {
          process.kill(w.child.pid!, "SIGCONT");
        } catch {
          // exited already
        }
      }
    }
    const results = await exits;
    results.forEach((r, i) =>
      assert.equal(r.code, 0, `${writers[i].runtime} writer ${i}: ${writers[i].stderr}`)
    );
    assert.ok(stops > 0, "at least one writer was stopped holding the lock");
    const doc = JSON.parse(readFileSync(path, "utf8"));
    for (const w of writers) {
      assert.equal(w.lines.at(-1), "DONE");
      for (const line of w.lines.filter((l) => l.startsWith("E "))) {
        assert.ok(doc.AccessToken[line.slice(2)], `${line.slice(2)} (${w.runtime}) is kept`);
      }
    }
    const last = simulatedProcess(path);
    await withCache(last.cache, last.plugin, (c) => {
      const d = JSON.parse(c.serialize());
      const [key, entry] = writerEntry("last", 0);
      d.AccessToken[key] = entry;
      c.deserialize(JSON.stringify(d));
    });
    assert.deepEqual(readdirSync(folder.dir).filter((f) => !f.includes(".tmp-")), ["cache.json"]);
  });
});
