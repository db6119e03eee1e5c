/**
 * The JSR package as scripts/build_jsr.ts stages it: its `./cli` export runs the command line
 * bundled (what `deno run -A jsr:@entra-auth/core/cli` and `deno install` run). Checked against
 * the sources, in Deno, as users run it: the same answers from the cache (by the fast path),
 * the full command line when the cache cannot answer, the keyring cache's failures with the
 * same exit code, and no `node:` module loaded before the fast path answers (Deno takes
 * 15–20 ms to load the first, which would undo the bundling).
 */

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { MAGIC } from "../../src/persistence/envelope.ts";
import { user } from "../cache/helpers.ts";
import { folderWith, tokenArgs, windows } from "../cli/cache_fixture.ts";
import { type CliRun, runCli } from "../support/cli.ts";
import { repoPath } from "../support/paths.ts";

const deno = repoPath("node_modules", ".bin", process.platform === "win32" ? "deno.exe" : "deno");

/** Runs `command` as the CLI tests run `entra-auth` (private environment handling). */
function run(command: string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return runCli([], { command, env, timeoutMs: 90_000 });
}

/** The static imports of a bundled module (`import{a}from"./x.js"`, `import"./y.js"`). */
function staticImports(code: string): string[] {
  return [...code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[\w*${},\s]+from\s*)?"([^"]+)"/g)]
    .map((m) => m[1]);
}

describe("the JSR package's command line (bundled)", { skip: windows, timeout: 240_000 }, () => {
  let stage: string;
  let staged: string[];
  const sources = [deno, "run", "-A", "--quiet", repoPath("src", "cli", "bin.ts")];
  before(async () => {
    stage = mkdtempSync(join(tmpdir(), "entra-auth-jsr-"));
    const built = await run([
      deno,
      "run",
      "-A",
      repoPath("scripts", "build_jsr.ts"),
      "--out",
      stage,
    ]);
    assert.equal(built.code, 0, built.stderr);
    staged = [deno, "run", "-A", "--quiet", join(stage, "src", "cli", "bin.ts")];
  });
  after(() => {
    if (stage) rmSync(stage, { recursive: true, force: true });
  });

  it("runs the bundle, which loads no node: module before the fast path answers", () => {
    const cli = join(stage, "src", "cli");
    assert.match(readFileSync(join(cli, "bin.ts"), "utf8"), /^import "\.\/bin\.bundle\.js";$/m);
    const seen = new Set<string>();
    const visit = (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const specifier of staticImports(readFileSync(join(cli, file), "utf8"))) {
        assert.ok(!specifier.startsWith("node:"), `${file} imports ${specifier} on start`);
        assert.match(specifier, /^\.\/[\w-]+\.bundle\.js$/, `${file} imports ${specifier}`);
        visit(specifier.slice(2));
      }
    };
    visit("bin.bundle.js");
    // The fast path is in the entry; the full command line is loaded only when it runs.
    const entry = readFileSync(join(cli, "bin.bundle.js"), "utf8");
    assert.match(entry, /served from the cache/);
    assert.match(entry, /import\("\.\/main\.bundle\.js"\)/);
  });

  it("answers from the cache exactly as the sources do, in every output format", async () => {
    const { dir, path } = await folderWith([{ who: user(1), scope: "Mail.Read" }]);
    const env = { HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), ENTRA_AUTH_LOG: "startup" };
    for (const output of ["token", "json", "header"]) {
      const args = ["token", ...tokenArgs(path, "--scope", "Mail.Read", "-o", output)];
      const [bundled, source] = await Promise.all([
        run([...staged, ...args], env),
        run([...sources, ...args], env),
      ]);
      assert.equal(bundled.code, 0, bundled.stderr);
      assert.equal(bundled.stderr, "entra-auth: startup: served from the cache\n");
      if (output === "json") {
        // expiresOn is the same instant; only the correlation of the two runs differs.
        assert.deepEqual(JSON.parse(bundled.stdout), JSON.parse(source.stdout));
      } else assert.equal(bundled.stdout, source.stdout, output);
    }
  });

  it("runs the full command line when the cache cannot answer, as the sources do", async () => {
    const { dir, path } = await folderWith([{ who: user(1), scope: "Mail.Read" }]);
    const env = { HOME: dir, XDG_CONFIG_HOME: join(dir, "config"), ENTRA_AUTH_LOG: "startup" };
    const args = ["token", ...tokenArgs(path, "--scope", "Files.Read")];
    const [bundled, source] = await Promise.all([
      run([...staged, ...args], env),
      run([...sources, ...args], env),
    ]);
    assert.equal(bundled.code, 3, bundled.stderr);
    assert.equal(bundled.stdout, "");
    assert.equal(bundled.stderr, source.stderr);
    assert.match(bundled.stderr, /^entra-auth: startup: full command \(no valid token\)\n/);
    const help = await run([...staged, "accounts", "--help"]);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /entra-auth accounts/);
  });

  it("reports a keyring cache it cannot open as the full command does (the keyring chunk)", async () => {
    const { dir, path } = await folderWith([]);
    // An encrypted file needs its key, and no keyring is reachable (no session bus).
    writeFileSync(path, new Uint8Array([...MAGIC, ...new Uint8Array(16).fill(7), 1, 2, 3]), {
      mode: 0o600,
    });
    const env = {
      HOME: dir,
      XDG_CONFIG_HOME: join(dir, "config"),
      ENTRA_AUTH_LOG: "startup",
      DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/bus",
    };
    const args = tokenArgs(path, "--scope", "Mail.Read", "--cache", "keyring");
    // A positional argument, which the full command ignores, makes the fast path give way.
    const [bundled, full] = await Promise.all([
      run([...staged, "token", ...args], env),
      run([...sources, "token", "positional", ...args], env),
    ]);
    assert.equal(full.code, 5, full.stderr);
    assert.equal(bundled.code, 5, bundled.stderr);
    const [trace, error] = bundled.stderr.split("\n");
    assert.equal(trace, "entra-auth: startup: a failure of the cache, reported");
    assert.equal(error, full.stderr.split("\n")[1]);
    assert.match(error, /--cache plaintext/);
  });
});
