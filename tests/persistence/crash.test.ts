/**
 * Crash safety: writer processes (Deno, Bun and Node when built) are killed with SIGKILL at
 * random points while they write. After every kill the file must parse and hold every entry
 * whose write a writer had reported finished; afterwards a new writer still gets the lock
 * (the dead owner's lock is taken over) and writes.
 */

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fixtureRuntimes, type RunningFixture, startFixture, tempFolder } from "./support.ts";

const { runtimes } = fixtureRuntimes();
const KILLS = 12;
const PARALLEL = 4;

describe("crash safety", { skip: runtimes.length === 0 && "no runtime binary found" }, () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it(
    `${KILLS} writers killed with SIGKILL mid-write: the file always parses, no committed entry lost`,
    {
      timeout: 90_000,
    },
    async () => {
      const path = join(folder.dir, "crash", "cache.json");
      let next = 0;
      const start = () => {
        const runtime = runtimes[next % runtimes.length];
        return startFixture(runtime, "persistence_writer", [
          path,
          `${runtime.name}${next++}`,
          "100000",
          "5",
        ]);
      };
      const committed = (w: RunningFixture) =>
        w.lines.filter((l) => l.startsWith("E ")).map((l) => l.slice(2));
      const all: RunningFixture[] = [];
      const running: RunningFixture[] = [];
      for (let i = 0; i < PARALLEL; i++) running.push(start());
      all.push(...running);
      const killedAt: number[] = [];
      // Kill only once the file exists (a loaded machine starts the writers slowly).
      for (const until = Date.now() + 30_000; !existsSync(path) && Date.now() < until;) {
        await new Promise((r) => setTimeout(r, 50));
      }
      try {
        for (let kill = 0; kill < KILLS; kill++) {
          await new Promise((r) => setTimeout(r, 150 + Math.random() * 450));
          const victim = running.splice(Math.floor(Math.random() * running.length), 1)[0];
          victim.child.kill("SIGKILL");
          const exit = await victim.exited;
          assert.equal(exit.signal, "SIGKILL", `${victim.runtime}: ${victim.stderr}`);
          killedAt.push(committed(victim).length);
          const doc = JSON.parse(readFileSync(path, "utf8")); // must parse
          for (const w of all) {
            for (const key of committed(w)) assert.ok(doc.AccessToken[key], `${key} survived`);
          }
          const fresh = start();
          running.push(fresh);
          all.push(fresh);
        }
      } finally {
        for (const w of running) w.child.kill("SIGKILL");
        await Promise.all(running.map((w) => w.exited));
      }
      const doc = JSON.parse(readFileSync(path, "utf8"));
      const keys = all.flatMap(committed);
      for (const key of keys) assert.ok(doc.AccessToken[key], `${key} survived`);
      assert.ok(keys.length > KILLS, `${keys.length} committed writes`);
      // The cache still works: a new writer takes over any lock a killed one left behind.
      const last = startFixture(runtimes[0], "persistence_writer", [path, "final", "3", "0"]);
      const exit = await last.exited;
      assert.equal(exit.code, 0, last.stderr);
      assert.equal(last.lines.at(-1), "DONE");
      const end = JSON.parse(readFileSync(path, "utf8"));
      for (const key of [...keys, ...committed(last)]) assert.ok(end.AccessToken[key]);
    },
  );
});
