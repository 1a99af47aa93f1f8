#!/usr/bin/env bash
# Scoring past one process: `gau predict --shard i/N` under `xargs -P`, then `gau merge-shards`, must equal one
# `gau predict` of the whole file row for row. Run from anywhere (it moves to the repository root); CI builds first.
#   1. gau train a tiny classifier on 64 rows of the sentiment sample (a few seconds)
#   2. a CSV of SHARD_ROWS rows (default 600: the sentiment dev and test sentences, quoted fields included)
#   3. one process scores the whole file          4. SHARDS processes (default 2) score one shard each, at once
#   5. gau merge-shards, then compare with 2 row for row (see compare below for why not byte for byte).
# Prints each step's wall time; the last line is the result.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SHARDS=${SHARDS:-2}
PYTHON=${PYTHON:-$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)}
[ -n "$PYTHON" ] || { echo "xargs-shards: python3 is needed to write the CSV and compare the outputs" >&2; exit 3; }
GAU_DLL=$ROOT/src/GauMLNet.Cli/bin/Release/net10.0/gau.dll
[ -f "$GAU_DLL" ] || { echo "xargs-shards: $GAU_DLL is missing; run: dotnet build src/GauMLNet.Cli -c Release" >&2; exit 3; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gau-shards.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DATA=$ROOT/samples/data/sentiment
started=$(date +%s.%N)

STEP_TAG=xargs-shards
# shellcheck source=../../tests/scripts/steps.sh
. "$ROOT/tests/scripts/steps.sh"

# CSV from the sample's JSON lines; a comma and a quote in some rows make the writer quote them (RFC 4180 round trip).
to_csv() { # to_csv OUT LIMIT FILE...: columns id,text[,label]
  "$PYTHON" - "$@" <<'PY'
import csv, json, sys
out, limit, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rows = [json.loads(line) for path in files for line in open(path, encoding="utf-8") if line.strip()][:limit]
with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["id", "text", "label"])
    for k, r in enumerate(rows):
        text = r["sentence"] + (', "quoted"' if k % 7 == 0 else "")
        w.writerow([k, text, r.get("label", "")])  # test rows have no label
PY
}
to_csv "$WORK/train.csv" 64 "$DATA/train.json"
to_csv "$WORK/input.csv" "${SHARD_ROWS:-600}" "$DATA/dev.json" "$DATA/test.json"
rows=$(($(wc -l <"$WORK/input.csv") - 1))

step "1. gau train (tiny, 64 rows, 1 epoch)" quiet "$WORK/train.log" \
  dotnet "$GAU_DLL" train --data "$WORK/train.csv" --dev-fraction 0.25 --seed 1 --config tiny --epochs 1 --max-length 32 \
  --output "$WORK/model" --device cpu
step "2. gau predict, one process, $rows rows" quiet "$WORK/single.log" \
  dotnet "$GAU_DLL" predict --input "$WORK/input.csv" --model "$WORK/model" --output "$WORK/single.csv"

# The shard i/N names its output part-i-of-N.csv: a slash cannot be in a file name.
shards() {
  local i
  for ((i = 0; i < SHARDS; i++)); do echo "$i/$SHARDS"; done |
    xargs -P "$SHARDS" -I{} sh -c 'shard=$1; exec dotnet "$2" predict --input "$3" --model "$4" --shard "$shard" \
      --output "$5/part-$(echo "$shard" | sed "s|/|-of-|").csv" >"$5/shard-$(echo "$shard" | tr / -).log" 2>&1' \
      sh {} "$GAU_DLL" "$WORK/input.csv" "$WORK/model" "$WORK" ||
    { cat "$WORK"/shard-*.log >&2; return 1; }
}
step "3. xargs -P $SHARDS: gau predict --shard i/$SHARDS" shards
parts=()
for ((i = 0; i < SHARDS; i++)); do parts+=("$WORK/part-$i-of-$SHARDS.csv"); done
step "4. gau merge-shards" quiet "$WORK/merge.log" dotnet "$GAU_DLL" merge-shards "${parts[@]}" --output "$WORK/merged.csv"

for ((i = 0; i < SHARDS; i++)); do
  printf '[xargs-shards] shard %d/%d: %d rows\n' "$i" "$SHARDS" "$(($(wc -l <"${parts[$i]}") - 1))"
done
# Row for row: the input columns and predicted_label exactly, probability within 1e-6. Not byte for byte: a row's
# probability can differ in its last printed digit (~1e-8) with the rows it was batched with (padding to the batch's
# longest row, BLAS blocking by batch size), and a shard's batches hold other rows than the single run's.
compare() { # compare ONE_PROCESS MERGED
  "$PYTHON" - "$1" "$2" <<'PY'
import csv, sys
single, merged = (list(csv.reader(open(p, newline="", encoding="utf-8"))) for p in sys.argv[1:3])
if single[0] != merged[0] or len(single) != len(merged):
    sys.exit(f"xargs-shards: FAILED: header {merged[0]} / {len(merged) - 1} rows merged, {single[0]} / {len(single) - 1} rows in one process")
p = single[0].index("probability")
worst, same = 0.0, 0
for line, (a, b) in enumerate(zip(single[1:], merged[1:]), start=2):
    if a[:p] + a[p + 1:] != b[:p] + b[p + 1:]:
        sys.exit(f"xargs-shards: FAILED: line {line} differs: {a} (one process) vs {b} (merged shards)")
    worst = max(worst, abs(float(a[p]) - float(b[p])))
    same += a == b
if worst > 1e-6:
    sys.exit(f"xargs-shards: FAILED: probabilities differ by up to {worst:.2e} (> 1e-6)")
print(f"{same} {worst:.1e}")
PY
}
# The check can fail: two rows swapped (shards merged out of step) must be caught.
"$PYTHON" -c 'import sys; l = open(sys.argv[1], "rb").read().splitlines(True); l[5], l[6] = l[6], l[5]; open(sys.argv[2], "wb").write(b"".join(l))' \
  "$WORK/merged.csv" "$WORK/swapped.csv"
if compare "$WORK/single.csv" "$WORK/swapped.csv" >/dev/null 2>&1; then echo "xargs-shards: the comparison did not catch two swapped rows" >&2; exit 1; fi
result=$(compare "$WORK/single.csv" "$WORK/merged.csv")
read -r identical worst <<<"$result"
total=$(awk -v a="$(date +%s.%N)" -v b="$started" 'BEGIN { print a - b }')
printf 'xargs-shards: OK in %.0f s — %d rows scored by %d processes (xargs -P %d) and merged equal the single-process output row for row: every column except probability exactly, probability max |Δ| %s (≤ 1e-6); %d of %d rows byte-identical\n' \
  "$total" "$rows" "$SHARDS" "$SHARDS" "$worst" "$identical" "$rows"
