/**
 * The small rules of the persistent cache on their own: which existing files are trusted
 * (`trust.ts`, `ownership.ts`), where the cache lives by default and its canonical path
 * (`cache_path.ts`, `location.ts`), and the error type (`errors.ts`).
 */

import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join, posix as posixPath, resolve, win32 as win32Path } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { EntraAuthError } from "../../src/errors.ts";
import { cachePathIn } from "../../src/persistence/cache_path.ts";
import { PersistentCacheError } from "../../src/persistence/errors.ts";
import { canonicalCachePath, defaultCachePath } from "../../src/persistence/location.ts";
import { checkOwnership } from "../../src/persistence/ownership.ts";
import { untrustedFile } from "../../src/persistence/trust.ts";
import { tempFolder } from "./support.ts";

const posix = process.platform !== "win32";

describe("which existing files are trusted", () => {
  const path = "/tmp/x/cache.json";

  it("an own file that only its owner may write is trusted, whatever else may read it", () => {
    for (const mode of [0o100600, 0o100400, 0o100644, 0o100755, 0o100700, 0o100604]) {
      assert.equal(untrustedFile(path, { uid: 1000, mode }, "token cache", 1000), undefined);
    }
    assert.equal(untrustedFile(path, { uid: 0n, mode: 0o100600n }, "token cache", 0), undefined);
  });

  it("a file of another user is refused, naming both users and what to do", () => {
    const err = untrustedFile(path, { uid: 1001, mode: 0o100600 }, "lock file", 1000);
    assert.ok(err instanceof PersistentCacheError);
    assert.equal(err.reason, "insecure_file");
    assert.equal(err.path, path);
    assert.equal(
      err.message,
      "The lock file /tmp/x/cache.json belongs to another user (uid 1001, this process runs as "
        + "uid 1000); it is not trusted. Remove it (or have its owner remove it), or choose a "
        + "cache path in a folder only you can write.",
    );
    // root's file, for a user: refused too (bigint stats as well)
    assert.equal(
      untrustedFile(path, { uid: 0n, mode: 0o100600n }, "x", 1000)?.reason,
      "insecure_file",
    );
    assert.equal(
      untrustedFile(path, { uid: 1000, mode: 0o100600 }, "x", 0)?.reason,
      "insecure_file",
    );
  });

  it("a file that group or others may write is refused, with its mode and the fix", () => {
    for (const mode of [0o100620, 0o100602, 0o100666, 0o100660, 0o100622, 0o100777]) {
      const err = untrustedFile(path, { uid: 7, mode: BigInt(mode) }, "token cache", 7);
      assert.ok(err instanceof PersistentCacheError, mode.toString(8));
      assert.equal(err.reason, "insecure_file");
      assert.equal(err.path, path);
    }
    assert.equal(
      untrustedFile(path, { uid: 7, mode: 0o100666 }, "token cache", 7)?.message,
      "The token cache /tmp/x/cache.json is writable by others (mode 666); it is not trusted. "
        + "Check where it came from, then `chmod 600 /tmp/x/cache.json` or remove it.",
    );
    assert.match(
      untrustedFile(path, { uid: 7, mode: 0o104620 }, "token cache", 7)?.message ?? "",
      /\(mode 620\)/,
      "the mode bits only, without the file type or setuid bits",
    );
  });

  it("checkOwnership applies the rule with this process's user id (POSIX)", {
    skip: (!posix || typeof process.getuid !== "function") && "POSIX only",
  }, () => {
    const uid = process.getuid!();
    checkOwnership(path, { uid, mode: 0o100600 }, "token cache");
    assert.throws(
      () => checkOwnership(path, { uid: uid + 1, mode: 0o100600 }, "token cache"),
      (err: unknown) => err instanceof PersistentCacheError && err.reason === "insecure_file",
    );
    assert.throws(
      () => checkOwnership(path, { uid, mode: 0o100646 }, "lock file"),
      (err: unknown) =>
        err instanceof PersistentCacheError
        && /^The lock file .* writable by others/.test(err.message),
    );
  });
});

