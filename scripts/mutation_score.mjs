// Prints the score of a StrykerJS JSON report (mutation-testing-report-schema) per file, and
// the surviving mutants with their place, for docs/mutation-testing.md.
// Usage: node scripts/mutation_score.mjs .tmp/mutation/<module>.json [more.json …] [--survivors]
// With several reports (a complete run and later passes on some of its lines, e.g.
// <module>.ranges.json), the first one lists the mutants and a mutant counts as killed when
// any report killed it (mutants are matched by file, place, mutator and replacement).
import { readFileSync } from "node:fs";
import process from "node:process";

const args = process.argv.slice(2);
const flag = args.find((a) => a.startsWith("--"));
const [report, ...passes] = args.filter((a) => !a.startsWith("--")).map((path) =>
  JSON.parse(readFileSync(path, "utf8"))
);
// A "kill" whose test command could not even start (the tools vanished mid-run, e.g. a
// reinstall of node_modules) proves nothing: count it as not run.
// (The shell's own complaint about the command, not a test's ENOENT, which is a real kill, nor
// a test's output that names deno and, later on the line, something not found.)
const broken = (m) =>
  m.status === "Killed"
  && /(\/\.bin\/deno|deno): (not found|No such file or directory)$|^(\/bin\/)?sh: \d+: \S+: not found$/m
    .test(m.statusReason ?? "");
const id = (file, m) =>
  `${file} ${m.location.start.line}:${m.location.start.column}-${m.location.end.line}:${m.location.end.column} ${m.mutatorName} ${m.replacement}`;
const killedLater = new Set();
for (const pass of passes) {
  for (const [file, { mutants }] of Object.entries(pass.files)) {
    for (const m of mutants) {
      if ((m.status === "Killed" && !broken(m)) || m.status === "Timeout") {
        killedLater.add(id(file, m));
      }
    }
  }
}
for (const [file, { mutants }] of Object.entries(report.files)) {
  for (const m of mutants) {
    if (m.status !== "Killed" && m.status !== "Timeout" && killedLater.has(id(file, m))) {
      m.status = "Killed";
      m.statusReason = "killed by a later pass";
    }
  }
}
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
