// StrykerJS configuration for the mutation runs of scripts/mutation.sh (not run in CI: slow).
// One module per run, chosen by MUTATION_MODULE; each runs the narrowest Deno test files that
// guard it, through Stryker's command runner (Stryker mutates the .ts files in its sandbox and
// `deno test` runs there; Deno strips the types, so no build step is needed).
import { resolve } from "node:path";
import process from "node:process";

// The sandbox gets no node_modules of its own when node_modules is itself a symlink (as in
// this repository's worktrees): link it before each run.
const nodeModules = resolve("node_modules");
const link = `{ [ -e node_modules ] || ln -s '${nodeModules}' node_modules; } && `;
const deno = `'${nodeModules}/.bin/deno' test -A --no-check --quiet`;

/** Module → the files mutated and the tests run against each mutant. */
export const MODULES = {
  pkce: {
    mutate: ["src/network/pkce.ts"],
    tests: ["tests/network/pkce.test.ts", "tests/network/token_endpoint.test.ts"],
  },
  validate: {
    mutate: ["src/network/validate.ts"],
    tests: ["tests/network/token_endpoint.test.ts", "tests/network/validate.test.ts"],
  },
  token_endpoint: {
    mutate: ["src/network/token_endpoint.ts", "src/network/authorize.ts"],
    tests: [
      "tests/network/token_endpoint.test.ts",
      "tests/network/authorize.test.ts",
      "tests/network/nonce_wiring.test.ts",
    ],
  },
  loopback: {
    mutate: ["src/network/loopback_server.ts"],
    tests: [
      "tests/network/loopback.test.ts",
      "tests/network/loopback_guards.test.ts",
      "tests/network/loopback_hostile.test.ts",
    ],
  },
  // The device-code flow: the code's expiry (no poll after it), the interval's bounds and
  // slow_down, the user's decline.
  device_code: {
    mutate: ["src/network/device_code.ts"],
    tests: [
      "tests/network/device_code_expiry.test.ts",
      "tests/network/device_interval.test.ts",
      "tests/network/device_code_replies.test.ts",
      "tests/fuzz/device_code.test.ts",
      "tests/network/flows.test.ts",
    ],
  },
  // Plain http only on loopback: the authority (src/authority.ts) and the redirect URI.
  loopback_rules: {
    mutate: ["src/authority.ts", "src/network/redirect_uri.ts"],
    tests: [
      "tests/network/authority_scheme.test.ts",
      "tests/network/authority.test.ts",
      "tests/network/redirect_uri.test.ts",
      "tests/network/loopback_rules.test.ts",
    ],
  },
  // Where codes, verifiers and refresh tokens are sent: the metadata's endpoints (https, or
  // http on loopback only), instance discovery, the per-process cache of metadata.
  authority_metadata: {
    mutate: ["src/network/authority_metadata.ts"],
    tests: [
      "tests/network/authority.test.ts",
      "tests/network/authority_scheme.test.ts",
      "tests/fuzz/authority_metadata.test.ts",
      "tests/network/metadata_checks.test.ts",
      "tests/network/metadata_replies.test.ts",
    ],
  },
  client: {
    // The flows' wiring: state, nonce and PKCE handed from the request to the checks.
    mutate: ["src/network/client.ts"],
    tests: [
      "tests/network/flows.test.ts",
      "tests/network/nonce_wiring.test.ts",
      "tests/network/id_token_checks.test.ts",
      "tests/network/client_wiring.test.ts",
    ],
  },
  cache: {
    mutate: ["src/cache/token_cache.ts", "src/cache/keys.ts"],
    tests: [
      "tests/cache/format.test.ts",
      "tests/cache/lookup.test.ts",
      "tests/cache/token_cache_edges.test.ts",
      "tests/cache/token_cache_api.test.ts",
      "tests/cache/store_index.test.ts",
      "tests/flows/foci.test.ts",
    ],
  },
  cache_store: {
    mutate: [
      "src/cache/store.ts",
      "src/cache/indexes.ts",
      "src/cache/parse.ts",
      "src/cache/scopes.ts",
      "src/cache/environment.ts",
    ],
    tests: [
      "tests/cache/format.test.ts",
      "tests/cache/lookup.test.ts",
      "tests/cache/scopes.test.ts",
      "tests/cache/store_index.test.ts",
      "tests/cache/token_cache_api.test.ts",
      "tests/cache/parse.test.ts",
    ],
  },
  cache_rest: {
    mutate: [
      "src/cache/**/*.ts",
      "!src/cache/token_cache.ts",
      "!src/cache/keys.ts",
      "!src/cache/store.ts",
      "!src/cache/indexes.ts",
      "!src/cache/parse.ts",
      "!src/cache/scopes.ts",
      "!src/cache/environment.ts",
    ],
    tests: ["tests/cache/", "tests/flows/foci.test.ts"],
  },
  persistence_lock: {
    mutate: ["src/persistence/lock.ts"],
    tests: [
      "tests/persistence/lock.test.ts",
      "tests/persistence/lock_owner.test.ts",
      "tests/persistence/lock_held.test.ts",
      "tests/persistence/lock_breaker.test.ts",
    ],
  },
  persistence_merge: {
    mutate: ["src/persistence/merge.ts"],
    tests: ["tests/persistence/merge.test.ts", "tests/persistence/merge_flags.test.ts"],
  },
  // The rest of src/persistence/, in three parts, each with the tests that guard it.
  persistence_files: {
    mutate: [
      "src/persistence/atomic_file.ts",
      "src/persistence/file_reader.ts",
      "src/persistence/trust.ts",
      "src/persistence/ownership.ts",
      "src/persistence/cache_path.ts",
      "src/persistence/location.ts",
      "src/persistence/errors.ts",
    ],
    tests: [
      "tests/persistence/atomic_file.test.ts",
      "tests/persistence/file_reader.test.ts",
      "tests/persistence/trust_paths.test.ts",
    ],
  },
  // What keeps a late rename after a lock takeover from losing a commit: the takeover
  // records, the guard, when they go. takeover.test.ts (writers in Deno and Bun stopped with
  // SIGSTOP; about 16 s a run) in a second pass on the fast file's survivors:
  // MUTATION_TESTS=tests/persistence/takeover_records.test.ts MUTATION_LABEL=fast …
  persistence_takeover: {
    mutate: ["src/persistence/takeover.ts"],
    tests: [
      "tests/persistence/takeover_records.test.ts",
      "tests/persistence/takeover.test.ts",
    ],
  },
  // keyring.test.ts runs only inside scripts/with-broker.sh (it is skipped otherwise):
  // MUTATION_WRAP="$PWD/scripts/with-broker.sh -- " bash scripts/mutation.sh persistence_keys
  persistence_keys: {
    mutate: [
      "src/persistence/file_keys.ts",
      "src/persistence/key_source.ts",
      "src/persistence/envelope.ts",
    ],
    tests: [
      "tests/persistence/file_keys.test.ts",
      "tests/persistence/key_source.test.ts",
      "tests/persistence/envelope_iv.test.ts",
      "tests/persistence/envelope_format.test.ts",
      "tests/persistence/keyring.test.ts",
    ],
  },
  persistence: {
    mutate: ["src/persistence/persistent_cache.ts"],
    // About 20 s a mutant (389 mutants): run it in passes (MUTATION_MUTATE ranges).
    tests: [
      "tests/persistence/persistent_cache.test.ts",
      "tests/persistence/persistent_cache_keys.test.ts",
      "tests/persistence/persistent_cache_messages.test.ts",
      "tests/persistence/takeover.test.ts",
      "tests/persistence/unsaved.test.ts",
      "tests/persistence/hardening.test.ts",
      "tests/persistence/check_keyring.test.ts",
    ],
  },
  broker: {
    // The C test double of MSALRuntime (no broker session) and the real MSALRuntime against the
    // broker emulator (pca_broker, broker_options, the fuzzed replies, broker_process): each run
    // needs scripts/with-broker.sh, which scripts/mutation.sh sets for this module. About 30 s
    // a mutant: run it in passes (docs/mutation-testing.md).
    mutate: ["src/broker/**/*.ts"],
    tests: [
      "tests/broker/broker_pure.test.ts",
      "tests/broker/broker_client_double.test.ts",
      "tests/broker/msalruntime_double.test.ts",
      "tests/broker/pca_broker.test.ts",
      "tests/broker/broker_options.test.ts",
      "tests/fuzz/broker_result.test.ts",
      "tests/broker/broker_process.test.ts",
    ],
  },
  completion: {
    mutate: ["ffi/completion.ts"],
    tests: ["tests/ffi/"],
  },
};

