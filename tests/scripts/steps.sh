# Sourced by the repository's shell checks (interop/pytorch/roundtrip.sh, token_heads.sh, tests/scale-out/xargs-shards.sh).
# Set STEP_TAG (e.g. roundtrip) before sourcing; it prefixes each step's line.

step() { # step NAME COMMAND...: runs it, prints its wall time
  local name=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  "$@"
  t1=$(date +%s.%N)
  printf '[%s] %-56s %6.1f s\n' "$STEP_TAG" "$name" "$(awk -v a="$t1" -v b="$t0" 'BEGIN { print a - b }')"
}

quiet() { # quiet LOG COMMAND...: its output into LOG (shown when it fails)
  local log=$1
  shift
  "$@" >"$log" 2>&1 || { local code=$?; cat "$log" >&2; return $code; }
}
