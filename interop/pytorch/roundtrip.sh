#!/usr/bin/env bash
# GauMLNet → PyTorch DDP → GauMLNet, end to end on the bundled sample data (run from the repository root; CI builds first):
#   1. gau train a tiny model (seconds)          2. gau export --format pytorch      3. parity of the export, both sides
#   4. torchrun --nproc_per_node 2 (gloo, 127.0.0.1) continues fine-tuning; the same global batch on 1 process must
#      follow the same loss curve                5. gau evaluate reads the result; its scores equal PyTorch's (≤ 1e-4)
#   6. kill one rank mid-run: torchrun must fail (non-zero); --resume from the last checkpoint must end where an
#      uninterrupted run ends.
#   7. the named-entity heads (softmax, CRF, GlobalPointer): token_heads.sh (also runnable alone; about 45 s).
# The last line states the parity and loss-difference figures. PYTHON (default /usr/bin/python3 when present) must import torch.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/interop/pytorch
PYTHON=${PYTHON:-$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)}
TORCHRUN=("$PYTHON" -m torch.distributed.run)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} # one thread per process, as torchrun would set (and say so)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gau-roundtrip.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DATA=$ROOT/samples/data/sentiment
started=$(date +%s.%N)

if ! "$PYTHON" -c "import torch, numpy" 2>/dev/null; then
  echo "roundtrip: $PYTHON cannot import torch and numpy (apt-get install python3-torch python3-numpy libopenblas0-pthread)" >&2
  exit 3
fi
GAU_DLL=$ROOT/src/GauMLNet.Cli/bin/Release/net10.0/gau.dll
if [ -f "$GAU_DLL" ]; then GAU=(dotnet "$GAU_DLL"); else GAU=(dotnet run --project "$ROOT/src/GauMLNet.Cli" -c Release --no-build --); fi

STEP_TAG=roundtrip
# shellcheck source=../../tests/scripts/steps.sh
. "$ROOT/tests/scripts/steps.sh"
free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# --redirects/--tee 1: Debian's torch 1.13 on Python 3.11 fails on the default "0" (IntFlag no longer lists NONE); harmless elsewhere.
ddp() { # ddp NPROC ARGS...: train_ddp.py under torchrun on this machine, gloo over 127.0.0.1
  local n=$1
  shift
  "${TORCHRUN[@]}" --nproc_per_node "$n" --master_addr 127.0.0.1 --master_port "$(free_port)" --max_restarts 0 \
    --redirects 1 --tee 1 --log_dir "$WORK/torchrun-logs" --monitor_interval 0.5 "$HERE/train_ddp.py" "$@"
}
TRAIN_ARGS=(--model "$WORK/export" --train "$DATA/train.json" --max-steps 8 --checkpoint-every 2 --no-dropout --learning-rate 1e-4 --seed 7)
losses_max_diff() { "$PYTHON" -c 'import json, sys; a, b = (json.load(open(p))["losses"] for p in sys.argv[1:3]); assert len(a) == len(b), (len(a), len(b)); print(f"{max(abs(x - y) for x, y in zip(a, b)):.2e}")' "$1" "$2"; }

tokenizer_rows() { # mixed scripts, symbols, emoji, control and zero-width characters: both tokenizers must split alike
  "${GAU[@]}" evaluate --task eprstmt --file "$HERE/tokenizer_rows.json" --model "$WORK/export" --scores "$WORK/rows-gau.jsonl" >/dev/null
  "$PYTHON" "$HERE/parity.py" --model "$WORK/export" --data "$HERE/tokenizer_rows.json" --against "$WORK/rows-gau.jsonl" --tolerance 1e-5
}

step "1. gau train (tiny, eprstmt sample, 1 epoch)" quiet "$WORK/train.log" \
  "${GAU[@]}" train --task eprstmt --data "$DATA" --config tiny --epochs 1 --max-length 32 --output "$WORK/train" --device cpu --seed 1
tail -n 2 "$WORK/train.log"
step "2. gau export --format pytorch" \
  "${GAU[@]}" export --format pytorch --model "$WORK/train" --output "$WORK/export"

# 3. The export as it left: GauMLNet's scores and hidden states against PyTorch's.
step "3a. gau evaluate --scores on the export" \
  "${GAU[@]}" evaluate --task eprstmt --data "$DATA" --model "$WORK/export" --scores "$WORK/export-gau.jsonl"
step "3b. PyTorch scores the export; compare" \
  "$PYTHON" "$HERE/parity.py" --model "$WORK/export" --data "$DATA/dev.json" --against "$WORK/export-gau.jsonl" --tolerance 1e-5 \
  --encode-input "$WORK/enc-in.json" --encode-reference "$WORK/enc-ref.json" | tee "$WORK/parity-export.txt"
step "3c. gau encode --compare (hidden states, 1e-5)" \
  "${GAU[@]}" encode --model "$WORK/export" --input "$WORK/enc-in.json" --output "$WORK/enc-out.json" --compare "$WORK/enc-ref.json" --tolerance 1e-5 \
  | tee "$WORK/encode-export.txt"