const name = process.env.MUTATION_MODULE ?? "loopback";
const module = MODULES[name];
if (!module) {
  throw new Error(`unknown MUTATION_MODULE ${name}: one of ${Object.keys(MODULES).join(", ")}`);
}
// A pass on some lines only (e.g. a first run's survivors, or what a time budget left
// untested): MUTATION_MUTATE="src/x.ts:10-20,src/x.ts:40-40" (Stryker's `file:lines` ranges;
// a mutant must lie wholly inside one). MUTATION_TESTS="tests/a.test.ts tests/b.test.ts"
// replaces the module's tests (e.g. a fast first pass without a slow stress test, then the
// survivors against every test). Such passes report as <module>.<MUTATION_LABEL>.* (default
// "ranges" or "tests"), so that they do not replace the complete run's report.
const ranges = process.env.MUTATION_MUTATE?.split(",").map((r) => r.trim()).filter(Boolean);
const tests = process.env.MUTATION_TESTS?.split(/\s+/).filter(Boolean);
const label = process.env.MUTATION_LABEL
  ?? (ranges?.length ? "ranges" : tests?.length ? "tests" : undefined);
const report = `.tmp/mutation/${name}${label ? `.${label}` : ""}`;
// A command to run each test run under, e.g. "scripts/with-broker.sh -- " (absolute path);
// it wraps `deno test` only (the link above is shell syntax, not a command).
const wrap = process.env.MUTATION_WRAP ?? "";

/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
  testRunner: "command",
  commandRunner: {
    command: `${link}${wrap}${deno} ${(tests?.length ? tests : module.tests).join(" ")}`,
  },
  mutate: ranges?.length ? ranges : module.mutate,
  coverageAnalysis: "off",
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 1),
  timeoutMS: 10_000,
  timeoutFactor: 2,
  disableTypeChecks: false,
  checkers: [],
  tempDirName: `.tmp/stryker/${name}${label ? `.${label}` : ""}`,
  cleanTempDir: true,
  // .cache holds the Wine environment (scripts/wine/setup.sh): 1.5 GB, with device links.
  ignorePatterns: [
    "npm",
    ".build",
    ".tmp",
    ".cache",
    "bench",
    "tests/native/build",
    "reports",
    "*.log",
  ],
  reporters: ["clear-text", "progress-append-only", "json", "html"],
  jsonReporter: { fileName: `${report}.json` },
  htmlReporter: { fileName: `${report}.html` },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: true },
  fileLogLevel: "off",
  logLevel: "info",
  // Not incremental: with the command runner Stryker cannot tell which tests changed, so a
  // mutant that survived an older suite would stay "survived" after a new test kills it.
  incremental: false,
  thresholds: { high: 90, low: 75, break: null },
};
