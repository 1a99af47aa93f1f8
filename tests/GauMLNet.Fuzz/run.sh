#!/usr/bin/env bash
# Coverage-guided fuzzing of one GauMLNet reader with AFL++ and SharpFuzz (docs/fuzzing.md).
#
#   tests/GauMLNet.Fuzz/run.sh TARGET MINUTES        TARGET: safetensors | tf-index | pickle | gauf | clue
#
# Publishes the harness to artifacts/fuzz/build (never the normal bin/ folders), instruments GauMLNet.Core.dll and
# GauMLNet.dll there with sharpfuzz, writes the target's seed corpus from the fixtures, runs afl-fuzz niced for
# MINUTES, prints AFL's figures, and replays every crash and hang through the uninstrumented harness.
# Findings stay in artifacts/fuzz/TARGET/findings (FUZZ_OUT overrides artifacts/fuzz). Needs: afl++ (apt-get install
# afl++) and the SharpFuzz.CommandLine dotnet tool (dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0).
set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 TARGET MINUTES   (targets: safetensors tf-index pickle gauf clue)" >&2
    exit 2
fi
target=$1
minutes=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$root/artifacts/fuzz}
build=$out/build
export PATH="$PATH:$HOME/.dotnet/tools"

command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install -y afl++" >&2; exit 1; }
command -v sharpfuzz >/dev/null || { echo "sharpfuzz not found: dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0" >&2; exit 1; }

# One build shared by every target, rebuilt when a source file is newer: plain/ (seeds, replay: instrumented code
# only runs under afl-fuzz) and build/ (the same, with GauMLNet.Core.dll and GauMLNet.dll instrumented).
plain=$out/plain
stamp=$build/.instrumented
if [[ ! -f $stamp || ! -d $plain ]] || [[ -n $(find "$root/src" "$root/tests/GauMLNet.Fuzz" -name '*.cs' -newer "$stamp" -print -quit) ]]; then
    rm -rf "$build" "$plain"
    nice -n 10 dotnet publish "$root/tests/GauMLNet.Fuzz" -c Release -o "$plain" --nologo -v quiet
    cp -r "$plain" "$build"
    for assembly in GauMLNet.Core.dll GauMLNet.dll; do
        sharpfuzz "$build/$assembly"
    done
    touch "$stamp"
fi

work=$out/$target
mkdir -p "$work"
rm -rf "$work/seeds"
(cd "$root" && dotnet "$plain/GauMLNet.Fuzz.dll" "$target" --seed-corpus "$work/seeds")

# dotnet itself is not instrumented (the assemblies are): AFL must not insist. No UI in logs; no CPU pinning on a shared machine.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1
[[ -t 1 ]] || export AFL_NO_UI=1
dictionary=()
[[ -f $root/tests/GauMLNet.Fuzz/dictionaries/$target.dict ]] && dictionary=(-x "$root/tests/GauMLNet.Fuzz/dictionaries/$target.dict")
cd "$root"
nice -n 10 afl-fuzz -i "$work/seeds" -o "$work/findings" "${dictionary[@]}" -t 5000 -m none -V $((minutes * 60)) \
    -- dotnet "$build/GauMLNet.Fuzz.dll" "$target" || true

stats=$work/findings/default/fuzzer_stats
if [[ -f $stats ]]; then
    echo "== $target: AFL after $minutes min =="
    grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|corpus_found|bitmap_cvg|edges_found|total_edges|saved_crashes|saved_hangs|stability) ' "$stats"
fi
shopt -s nullglob
findings=("$work"/findings/default/crashes/id* "$work"/findings/default/hangs/id*)
if (( ${#findings[@]} > 0 )); then
    echo "== replaying ${#findings[@]} crash/hang input(s) =="
    dotnet "$plain/GauMLNet.Fuzz.dll" "$target" --replay "${findings[@]}" || true
fi