step "3d. tokenizer edge cases (tokenizer_rows.json)" tokenizer_rows

# 4. DDP: 2 processes × batch 8 against 1 process × batch 16 (the same global batches, dropout off).
step "4a. torchrun --nproc_per_node 2 (8 steps, global batch 16)" quiet "$WORK/ddp2.log" \
  ddp 2 "${TRAIN_ARGS[@]}" --batch-size 8 --output "$WORK/ddp2" --log-json "$WORK/ddp2.json"
step "4b. 1 process (8 steps, batch 16)" quiet "$WORK/ddp1.log" \
  "$PYTHON" "$HERE/train_ddp.py" "${TRAIN_ARGS[@]}" --batch-size 16 --output "$WORK/ddp1" --log-json "$WORK/ddp1.json"
curve=$(losses_max_diff "$WORK/ddp1.json" "$WORK/ddp2.json")
echo "[roundtrip] loss curves, 2 processes vs 1: max |Δ| $curve over 8 steps"
"$PYTHON" -c "import sys; sys.exit(0 if float('$curve') <= 1e-4 else 1)" || { echo "roundtrip: the 2-process curve left the 1-process one (max |Δ| $curve > 1e-4)" >&2; exit 1; }

# 5. Back in GauMLNet: its scores of the DDP-trained model equal PyTorch's.
step "5a. gau evaluate --model (the DDP result)" \
  "${GAU[@]}" evaluate --task eprstmt --data "$DATA" --model "$WORK/ddp2/model" --scores "$WORK/ddp-gau.jsonl" | tee "$WORK/evaluate-ddp.txt"
step "5b. PyTorch scores the DDP result; compare (1e-4)" \
  "$PYTHON" "$HERE/parity.py" --model "$WORK/ddp2/model" --data "$DATA/dev.json" --against "$WORK/ddp-gau.jsonl" --tolerance 1e-4 \
  | tee "$WORK/parity-ddp.txt"

# 6. Fault drill: kill rank 1 after the first checkpoint; torchrun must fail; --resume must end where 4a ended.
drill() {
  ddp 2 "${TRAIN_ARGS[@]}" --batch-size 8 --output "$WORK/killed" --log-json "$WORK/killed.json" --sleep-per-step 0.4 >"$WORK/killed.log" 2>&1 &
  local launcher=$! waited=0
  until [ -f "$WORK/killed/checkpoints/LATEST" ] && [ -f "$WORK/killed/rank-1.pid" ]; do
    sleep 0.2
    waited=$((waited + 1))
    [ "$waited" -lt 600 ] || { echo "roundtrip: no checkpoint appeared in 120 s" >&2; kill "$launcher"; return 1; }
  done
  kill -9 "$(cat "$WORK/killed/rank-1.pid")"
  local code=0
  wait "$launcher" || code=$?
  if [ "$code" -eq 0 ]; then echo "roundtrip: torchrun exited 0 although rank 1 was killed" >&2; return 1; fi
  echo "[roundtrip] killed rank 1 after $(cat "$WORK/killed/checkpoints/LATEST"): torchrun exited $code"
}
step "6a. kill rank 1 mid-run" drill
step "6b. --resume from the last checkpoint" quiet "$WORK/resumed.log" \
  ddp 2 "${TRAIN_ARGS[@]}" --batch-size 8 --output "$WORK/killed" --log-json "$WORK/killed.json" --resume
grep -m1 "resumed from" "$WORK/resumed.log" | sed 's/^\[default0\]:/[roundtrip] /'
resumed=$(losses_max_diff "$WORK/ddp2.json" "$WORK/killed.json")
"$PYTHON" -c "import sys; sys.exit(0 if float('$resumed') <= 1e-5 else 1)" || { echo "roundtrip: the resumed run ended elsewhere (max |Δ| $resumed)" >&2; exit 1; }

step "7. token heads (token_heads.sh)" quiet "$WORK/token-heads.log" env PYTHON="$PYTHON" "$HERE/token_heads.sh"
grep '^\[token_heads\]' "$WORK/token-heads.log"
tokens=$(tail -n 1 "$WORK/token-heads.log" | sed 's/^token_heads: OK in [0-9]* s — //')

export_parity=$(grep -o 'max |Δ| of the head.s outputs [^ ]*' "$WORK/parity-export.txt" | awk '{print $NF}')
hidden=$(grep -o 'last_hidden_state [^,]*' "$WORK/encode-export.txt" | awk '{print $2}')
ddp_parity=$(grep -o 'max |Δ| of the head.s outputs [^ ]*' "$WORK/parity-ddp.txt" | awk '{print $NF}')
total=$(awk -v a="$(date +%s.%N)" -v b="$started" 'BEGIN { print a - b }')
printf 'roundtrip: OK in %.0f s — export parity (probabilities) %s, hidden states %s; after DDP, GauMLNet vs PyTorch probabilities %s (≤ 1e-4); DDP 2 vs 1 process loss max |Δ| %s; resumed vs uninterrupted loss max |Δ| %s; token heads: %s\n' \
  "$total" "$export_parity" "$hidden" "$ddp_parity" "$curve" "$resumed" "$tokens"
