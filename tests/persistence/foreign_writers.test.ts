/**
 * Sharing the plaintext file with writers that take no lock and rewrite the file in place:
 * msal-node with the file plug-in of its documentation (real msal-node, run by Node) racing
 * our writer processes, and MSAL Python (python3-msal, without msal-extensions) taking
 * turns with us. A reader that catches the truncate-then-write window must never move the
 * valid cache aside as corrupt; taking turns loses nothing; racing degrades to "last
 * writer wins", never to "everyone loses".
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoPath } from "../support/paths.ts";
import { writerEntry } from "./entries.ts";
import {
  fixtureRuntimes,
  type RunningFixture,
  simulatedProcess,
  skipUnless,
  startFixture,
  tempFolder,
} from "./support.ts";

const { runtimes } = fixtureRuntimes();
const MSAL_NODE_WRITER = repoPath("tests", "fixtures", "msal_node_file_writer.mjs");
const nodeRuntime = { name: "node" as const, command: "node", args: () => [MSAL_NODE_WRITER] };
const PYTHON = "/usr/bin/python3";
const hasMsalPython = existsSync(PYTHON)
  && spawnSync(PYTHON, ["-c", "import msal"], { stdio: "ignore" }).status === 0;

async function finished(w: RunningFixture, what: string): Promise<string[]> {
  const exit = await w.exited;
  assert.equal(exit.code, 0, `${what}: ${w.stderr}\n${w.lines.slice(-3).join("\n")}`);
  assert.equal(w.lines.at(-1), "DONE", what);
  return w.lines;
}

function msalNode(path: string, rounds: number, tag: string): RunningFixture {
  return startFixture(nodeRuntime, "", [path, String(rounds), tag]);
}

const backups = (dir: string) => readdirSync(dir).filter((f) => f.includes(".corrupt-"));

describe("foreign writers that rewrite the file in place", () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("msal-node's file plug-in racing 3 of our writers: no valid cache moved aside", {
    timeout: 120_000,
    skip: runtimes.length === 0 && "no runtime binary found",
  }, async () => {
    const path = join(folder.dir, "race.json");
    const ours = [0, 1, 2].map((i) => {
      const runtime = runtimes[i % runtimes.length];
      return startFixture(runtime, "persistence_writer", [path, `${runtime.name}${i}`, "40", "0"], {
        ENTRA_AUTH_TEST_NO_CHECK: "1",
      });
    });
    const msal = msalNode(path, 80, "race");
    // Our writers run with onCorrupt: "throw": catching msal-node mid-write must not count
    // as a corrupt file (they would exit non-zero).
    for (const [i, w] of ours.entries()) await finished(w, `our writer ${i}`);
    await finished(msal, "msal-node");
    assert.deepEqual(backups(folder.dir), [], "nothing was moved aside");
    const raced = JSON.parse(readFileSync(path, "utf8"));
    assert.ok(Object.keys(raced.AccessToken).length > 0, "last writer wins, not everyone loses");

    // Then taking turns: whatever each side commits stays.
    const m1 = msalNode(path, 2, "turnA");
    await finished(m1, "msal-node turn A");
    const o = startFixture(runtimes[0], "persistence_writer", [path, "turn", "2", "0"], {
      ENTRA_AUTH_TEST_NO_CHECK: "1",
    });
    await finished(o, "our turn");
    const m2 = msalNode(path, 1, "turnB");
    await finished(m2, "msal-node turn B");
    const doc = JSON.parse(readFileSync(path, "utf8"));
    const secrets = Object.values(doc.AccessToken).map((e) => (e as { secret: string; }).secret);
    for (const s of ["msal-at-turnA0", "msal-at-turnA1", "msal-at-turnB0"]) {
      assert.ok(secrets.includes(s), `${s} kept`);
    }
    for (let i = 0; i < 2; i++) {
      const [key] = writerEntry("turn", i);
      assert.ok(doc.AccessToken[key], `our ${key} kept`);
    }
    assert.deepEqual(backups(folder.dir), []);
  });

  it("MSAL Python (SerializableTokenCache, no msal-extensions) taking turns: nothing lost", {
    timeout: 60_000,
    skip: skipUnless(hasMsalPython, `needs ${PYTHON} with msal (apt-get install python3-msal)`),
  }, async () => {
    const path = join(folder.dir, "python.json");
    const python = (tag: string) => {
      const run = spawnSync(PYTHON, [
        repoPath("tests", "fixtures", "msal_python_turn.py"),
        path,
        tag,
      ], {
        encoding: "utf8",
        timeout: 30_000,
      });
      assert.equal(run.status, 0, run.stderr);
      return JSON.parse(run.stdout.trim()) as string[];
    };
    await simulatedProcess(path).save(1);
    python("a");
    await simulatedProcess(path).save(2);
    const held = python("b");
    assert.deepEqual(held.sort(), ["at-1", "at-2", "py-at-a", "py-at-b"], "MSAL Python sees all");
    const p = simulatedProcess(path);
    const names = (await p.accounts()).map((a) => a.username).sort();
    assert.deepEqual(names, ["user1@contoso.com", "user2@contoso.com", "user4@contoso.com"]);
    await p.save(5);
    const doc = JSON.parse(readFileSync(path, "utf8"));
    const secrets = Object.values(doc.AccessToken).map((e) => (e as { secret: string; }).secret);
    assert.deepEqual(secrets.sort(), ["at-1", "at-2", "at-5", "py-at-a", "py-at-b"]);
    assert.deepEqual(backups(folder.dir), []);
  });
});
