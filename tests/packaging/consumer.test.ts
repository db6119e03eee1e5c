/**
 * The npm packages as a user gets them: `npm pack` of the built `entra-auth` (npm/) and its
 * companions `entra-auth-testing` and `entra-auth-cli` (npm/node_modules/), installed offline
 * into a fresh project, then used by the user's own code: an example program and an app test
 * against the Entra ID emulator run from it, CommonJS `require` is checked, the bins are
 * installed, and the README's examples type-check with tsc under node16, nodenext and bundler
 * resolution. Catches a missing file, export or type, as a user would meet it; and the library
 * package stays under its size budget with no tests, emulators or command line in it.
 *
 * Runs under Node (which runs the suite on the built package); Deno and Bun skip it.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import { currentRuntime } from "../../ffi/runtime.ts";
import {
  createEntraEmulator,
  type EmulatorServer,
  TEST_CLIENT_ID,
} from "../../src/testing/entra_emulator/mod.ts";
import { runExample } from "../examples/run_example.ts";
import { repoPath } from "../support/paths.ts";

const skip = currentRuntime() !== "node"
  ? "runs under Node, on the built npm package"
  : existsSync(repoPath("npm", "package.json"))
  ? false
  : "build npm/ first (scripts/build_npm.ts)";

// The packages and where the build writes them.
const PACKAGES = [
  ["npm"],
  ["npm", "node_modules", "entra-auth-testing"],
  ["npm", "node_modules", "entra-auth-cli"],
];

/** What `npm pack --json` says of a tarball. */
interface PackResult {
  name: string;
  filename: string;
  unpackedSize: number;
  files: { path: string; size: number; }[];
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: "utf8", timeout: 120_000 });
  assert.equal(
    result.status,
    0,
    `${command} ${
      args.join(" ")
    } failed (${result.status} ${result.signal}):\n${result.stdout}\n${result.stderr}`,
  );
  return result.stdout;
}

// The first TypeScript block of a README section.
function readmeExample(heading: string): string {
  const readme = readFileSync(repoPath("README.md"), "utf8");
  const at = readme.indexOf(heading);
  assert.ok(at >= 0, `no section ${heading} in the README`);
  const match = /```ts\n([\s\S]*?)```/.exec(readme.slice(at));
  assert.ok(match, `no ts block in the README's ${heading} section`);
  return match[1]!;
}

