#!/usr/bin/env bash
# The token-classification heads (named entities) in PyTorch, against GauMLNet, on the bundled CLUENER-style sample
# (samples/data/entities; run from anywhere, CI builds first).
#   0. check_losses.py: the CRF and GlobalPointer losses against their definitions, computed the slow way
# For each head — softmax, CRF, GlobalPointer:
#   1. gau train --task cluener --head H (tiny, 1 epoch, --max-length 16: longer sentences become overlapping windows)
#   2. gau export --format pytorch       3. gau evaluate --scores writes every window's token ids and raw head outputs;
#      parity.py tokenizes and windows the rows itself (the ids must be equal) and compares the raw outputs (≤ 1e-4)
# Then, for the CRF head (the one whose loss has the most machinery):
#   4. train_ddp.py: 2 processes × batch 8 against 1 process × batch 16 (dropout off): the loss curves must agree (≤ 1e-4)
#   5. gau evaluate reads the DDP result; its raw outputs equal PyTorch's (≤ 1e-4)
# The last line states the figures. PYTHON (default /usr/bin/python3 when present) must import torch.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
HERE=$ROOT/interop/pytorch
PYTHON=${PYTHON:-$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gau-token-heads.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DATA=$ROOT/samples/data/entities
started=$(date +%s.%N)

if ! "$PYTHON" -c "import torch, numpy" 2>/dev/null; then
  echo "token_heads: $PYTHON cannot import torch and numpy (apt-get install python3-torch python3-numpy libopenblas0-pthread)" >&2
  exit 3
fi
GAU_DLL=$ROOT/src/GauMLNet.Cli/bin/Release/net10.0/gau.dll
if [ -f "$GAU_DLL" ]; then GAU=(dotnet "$GAU_DLL"); else GAU=(dotnet run --project "$ROOT/src/GauMLNet.Cli" -c Release --no-build --); fi

STEP_TAG=token_heads
# shellcheck source=../../tests/scripts/steps.sh
. "$ROOT/tests/scripts/steps.sh"
parity_of() { grep -o 'raw outputs [^ ]*' "$1" | awk '{print $NF}'; }

head_check() { # head_check HEAD: train, export, parity of the raw outputs
  local head=$1
  quiet "$WORK/$head-train.log" "${GAU[@]}" train --task cluener --head "$head" --data "$DATA" --config tiny --epochs 1 --max-length 16 \
    --output "$WORK/$head" --device cpu --seed 1
  quiet "$WORK/$head-export.log" "${GAU[@]}" export --format pytorch --model "$WORK/$head" --output "$WORK/$head-export"
  quiet "$WORK/$head-evaluate.log" "${GAU[@]}" evaluate --task cluener --data "$DATA" --model "$WORK/$head-export" --scores "$WORK/$head-gau.jsonl"
  "$PYTHON" "$HERE/parity.py" --model "$WORK/$head-export" --data "$DATA/dev.json" --against "$WORK/$head-gau.jsonl" --tolerance 1e-4 \
    | tee "$WORK/$head-parity.txt"
}
step "losses against their definitions (check_losses.py)" "$PYTHON" "$HERE/check_losses.py" | tee "$WORK/losses.txt"
for head in softmax crf global-pointer; do
  step "$head: gau train, export, evaluate --scores; parity" head_check "$head"
done

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
TRAIN_ARGS=(--model "$WORK/crf-export" --train "$DATA/train.json" --max-steps 6 --no-dropout --learning-rate 1e-4 --seed 7)
# --redirects/--tee 1: Debian's torch 1.13 on Python 3.11 fails on the default "0"; harmless elsewhere.
step "crf: torchrun --nproc_per_node 2 (6 steps, global batch 16)" quiet "$WORK/ddp2.log" \
  "$PYTHON" -m torch.distributed.run --nproc_per_node 2 --master_addr 127.0.0.1 --master_port "$(free_port)" --max_restarts 0 \
  --redirects 1 --tee 1 --log_dir "$WORK/torchrun-logs" "$HERE/train_ddp.py" "${TRAIN_ARGS[@]}" --batch-size 8 --output "$WORK/ddp2" --log-json "$WORK/ddp2.json"
step "crf: 1 process (6 steps, batch 16)" quiet "$WORK/ddp1.log" \
  "$PYTHON" "$HERE/train_ddp.py" "${TRAIN_ARGS[@]}" --batch-size 16 --output "$WORK/ddp1" --log-json "$WORK/ddp1.json"
curve=$("$PYTHON" -c 'import json, sys; a, b = (json.load(open(p))["losses"] for p in sys.argv[1:3]); assert len(a) == len(b) == 6, (len(a), len(b)); assert a[-1] < a[0], ("the loss did not fall", a); print(f"{max(abs(x - y) for x, y in zip(a, b)):.2e}")' "$WORK/ddp1.json" "$WORK/ddp2.json")
echo "[token_heads] crf loss curves, 2 processes vs 1: max |Δ| $curve over 6 steps"
"$PYTHON" -c "import sys; sys.exit(0 if float('$curve') <= 1e-4 else 1)" || { echo "token_heads: the 2-process curve left the 1-process one (max |Δ| $curve > 1e-4)" >&2; exit 1; }
back() {
  quiet "$WORK/back-evaluate.log" "${GAU[@]}" evaluate --task cluener --data "$DATA" --model "$WORK/ddp2/model" --scores "$WORK/back-gau.jsonl"
  "$PYTHON" "$HERE/parity.py" --model "$WORK/ddp2/model" --data "$DATA/dev.json" --against "$WORK/back-gau.jsonl" --tolerance 1e-4 | tee "$WORK/back-parity.txt"
}
step "crf: gau evaluate reads the DDP result; parity" back

total=$(awk -v a="$(date +%s.%N)" -v b="$started" 'BEGIN { print a - b }')
printf 'token_heads: OK in %.0f s — raw head outputs, PyTorch vs GauMLNet: softmax %s, crf %s, global pointer %s; after DDP (crf) %s (all ≤ 1e-4, token ids equal); crf loss 2 vs 1 process max |Δ| %s; %s\n' \
  "$total" "$(parity_of "$WORK/softmax-parity.txt")" "$(parity_of "$WORK/crf-parity.txt")" "$(parity_of "$WORK/global-pointer-parity.txt")" \
  "$(parity_of "$WORK/back-parity.txt")" "$curve" "$(sed -n 's/^token losses against their definitions: \(.*\) (within 1e-5)$/losses vs definitions: \1/p' "$WORK/losses.txt")"
