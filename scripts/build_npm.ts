/**
 * Builds the npm packages (the job dnt would do): ES modules compiled by the pinned tsc and
 * minified by esbuild, `.d.ts` files trimmed to the public API, package.json files with their
 * exports maps, README and LICENSE.
 *
 * - `npm/`: `entra-auth`, the library (its bundles in npm/dist/). Around it, npm/ holds tsc's
 *   per-module output of everything, with source maps, which is not published: the test suite
 *   compiled into npm/tests/ runs there under `node --test`.
 * - `npm/node_modules/entra-auth-testing/`: the emulators and the `entra-auth-with-broker`
 *   launcher, for apps' own tests.
 * - `npm/node_modules/entra-auth-cli/`: the `entra-auth` command line.
 *
 * No source maps are published: docs/architecture.md says why.
 *
 * Run: node_modules/.bin/deno run -A scripts/build_npm.ts
 */

import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import process from "node:process";
import { trimDeclarations } from "./npm_declarations.ts";

const root = join(import.meta.dirname ?? ".", "..");
const out = join(root, "npm");
const deno = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"));
const dev = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

// Bundles for Node (which Bun and Deno's npm support read too), native and Bun-only modules
// left to be loaded at run time.
const BUNDLE = [
  "--bundle",
  "--splitting",
  "--minify",
  "--platform=node",
  "--external:koffi",
  "--external:bun:*",
  "--chunk-names=chunks/[name]-[hash]",
];

const TESTING_README = `
Offline emulators for testing an app that signs in with entra-auth, in Node, Bun and Deno:

- \`entra-auth-testing/entra-emulator\`: an in-memory Entra ID (\`createEntraEmulator()\`; pass
  \`fetch: emulator.fetch\` to the app, or \`await emulator.listen()\` for another process).
- \`entra-auth-testing/broker-emulator\`: the Linux identity broker on D-Bus, for the real
  MSALRuntime; run the tests inside \`npx entra-auth-with-broker -- node --test\`.

\`\`\`sh
npm install --save-dev entra-auth-testing
\`\`\`

Deno users of JSR import the same modules from \`@entra-auth/core/testing/entra-emulator\` and
\`@entra-auth/core/testing/broker-emulator\`.
`;

const CLI_README = `
The code of the \`entra-auth\` command line (installed with the \`entra-auth\` package, as an
optional dependency; alone, its command is \`entra-auth-cli\`): sign in (through the OS broker, a browser or a device code)
and print access tokens for scripts, \`git\` and \`kubectl\`.

\`\`\`sh
npx entra-auth login --client-id <your app> --tenant contoso.com
npm install --global entra-auth && entra-auth token --help
\`\`\`

Deno: \`deno run -A jsr:@entra-auth/core/cli\`.
`;

rmSync(out, { recursive: true, force: true });
try {
  execFileSync(join(root, "node_modules", ".bin", "tsc"), ["-p", "tsconfig.build.json"], {
    cwd: root,
    stdio: "inherit",
  });
} catch {
  console.error("build_npm: tsc failed");
  process.exit(1);
}

