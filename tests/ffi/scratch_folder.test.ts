/**
 * The temporary folder Bun's trampolines are compiled in: removing it is best effort, so a
 * cleanup that throws (Windows or Wine refusing to delete a file still open) never turns a
 * successful compile into a failed callback creation, nor hides the compile's own error.
 */

import assert from "node:assert/strict";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { withScratchFolder } from "../../ffi/scratch_folder.ts";

const refuse = (path: string) => {
  throw Object.assign(new Error(`EBUSY: resource busy or locked, rmdir '${path}'`), {
    code: "EBUSY",
  });
};

describe("withScratchFolder", () => {
  it("gives work a fresh folder and removes it after", () => {
    let seen = "";
    const result = withScratchFolder("entra-auth-test-", (dir) => {
      seen = dir;
      writeFileSync(join(dir, "a.c"), "int x;");
      return 42;
    });
    assert.equal(result, 42);
    assert.ok(seen !== "" && !existsSync(seen), seen);
  });

  it("returns work's result when removing the folder throws", () => {
    let seen = "";
    const result = withScratchFolder("entra-auth-test-", (dir) => {
      seen = dir;
      return "compiled";
    }, refuse);
    assert.equal(result, "compiled");
    assert.ok(existsSync(seen), "left behind, not removed");
    rmSync(seen, { recursive: true, force: true });
  });

  it("keeps work's own error when removing the folder throws too", () => {
    assert.throws(
      () =>
        withScratchFolder("entra-auth-test-", () => {
          throw new TypeError("tcc: compile error");
        }, refuse),
      (err: unknown) => err instanceof TypeError && err.message === "tcc: compile error",
    );
  });
});