describe("the packed npm package in a fresh project", { skip, timeout: 300_000 }, () => {
  let dir: string;
  let project: string;
  const packed = new Map<string, PackResult>();
  const emulator = createEntraEmulator();
  let server: EmulatorServer;

  before(async () => {
    server = await emulator.listen();
    dir = mkdtempSync(join(tmpdir(), "entra-auth-consumer-"));
    project = join(dir, "app");
    mkdirSync(project);
    for (const folder of PACKAGES) {
      const [result] = JSON.parse(
        run("npm", ["pack", "--json", "--silent", "--pack-destination", dir], repoPath(...folder)),
      ) as PackResult[];
      packed.set(result!.name, result!);
    }
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }),
    );
    // --offline: nothing is fetched; the optional koffi is installed only when npm's cache has
    // it (this app needs no native library).
    run("npm", [
      "install",
      "--offline",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      ...[...packed.values()].map((p) => join(dir, p.filename)),
    ], project);
  });
  after(async () => {
    await server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("runs an example program that imports the package by its name", async () => {
    copyFileSync(repoPath("npm", "examples", "device_code_server.js"), join(project, "server.js"));
    const approved = new Set<string>();
    const result = await runExample([process.execPath, join(project, "server.js")], {
      env: {
        CLIENT_ID: TEST_CLIENT_ID,
        AUTHORITY: `${server.url}/common`,
        KNOWN_AUTHORITY_HOSTS: "127.0.0.1",
      },
      onStdout: (stdout) => {
        for (const [, code] of stdout.matchAll(/enter the code (\S+) to authenticate/g)) {
          if (code && !approved.has(code)) {
            approved.add(code);
            emulator.approveDeviceCode(code, "alice@contoso.onmicrosoft.com");
          }
        }
      },
    });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /signed in as alice@contoso\.onmicrosoft\.com/);
  });

  it("bundles with esbuild for Node from the installed package, and the bundle signs in", async () => {
    copyFileSync(repoPath("npm", "examples", "device_code_server.js"), join(project, "server.js"));
    run(repoPath("node_modules", ".bin", "esbuild"), [
      "server.js",
      "--bundle",
      "--platform=node",
      "--format=esm",
      "--log-level=warning",
      "--outfile=bundled/server.mjs",
    ], project);
    const approved = new Set<string>();
    const result = await runExample([process.execPath, join(project, "bundled", "server.mjs")], {
      env: {
        CLIENT_ID: TEST_CLIENT_ID,
        AUTHORITY: `${server.url}/common`,
        KNOWN_AUTHORITY_HOSTS: "127.0.0.1",
      },
      onStdout: (stdout) => {
        for (const [, code] of stdout.matchAll(/enter the code (\S+) to authenticate/g)) {
          if (code && !approved.has(code)) {
            approved.add(code);
            emulator.approveDeviceCode(code, "alice@contoso.onmicrosoft.com");
          }
        }
      },
    });
    assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(result.stdout, /signed in as alice@contoso\.onmicrosoft\.com/);
  });

  // The budget was 300 KB until the takeover guard (persistence/takeover.ts, 2.8 KB minified):
  // a commit a late rename replaced is merged back. Raised for that, not for growth at large.
  it("keeps the library package under 305 KB, without tests, emulators or CLI", () => {
    const core = packed.get("entra-auth")!;
    assert.ok(
      core.unpackedSize < 305_000,
      `entra-auth is ${core.unpackedSize} bytes unpacked (budget: 305 KB)`,
    );
    const paths = core.files.map((f) => f.path);
    for (const unwanted of [/^tests\//, /^src\/testing\//, /^src\/cli\//, /^bench\//, /\.map$/]) {
      assert.deepEqual(paths.filter((p) => unwanted.test(p)), [], `${unwanted} in entra-auth`);
    }
    assert.ok(paths.includes("dist/mod.js") && paths.includes("mod.d.ts"), paths.join(" "));
  });

  // The packages as Bun and Deno users of npm get them (Deno from node_modules; --no-check: the
  // fresh project has no @types/node).
  const testCommands: [string, string[]][] = [
    ["node", [process.execPath, "--test", "app.test.js"]],
    ["bun", [
      repoPath("node_modules", ".bin", "bun"),
      "test",
      "--timeout",
      "60000",
      "./app.test.js",
    ]],
    ["deno", [repoPath("node_modules", ".bin", "deno"), "test", "-A", "--no-check", "app.test.js"]],
  ];
  for (const [runtime, [command, ...args]] of testCommands) {
    it(`runs an app test importing the emulator from entra-auth-testing (${runtime})`, () => {
      copyFileSync(
        repoPath("npm", "examples", "testing_with_entra_emulator.test.js"),
        join(project, "app.test.js"),
      );
      const env: Record<string, string | undefined> = { ...process.env, DENO_NO_UPDATE_CHECK: "1" };
      delete env.NODE_TEST_CONTEXT;
      delete env.RUST_BACKTRACE;
      const result = spawnSync(command!, args, {
        cwd: project,
        encoding: "utf8",
        timeout: 120_000,
        env,
      });
      assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    });
  }

  it("exports package.json; entra-auth-testing installs the entra-auth-with-broker bin", () => {
    const out = run(process.execPath, [
      "--input-type=module",
      "-e",
      "import p from 'entra-auth/package.json' with { type: 'json' }; console.log(p.name)",
    ], project);
    assert.equal(out.trim(), "entra-auth");
    const bin = join(project, "node_modules", ".bin", "entra-auth-with-broker");
    assert.ok(existsSync(bin), "no entra-auth-with-broker in node_modules/.bin");
    assert.ok(statSync(bin).mode & 0o111, "the bin is not executable");
    assert.ok(
      existsSync(
        join(project, "node_modules", "entra-auth-testing", "scripts", "broker_emulator.js"),
      ),
      "the launcher's broker emulator is not in the package",
    );
  });

  it("without entra-auth-cli (an install that omits optional dependencies), entra-auth says what to install", () => {
    const alone = join(dir, "no-cli");
    mkdirSync(join(alone, "node_modules"), { recursive: true });
    cpSync(join(project, "node_modules", "entra-auth"), join(alone, "node_modules", "entra-auth"), {
      recursive: true,
    });
    const shim = join(alone, "node_modules", "entra-auth", "bin", "entra-auth.js");
    const run = spawnSync(process.execPath, [shim, "--help"], { cwd: alone, encoding: "utf8" });
    assert.equal(run.status, 1, run.stderr);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /npm install entra-auth-cli/);
    const core = JSON.parse(
      readFileSync(join(project, "node_modules", "entra-auth", "package.json"), "utf8"),
    );
    assert.equal(core.optionalDependencies["entra-auth-cli"], core.version);
  });

  it("entra-auth installs the entra-auth command (entra-auth-cli's), which runs as npx runs it", () => {
    const bin = join(project, "node_modules", ".bin", "entra-auth");
    assert.ok(existsSync(bin), "no entra-auth in node_modules/.bin");
    assert.match(realpathSync(bin), /node_modules[\\/]entra-auth[\\/]bin[\\/]entra-auth\.js$/);
    assert.ok(existsSync(join(project, "node_modules", ".bin", "entra-auth-cli")));
    const help = spawnSync(bin, ["token", "--help"], {
      cwd: project,
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /^Usage: entra-auth token/);
    const usage = spawnSync(bin, ["token", "--scope", "x"], {
      cwd: project,
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, ENTRA_AUTH_CLIENT_ID: "" },
    });
    assert.equal(usage.status, 2, usage.stderr);
    assert.match(usage.stderr, /--client-id/);
    // doctor loads most of the bundle's lazily loaded chunks (runtime report, MSALRuntime,
    // D-Bus, keyring, cache): 0 when the broker can be used here, 9 when something blocks it.
    const doctor = spawnSync(bin, ["doctor"], { cwd: project, encoding: "utf8", timeout: 60_000 });
    assert.ok(doctor.status === 0 || doctor.status === 9, `${doctor.status}\n${doctor.stderr}`);
    const report = JSON.parse(doctor.stdout) as { checks: { id: string; }[]; };
    assert.deepEqual(
      ["runtime", "msalruntime", "dbus", "keyring"].filter((id) =>
        !report.checks.some((c) => c.id === id)
      ),
      [],
    );
  });

  it("can be required from CommonJS where Node can require ES modules (20.19+)", () => {
    const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
    const canRequireEsm = major > 22 || (major === 22 && minor >= 12)
      || (major === 20 && minor >= 19);
    const result = spawnSync(process.execPath, [
      "-e",
      "console.log(typeof require('entra-auth').PublicClientApplication)",
    ], { cwd: project, encoding: "utf8", timeout: 60_000 });
    if (canRequireEsm) assert.equal(result.stdout.trim(), "function", result.stderr);
    else assert.notEqual(result.status, 0);
  });

  for (const resolution of ["node16", "nodenext", "bundler"]) {
    it(`type-checks the README examples (moduleResolution ${resolution})`, () => {
      const folder = join(project, `tsc-${resolution}`);
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, "readme.ts"), readmeExample("## Sign in"));
      // The emulator example, through the package's sub-path export.
      writeFileSync(
        join(folder, "emulator.ts"),
        `${readmeExample("## Testing your app with the emulators")}\nexport { result };\n`,
      );
      // Every entry point's declarations (trimmed to the public API by the build) load.
      writeFileSync(
        join(folder, "entries.ts"),
        [
          `import type * as core from "entra-auth";`,
          `import type * as identity from "entra-auth/azure-identity";`,
          `import type * as entra from "entra-auth-testing/entra-emulator";`,
          `import type * as broker from "entra-auth-testing/broker-emulator";`,
          `export type { broker, core, entra, identity };`,
        ].join("\n"),
      );
      writeFileSync(
        join(folder, "package.json"),
        JSON.stringify({ type: "module", private: true }),
      );
      writeFileSync(
        join(folder, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            target: "ES2022",
            lib: ["ES2022", "DOM"],
            module: resolution === "bundler" ? "ESNext" : resolution,
            moduleResolution: resolution,
            types: ["node"],
            typeRoots: [repoPath("node_modules", "@types")],
            skipLibCheck: false,
          },
          files: ["readme.ts", "emulator.ts", "entries.ts"],
        }),
      );
      run(repoPath("node_modules", ".bin", "tsc"), ["-p", "tsconfig.json"], folder);
    });
  }
});