describe("where the cache lives", () => {
  const linux = (env: Record<string, string | undefined>) => ({
    platform: "linux",
    env,
    home: "/home/me",
    join: posixPath.join,
  });

  it("Linux: $XDG_CACHE_HOME when absolute, else ~/.cache", () => {
    assert.equal(cachePathIn("app", linux({})), "/home/me/.cache/entra-auth/app.json");
    assert.equal(
      cachePathIn("app", linux({ XDG_CACHE_HOME: "" })),
      "/home/me/.cache/entra-auth/app.json",
    );
    assert.equal(cachePathIn("app", linux({ XDG_CACHE_HOME: "/x/c" })), "/x/c/entra-auth/app.json");
    assert.equal(
      cachePathIn("app", linux({ XDG_CACHE_HOME: "x/c" })),
      "/home/me/.cache/entra-auth/app.json",
    );
    assert.equal(
      cachePathIn("app", { ...linux({ XDG_CACHE_HOME: "/x" }), platform: "freebsd" }),
      "/x/entra-auth/app.json",
      "other Unix systems follow XDG too",
    );
  });

  it("macOS: ~/Library/Caches, whatever XDG says", () => {
    assert.equal(
      cachePathIn("app", { ...linux({ XDG_CACHE_HOME: "/x" }), platform: "darwin" }),
      "/home/me/Library/Caches/entra-auth/app.json",
    );
  });

  it("Windows: %LOCALAPPDATA%, else <home>\\AppData\\Local", () => {
    const win = (env: Record<string, string | undefined>) => ({
      platform: "win32",
      env,
      home: "C:\\Users\\me",
      join: win32Path.join,
    });
    assert.equal(
      cachePathIn("app", win({ LOCALAPPDATA: "D:\\Local", XDG_CACHE_HOME: "/x" })),
      "D:\\Local\\entra-auth\\app.json",
    );
    assert.equal(
      cachePathIn("app", win({})),
      "C:\\Users\\me\\AppData\\Local\\entra-auth\\app.json",
    );
    assert.equal(
      cachePathIn("app", win({ LOCALAPPDATA: "" })),
      "C:\\Users\\me\\AppData\\Local\\entra-auth\\app.json",
    );
  });

  it("the name becomes a file name: anything but letters, digits, _ . - is replaced", () => {
    assert.equal(
      cachePathIn("My App/v2 é:x", linux({})),
      "/home/me/.cache/entra-auth/My_App_v2___x.json",
    );
    assert.equal(cachePathIn("a-b.c_D9", linux({})), "/home/me/.cache/entra-auth/a-b.c_D9.json");
    assert.equal(cachePathIn("../../etc", linux({})), "/home/me/.cache/entra-auth/.._.._etc.json");
  });

  it("defaultCachePath: token_cache, with the process's platform, environment and home", () => {
    assert.equal(
      defaultCachePath(undefined, { platform: "linux", env: {}, home: "/h" }),
      "/h/.cache/entra-auth/token_cache.json",
    );
    const here = defaultCachePath("n");
    assert.ok(here.endsWith(join("entra-auth", "n.json")), here);
    if (process.platform === "linux") {
      const { XDG_CACHE_HOME } = process.env;
      const expected = XDG_CACHE_HOME?.startsWith("/")
        ? join(XDG_CACHE_HOME, "entra-auth", "n.json")
        : join(process.env.HOME ?? "", ".cache", "entra-auth", "n.json");
      assert.equal(here, expected);
      assert.equal(
        defaultCachePath("n", { env: { XDG_CACHE_HOME: "/q" } }),
        "/q/entra-auth/n.json",
      );
      assert.equal(
        defaultCachePath("n", { home: "/elsewhere", env: {} }),
        "/elsewhere/.cache/entra-auth/n.json",
      );
    }
  });

  describe("the canonical path (what a version-2 file is bound to)", () => {
    let folder: ReturnType<typeof tempFolder>;
    before(() => (folder = tempFolder()));
    after(() => folder.remove());

    it("resolves a linked folder, keeps the file name; absolute when the folder is missing", {
      skip: !posix && "symbolic links need privileges on Windows",
    }, async () => {
      const real = join(folder.dir, "real");
      mkdirSync(real);
      symlinkSync(real, join(folder.dir, "link"));
      assert.equal(
        await canonicalCachePath(join(folder.dir, "link", "cache.json")),
        join(await realFolder(real), "cache.json"),
      );
      // the file itself may be a link: the name is kept as it is
      writeFileSync(join(real, "target.json"), "{}");
      symlinkSync(join(real, "target.json"), join(real, "named.json"));
      assert.equal(
        await canonicalCachePath(join(real, "named.json")),
        join(await realFolder(real), "named.json"),
      );
      const missing = join(folder.dir, "none", "cache.json");
      assert.equal(await canonicalCachePath(missing), missing);
      const relative = "no-such-folder-here/cache.json";
      assert.equal(await canonicalCachePath(relative), resolve(relative));
    });
  });
});

/** The real path of a folder (the temporary folder itself may sit behind a link). */
async function realFolder(path: string): Promise<string> {
  const { realpath } = await import("node:fs/promises");
  return await realpath(path);
}

describe("PersistentCacheError", () => {
  it("is an EntraAuthError with code cache_error, its reason, path, backup and cause", () => {
    const cause = new Error("EACCES");
    const err = new PersistentCacheError("corrupt", "bad file", {
      path: "/p",
      backupPath: "/p.corrupt-1",
      cause,
    });
    assert.ok(err instanceof EntraAuthError);
    assert.equal(err.code, "cache_error");
    assert.equal(err.reason, "corrupt");
    assert.equal(err.message, "bad file");
    assert.equal(err.path, "/p");
    assert.equal(err.backupPath, "/p.corrupt-1");
    assert.equal(err.cause, cause);
    const bare = new PersistentCacheError("lock_timeout", "locked");
    assert.equal(bare.path, undefined);
    assert.equal(bare.backupPath, undefined);
  });
});
