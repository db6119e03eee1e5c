# Sourced by scripts/test.sh and scripts/wine/run.sh: counts one runtime's passed and failed
# tests from its test runner's output (colours already stripped).
# Usage: count_results deno|bun|node "$text"   → sets $passed_count and $failed_count (0 if none)
count_results() {
  local line p="" f=""
  case "$1" in
  deno)
    # "ok | 7 passed (23 steps) | 0 failed": node:test's it() blocks are Deno steps.
    line=$(grep -E '^(ok|FAILED) \|' <<<"$2" | tail -1)
    p=$(grep -oE '[0-9]+ passed( \([0-9]+ steps\))?' <<<"$line" | grep -oE '[0-9]+' | tail -1)
    f=$(grep -oE '[0-9]+ failed( \([0-9]+ steps\))?' <<<"$line" | grep -oE '[0-9]+' | tail -1)
    ;;
  bun)
    p=$(grep -E '^ *[0-9]+ pass$' <<<"$2" | grep -oE '[0-9]+' | tail -1)
    f=$(grep -E '^ *[0-9]+ fail$' <<<"$2" | grep -oE '[0-9]+' | tail -1)
    ;;
  node)
    p=$(grep -E '^ℹ pass [0-9]+|^# pass [0-9]+' <<<"$2" | grep -oE '[0-9]+' | tail -1)
    f=$(grep -E '^ℹ fail [0-9]+|^# fail [0-9]+' <<<"$2" | grep -oE '[0-9]+' | tail -1)
    ;;
  esac
  passed_count=${p:-0}
  failed_count=${f:-0}
}

# The names of one runtime's failed tests, one a line (at most 15), from its runner's output
# (colours already stripped): printed in the summary, the part of a long log a CI page shows.
# Usage: failed_names deno|bun|node "$text"
failed_names() {
  case "$1" in
  # Deno's FAILURES section: "suite ... test => where" (where may be Deno's node:test shim).
  deno) sed -n '/^ FAILURES $/,$p' <<<"$2" | grep ' => ' | sed -E 's/ => .*$//' ;;
  bun) grep -E '^\(fail\) ' <<<"$2" | sed -E 's/^\(fail\) //' ;;
  # node:test's spec reporter repeats failures after "✖ failing tests:"; only those lines.
  node) sed -n '/^✖ failing tests:/,$p' <<<"$2" | grep -E '^ *✖ ' | grep -v 'failing tests:' | sed -E 's/^ *✖ //' ;;
  esac | sed -E 's/ [[(][0-9.]+m?s[])]$//' | awk '!seen[$0]++' | head -15
}
