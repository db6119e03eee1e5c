/**
 * A full disk (a 64 KiB tmpfs mounted in a private mount namespace, `unshare -m`): the lock
 * and the write fail with a typed io_error, and no empty lock file is left behind (it
 * would make the next writer wait out the stale limit).
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runFixture } from "../support/fixtures.ts";
import { tempFolder } from "./support.ts";

const canMount = (() => {
  const probe = spawnSync("unshare", ["-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"], {
    stdio: "ignore",
  });
  return probe.status === 0;
})();

describe("a full disk", {
  skip: !canMount && "needs `unshare -m` and mount (root, or a user namespace)",
}, () => {
  let folder: ReturnType<typeof tempFolder>;
  before(() => (folder = tempFolder()));
  after(() => folder.remove());

  it("leaves no empty lock file, no temporary file; the errors are typed io_error", {
    timeout: 60_000,
  }, async () => {
    const dir = join(folder.dir, "tiny");
    mkdirSync(dir);
    const run = await runFixture("persistence_full_disk", [dir], {
      wrapper: [
        "unshare",
        "-m",
        "sh",
        "-c",
        "mount -t tmpfs -o size=64k tmpfs \"$0\" && exec \"$@\"",
        dir,
      ],
      timeoutMs: 45_000,
    });
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    assert.equal(out.lock.ok, false);
    assert.equal(out.lock.typed, true);
    assert.equal(out.lock.reason, "io_error");
    assert.match(
      out.lock.message,
      /^Cannot write the lock file .*cache\.json\.lock \(ENOSPC\)\. Check that its folder exists/,
    );
    assert.deepEqual(out.afterLock, [], "no empty lock file left");
    assert.equal(out.write.ok, false);
    assert.equal(out.write.reason, "io_error");
    assert.deepEqual(out.afterWrite, [], "no lock or temporary file left");
  });
});