// tsc rewrites .ts specifiers in JavaScript but not in declarations: fix the .d.ts files so
// that consumers on any TypeScript version resolve them.
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
for (const file of walk(out).filter((f) => f.endsWith(".d.ts"))) {
  const text = readFileSync(file, "utf8");
  const fixed = text.replace(/(from\s+["']|import\(["'])(\.{1,2}\/[^"']+)\.ts(["'])/g, "$1$2.js$3");
  if (fixed !== text) writeFileSync(file, fixed);
}

// Declarations: only the public API of each package, with its JSDoc (scripts/npm_declarations.ts).
const declarations = walk(out).filter((f) => f.endsWith(".d.ts"));
const isTesting = (f: string) => relative(out, f).startsWith("src/testing/");
const isCli = (f: string) => relative(out, f).startsWith("src/cli/");
const inPackage = (f: string) => /^(mod\.d\.ts|src\/|ffi\/)/.test(relative(out, f));
trimDeclarations(
  ["mod.d.ts", "src/credential/identity_plugin.d.ts"].map((f) => join(out, f)),
  declarations.filter((f) => inPackage(f) && !isTesting(f) && !isCli(f)),
);
trimDeclarations(
  ["entra_emulator", "broker_emulator"].map((e) => join(out, "src", "testing", e, "mod.d.ts")),
  declarations.filter(isTesting),
);
for (const file of declarations.filter(isCli)) rmSync(file);

// The command line's entry as one file holding the token fast path (src/cli/token_from_cache.ts
// and the cache reader): Node and Bun then load one module instead of about thirty before
// answering from the cache (Node about 13 ms sooner, Bun about 3 ms). What it loads only on
// demand stays a module of its own, shared with the rest of the package: the full command line
// (main.js), the keyring cache (persistence) and the exit codes (describeFailure must see the
// same error classes as the persistent cache that threw).
try {
  const bin = join(out, "src", "cli", "bin.js");
  execFileSync(join(root, "node_modules", ".bin", "esbuild"), [
    bin,
    "--bundle",
    `--outfile=${bin}`,
    "--allow-overwrite",
    "--platform=node",
    "--format=esm",
    "--log-level=warning",
    ...[
      "./main.js",
      "./exit_codes.js",
      "../persistence/persistent_cache.js",
      "../persistence/errors.js",
      "../cache/plugin.js",
    ].map((path) => `--external:${path}`),
  ], { stdio: "inherit" });
} catch {
  console.error("build_npm: esbuild (bundling the command line's entry) failed");
  process.exit(1);
}

const version = deno.version as string;
const koffi = { koffi: dev.devDependencies.koffi as string };
const common = {
  version,
  license: deno.license,
  type: "module",
  engines: { node: ">=20" },
  keywords: ["entra", "azure-ad", "msal", "oauth", "broker", "deno", "bun", "ffi"],
};
const entry = (path: string, types = path.replace(/\.js$/, ".d.ts")) => ({ types, default: path });

// entra-auth: the library. Its entry points are deno.json's, less the emulators (in
// entra-auth-testing) and the command line (in entra-auth-cli).
// Its JavaScript is one minified bundle per entry point, with the modules they share, and those
// loaded lazily (the runtime backends, the network flows), in chunks of their own. The Node
// suite tests the per-module build around it in npm/ (tsc's output, readable); the compiled
// examples (which import the package by its name) and the consumer test run the bundles.
esbuild([
  `mod=${join(out, "mod.js")}`,
  `azure-identity=${join(out, "src", "credential", "identity_plugin.js")}`,
  ...BUNDLE,
  `--outdir=${join(out, "dist")}`,
]);
/** The library package's `entra-auth` executable: it runs the command line of entra-auth-cli. */
const CLI_SHIM = `#!/usr/bin/env node
// The entra-auth command line. Its code is in the entra-auth-cli package, an optional
// dependency of entra-auth (an install with --omit=optional leaves it out).
try {
  await import("entra-auth-cli/bin");
} catch (err) {
  if (err?.code !== "ERR_MODULE_NOT_FOUND" || !String(err?.message).includes("entra-auth-cli")) {
    throw err;
  }
  process.stderr.write(
    "entra-auth: the command line is in the entra-auth-cli package, which is not installed " +
      "here (an optional dependency of entra-auth: an install with --omit=optional leaves it " +
      "out). Install it with: npm install entra-auth-cli (or run: npx entra-auth-cli).\\n",
  );
  process.exitCode = 1;
}
`;

writeJson(join(out, "package.json"), {
  name: "entra-auth",
  ...common,
  description:
    "Sign in to Microsoft Entra ID from Deno, Bun and Node, through the OS authentication broker (MSALRuntime via FFI) or by itself.",
  main: "./dist/mod.js",
  types: "./mod.d.ts",
  exports: {
    ".": entry("./dist/mod.js", "./mod.d.ts"),
    "./azure-identity": entry(
      "./dist/azure-identity.js",
      "./src/credential/identity_plugin.d.ts",
    ),
    "./package.json": "./package.json",
  },
  files: [
    "dist/",
    "bin/",
    "mod.d.ts",
    "src/**/*.d.ts",
    "!src/testing/",
    "!src/cli/",
    "ffi/**/*.d.ts",
    "README.md",
    "CHANGELOG.md",
    "LICENSE",
  ],
  sideEffects: false,
  // `npx entra-auth`, `bunx entra-auth`, `npm install --global entra-auth`: a few lines that run
  // the command line of entra-auth-cli.
  bin: { "entra-auth": "bin/entra-auth.js" },
  // koffi is used only on Node, and only to reach native libraries (the broker, the keyring).
  // entra-auth-cli is the command line: optional, so that an app's install can leave it out
  // (npm install --omit=optional); the library itself never loads it.
  optionalDependencies: { ...koffi, "entra-auth-cli": version },
});
mkdirSync(join(out, "bin"), { recursive: true });
writeFileSync(join(out, "bin", "entra-auth.js"), CLI_SHIM);
chmodSync(join(out, "bin", "entra-auth.js"), 0o755);
for (const file of ["CHANGELOG.md", "LICENSE"]) copyFileSync(join(root, file), join(out, file));
// The README for users: the contributors' section (clone, demo, test suite) is the repository's.
writeFileSync(
  join(out, "README.md"),
  readFileSync(join(root, "README.md"), "utf8").replace(
    /\n## For contributors\n[\s\S]*?(?=\n## )/,
    "",
  ),
);

// The companion packages are built into npm/node_modules/, where Node finds them from the
// compiled examples and tests as it would in a user's project.
const testing = join(out, "node_modules", "entra-auth-testing");
const cli = join(out, "node_modules", "entra-auth-cli");
buildTestingPackage(testing);
buildCliPackage(cli);
console.log(
  `build_npm: wrote ${out} (entra-auth ${version}), ${relative(root, testing)}, ${
    relative(root, cli)
  }`,
);

// entra-auth-testing: the two emulators, and the broker emulator's launcher for apps' own tests
// (Linux: bwrap, dbus, gnome-keyring). Self-contained: the emulators import nothing of the
// library.
function buildTestingPackage(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  const testing = walk(join(out, "src", "testing"));
  // One minified file per module (the launcher runs scripts/broker_emulator.js by its path).
  esbuild([
    ...testing.filter((f) => f.endsWith(".js")),
    join(out, "scripts", "broker_emulator.js"),
    `--outdir=${dir}`,
    `--outbase=${out}`,
    "--minify",
  ]);
  for (const file of testing.filter((f) => f.endsWith(".d.ts"))) {
    const target = join(dir, relative(out, file));
    mkdirSync(dirname(target), { recursive: true });
    copyFileSync(file, target);
  }
  mkdirSync(join(dir, "bin"), { recursive: true });
  copyFileSync(join(root, "scripts", "with-broker.sh"), join(dir, "bin", "entra-auth-with-broker"));
  chmodSync(join(dir, "bin", "entra-auth-with-broker"), 0o755);
  copyFileSync(join(root, "LICENSE"), join(dir, "LICENSE"));
  writeFileSync(join(dir, "README.md"), companionReadme("entra-auth-testing", TESTING_README));
  writeJson(join(dir, "package.json"), {
    name: "entra-auth-testing",
    ...common,
    description:
      "Offline emulators of Microsoft Entra ID and of the Linux identity broker, to test apps that sign in with entra-auth.",
    exports: {
      "./entra-emulator": entry("./src/testing/entra_emulator/mod.js"),
      "./broker-emulator": entry("./src/testing/broker_emulator/mod.js"),
      "./package.json": "./package.json",
    },
    bin: { "entra-auth-with-broker": "bin/entra-auth-with-broker" },
    files: ["src/", "scripts/", "bin/", "README.md", "LICENSE"],
    sideEffects: false,
  });
}

// entra-auth-cli: the `entra-auth` command line, bundled (it uses the library's internals) with
// its lazily loaded parts in chunks of their own, so that a command loads only what it runs.
function buildCliPackage(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  esbuild([join(out, "src", "cli", "bin.js"), ...BUNDLE, `--outdir=${join(dir, "dist")}`]);
  copyFileSync(join(root, "LICENSE"), join(dir, "LICENSE"));
  writeFileSync(join(dir, "README.md"), companionReadme("entra-auth-cli", CLI_README));
  writeJson(join(dir, "package.json"), {
    name: "entra-auth-cli",
    ...common,
    description:
      "The entra-auth command line: sign in to Microsoft Entra ID and print tokens, for scripts, git and kubectl.",
    // Named after the package (npx entra-auth-cli); the `entra-auth` command is the library
    // package's, which runs this one's (two packages of one install must not both link it).
    bin: { "entra-auth-cli": "dist/bin.js" },
    exports: { "./bin": "./dist/bin.js", "./package.json": "./package.json" },
    files: ["dist/", "README.md", "LICENSE"],
    optionalDependencies: koffi,
  });
}

function esbuild(args: string[]): void {
  try {
    execFileSync(join(root, "node_modules", ".bin", "esbuild"), [
      ...args,
      "--format=esm",
      "--log-level=warning",
    ], { stdio: "inherit" });
  } catch {
    console.error(`build_npm: esbuild ${args.slice(-1)[0]} failed`);
    process.exit(1);
  }
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + "\n");
}

function companionReadme(name: string, body: string): string {
  return `# ${name}\n\n${body.trim()}\n\nPart of entra-auth (\`npm install entra-auth\`), version ${version}; its README says more.\n`;
}
