#!/usr/bin/env bash
# Proves crash safety from outside the code: kills `gau train` (or `gau pretrain`) with SIGKILL at its N-th rename
# for every N (strace's fault injection), resumes with --resume, and checks that the resumed run ends with the
# uninterrupted run's model.
#   tests/crash/kill-at-every-rename.sh [train|pretrain]      (needs strace; build the solution in Release first)
# Prints one line per N and exits non-zero if any resumed model differs.
set -uo pipefail
cd "$(dirname "$0")/../.."
mode="${1:-train}"
gau=(dotnet src/GauMLNet.Cli/bin/Release/net10.0/gau.dll)
work=$(mktemp -d /tmp/gau-kill.XXXXXX)
data="$work/data"; mkdir -p "$data"
awk 'NR % 12 == 1' samples/data/sentiment/train.json > "$data/train.json"
head -n 32 samples/data/sentiment/dev.json > "$data/dev.json"

args() { # args OUTDIR [extra…]: the command line of one run, in ARGS
  local out="$1"; shift
  if [ "$mode" = train ]; then
    ARGS=("${gau[@]}" train --task eprstmt --data "$data" --config tiny --epochs 2 --max-length 32 --output "$out" --device cpu --threads 1 "$@")
  else
    ARGS=("${gau[@]}" pretrain --corpus "$data/train.json" --config tiny --steps 6 --checkpoint-every 2 --batch-size 8 --max-length 32 --output "$out" --device cpu --threads 1 "$@")
  fi
}
# The model a run ends with: the GAU entry of model.zip (train) or model.safetensors (pretrain), hashed.
fingerprint() {
  if [ "$mode" = train ]; then unzip -p "$1/model.zip" 'TransformerChain/Transform_001/Model.key' | sha256sum | cut -c1-16
  else sha256sum "$1/model.safetensors" | cut -c1-16; fi
}

args "$work/reference"; "${ARGS[@]}" > /dev/null || { echo "the uninterrupted run failed"; exit 2; }
expected=$(fingerprint "$work/reference")
# Which rename syscall .NET uses here, and how many renames one uninterrupted run makes.
args "$work/counted"; strace -f -qq -e trace=rename,renameat,renameat2 -o "$work/trace" "${ARGS[@]}" > /dev/null
syscall=$(grep -oE ' (rename|renameat|renameat2)\(' "$work/trace" | tr -d ' (' | sort | uniq -c | sort -rn | head -1 | awk '{print $2}')
total=$(grep -cE " $syscall\(" "$work/trace")
echo "$mode: $total calls to $syscall per uninterrupted run; reference model $expected"
failed=0
for n in $(seq 1 "$total"); do
  out="$work/killed-$n"
  args "$out"; strace -f -qq -o /dev/null -e trace="$syscall" -e inject="$syscall":signal=SIGKILL:when="$n" "${ARGS[@]}" > "$out.log" 2>&1
  killed=$?
  resume=(--resume)
  [ -f "$out/checkpoints/LATEST" ] || [ -f "$out/pretrain-checkpoint/LATEST" ] || resume=() # killed before the first commit: start again
  args "$out" "${resume[@]}"; "${ARGS[@]}" > "$out.resumed.log" 2>&1
  resumed=$?
  got=$([ $resumed -eq 0 ] && fingerprint "$out" || echo "resume-failed($resumed)")
  if [ "$got" = "$expected" ]; then verdict=identical; else verdict=DIFFERENT; failed=1; fi
  echo "rename $n/$total: killed (exit $killed); ${resume[*]:-fresh start} (exit $resumed) → $got $verdict"
done
[ $failed -eq 0 ] && rm -rf "$work" || echo "logs kept in $work"
exit $failed
