/**
 * Cross-process safety: 8 writer processes mixing Deno, Bun and Node (the compiled fixture,
 * when npm/ is built) × 200 distinct entries plus rotations of one shared refresh token.
 * Every entry must be present at the end, the last rotation must win, and the file must
 * parse whenever it is read (by the writers after each write and by this process polling).
 */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SecretServiceStore } from "../../ffi/keyring/secret_service.ts";
import { isEncrypted, keyIdOf, open } from "../../src/persistence/envelope.ts";
import { keyAccount } from "../../src/persistence/key_source.ts";
import { canonicalCachePath } from "../../src/persistence/location.ts";
import { SHARED_RT_KEY, writerEntry } from "./entries.ts";
import {
  fileKey,
  fixtureRuntimes,
  keyringSession,
  type RunningFixture,
  skipUnless,
  startFixture,
  tempFolder,
} from "./support.ts";

const { runtimes, missing } = fixtureRuntimes();
if (missing.length > 0) console.log(`concurrency: runtimes not mixed in: ${missing.join("; ")}`);

/** Polls the file while writers run; every read must parse. */
function watch(path: string, key: () => Promise<Uint8Array | undefined>) {
  let reads = 0;
  let failure: string | undefined;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      let bytes: Uint8Array | undefined;
      try {
        bytes = new Uint8Array(readFileSync(path));
      } catch {
        // not created yet
      }
      if (bytes) {
        try {
          const text = isEncrypted(bytes)
            ? await open(bytes, (await key()) ?? new Uint8Array(32), await canonicalCachePath(path))
            : new TextDecoder().decode(bytes);
          JSON.parse(text);
          reads++;
        } catch (err) {
          failure ??= `read ${reads + 1}: ${(err as Error).message}`;
        }
      }
      await new Promise((r) => setTimeout(r, 15));
    }
  })();
  return {
    async end() {
      stop = true;
      await loop;
      return { reads, failure };
    },
  };
}

async function runWriters(
  path: string,
  count: number,
  rounds: number,
  rotateEvery: number,
  extra: string[] = [],
): Promise<RunningFixture[]> {
  const writers = Array.from({ length: count }, (_, i) => {
    const runtime = runtimes[i % runtimes.length];
    return startFixture(runtime, "persistence_writer", [
      path,
      `${runtime.name}${i}`,
      String(rounds),
      String(rotateEvery),
      ...extra,
    ]);
  });
  const exits = await Promise.all(writers.map((w) => w.exited));
  exits.forEach((exit, i) => {
    const w = writers[i];
    assert.equal(
      exit.code,
      0,
      `${w.runtime} writer ${i}: ${w.stderr}\n${w.lines.slice(-3).join("\n")}`,
    );
    assert.equal(w.lines.at(-1), "DONE");
    assert.ok(!w.lines.some((l) => l.startsWith("BAD")), w.lines.find((l) => l.startsWith("BAD")));
  });
  return writers;
}

function checkOutcome(
  doc: Record<string, Record<string, Record<string, string>>>,
  writers: RunningFixture[],
  rounds: number,
) {
  writers.forEach((w, i) => {
    for (let round = 0; round < rounds; round++) {
      const [key, entry] = writerEntry(`${w.runtime}${i}`, round);
      assert.equal(doc.AccessToken[key]?.secret, entry.secret, `${key} is present`);
    }
  });
  assert.equal(Object.keys(doc.AccessToken).length, writers.length * rounds);
  const rotations = writers.flatMap((w) =>
    w.lines.filter((l) => l.startsWith("R ")).map((l) => l.split(" "))
  );
  const maxGeneration = Math.max(...rotations.map((r) => Number(r[1])));
  const final = doc.RefreshToken[SHARED_RT_KEY].secret;
  assert.equal(
    Number(final.split("-")[1]),
    maxGeneration,
    `the newest rotation wins (final ${final}, newest generation ${maxGeneration})`,
  );
  assert.ok(rotations.some((r) => r[2] === final), "the final refresh token is one a writer wrote");
  return { rotations: rotations.length, maxGeneration };
}

describe("concurrent writers", { skip: runtimes.length === 0 && "no runtime binary found" }, () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it(
    `8 processes (${
      runtimes.map((r) => r.name).join(", ")
    }) × 200 entries + shared rotations: nothing lost`,
    {
      timeout: 170_000, // about 50 s on an idle 2-core machine
    },
    async () => {
      const path = join(folder.dir, "plain", "cache.json");
      const watcher = watch(path, () => Promise.resolve(undefined));
      const writers = await runWriters(path, 8, 200, 5);
      const { reads, failure } = await watcher.end();
      assert.equal(failure, undefined, "the file parses whenever read");
      assert.ok(reads > 10, `polled ${reads} times`);
      const doc = JSON.parse(readFileSync(path, "utf8"));
      const { rotations, maxGeneration } = checkOutcome(doc, writers, 200);
      assert.equal(rotations, 8 * 40);
      assert.ok(maxGeneration <= rotations);
    },
  );

  const noSession = skipUnless(
    keyringSession(),
    "needs a D-Bus session with a Secret Service: run under scripts/with-broker.sh",
  );
  it("encrypted: one runtime of each kind × 30 entries share one key from the keyring", {
    timeout: 60_000,
    skip: noSession,
  }, async () => {
    const path = join(folder.dir, "enc", "cache.json");
    const name = `concurrency-${Date.now()}`;
    const store = new SecretServiceStore("entra-auth");
    let key: Uint8Array | undefined;
    const watcher = watch(path, async () => {
      key ??= await fileKey(store, name, path).catch(() => undefined);
      return key;
    });
    try {
      const writers = await runWriters(path, Math.max(3, runtimes.length), 30, 3, [
        "keyring",
        name,
      ]);
      const { failure } = await watcher.end();
      assert.equal(failure, undefined);
      const doc = JSON.parse(
        await open(
          new Uint8Array(readFileSync(path)),
          (await fileKey(store, name, path))!,
          await canonicalCachePath(path),
        ),
      );
      checkOutcome(doc, writers, 30);
    } finally {
      await watcher.end();
      await store.clear(keyAccount(name, keyIdOf(new Uint8Array(readFileSync(path))))).catch(() =>
        false
      );
    }
  });
});
