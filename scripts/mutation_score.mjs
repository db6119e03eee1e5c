// Prints the score of a StrykerJS JSON report (mutation-testing-report-schema) per file, and
// the surviving mutants with their place, for docs/mutation-testing.md.
// Usage: node scripts/mutation_score.mjs .tmp/mutation/<module>.json [--survivors]
import { readFileSync } from "node:fs";
import process from "node:process";

const [path, flag] = process.argv.slice(2);
const report = JSON.parse(readFileSync(path, "utf8"));
// A "kill" whose test command could not even start (the tools vanished mid-run, e.g. a
// reinstall of node_modules) proves nothing: count it as not run.
const broken = (m) =>
  m.status === "Killed" && /not found|No such file|ENOENT/.test(m.statusReason ?? "");
const count = (mutants, status) =>
  mutants.filter((m) => m.status === status && !(status === "Killed" && broken(m))).length;
let killedAll = 0;
let validAll = 0;
for (const [file, { mutants }] of Object.entries(report.files)) {
  const killed = count(mutants, "Killed") + count(mutants, "Timeout");
  const survived = count(mutants, "Survived") + count(mutants, "NoCoverage");
  const pending = mutants.length - killed - survived - count(mutants, "Ignored")
    - count(mutants, "CompileError") - count(mutants, "RuntimeError");
  killedAll += killed;
  validAll += killed + survived;
  const score = killed + survived === 0
    ? "-"
    : `${(100 * killed / (killed + survived)).toFixed(1)} %`;
  console.log(
    `${file}: ${score} (${killed} killed, ${survived} survived${
      pending ? `, ${pending} not run` : ""
    })`,
  );
  if (flag === "--survivors") {
    for (const m of mutants.filter((m) => m.status === "Survived" || m.status === "NoCoverage")) {
      console.log(
        `  ${m.location.start.line}:${m.location.start.column} ${m.mutatorName}: ${
          JSON.stringify(m.replacement ?? "")
        }`,
      );
    }
  }
}
if (validAll > 0) {
  console.log(`total: ${(100 * killedAll / validAll).toFixed(1)} % (${killedAll}/${validAll})`);
}
