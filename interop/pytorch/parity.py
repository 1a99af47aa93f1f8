#!/usr/bin/env python3
"""Scores an exported GAU-alpha folder in PyTorch and compares with GauMLNet's scores of the same folder.

  parity.py --model DIR --data dev.json --scores-output py.jsonl [--against gau.jsonl] [--tolerance 1e-4]
      Scores every row (eval mode, no dropout) and writes one JSON line per row: id, predicted label, class
      probabilities in the head's output order — the format of `gau evaluate --scores`. With --against, compares by
      id: the largest |difference| of the probabilities and how many predicted labels agree; exit 2 above tolerance.

  parity.py --model DIR --data dev.json --encode-input in.json --encode-reference ref.json [--rows 16]
      Writes the first rows as a padded batch of token ids (the input of `gau encode`) and this implementation's
      last hidden states of the real tokens and tied-MLM logits at position 0 (the reference `gau encode --compare`
      reads), so the backbone's hidden states are compared by GauMLNet itself.

  parity.py --model NER_DIR --data dev.json --against gau-windows.jsonl [--tolerance 1e-4]
      A token-classification export (CLUENER rows): tokenizes and windows every row as GauMLNet does, checks the token
      ids equal those in `gau evaluate --task cluener --scores` output, and compares the head's raw outputs over each
      window's real positions ([CLS] tokens [SEP]): tag scores [n, tags] (softmax, CRF) or GlobalPointer [types, n, n].
"""

import argparse
import json
import math
import sys

import torch

import gau_alpha as ga


def score_rows(model, tokenizer, description, rows, batch_size=32):
    task = description["task"]
    max_length = description.get("max_length", 128)
    labels = description.get("labels") or []
    out = []
    model.eval()
    with torch.no_grad():
        for start in range(0, len(rows), batch_size):
            chunk = rows[start:start + batch_size]
            encoded = [tokenizer.encode(first, second, max_length) for _, first, second, _ in chunk]
            logits = model(*ga.collate(encoded, tokenizer.pad_id))
            scores = torch.softmax(logits, dim=-1) if task == "classification" else logits
            for (row_id, _, _, _), s in zip(chunk, scores):
                values = [float(v) for v in s]
                label = labels[int(torch.argmax(s))] if task == "classification" and labels else None
                out.append({"id": row_id, "label": label, "scores": values})
    return out


def token_parity(model, tokenizer, description, data_path, against_path, batch_size=32):
    """(windows, max |Δ| of the raw head outputs, windows whose token ids differ) against gau evaluate --scores (cluener)."""
    chars = ga.CharacterTokenizer(tokenizer)
    max_length = description["max_length"]
    windows = []
    for row_id, text, _ in ga.read_ner_rows(data_path):
        ids = chars.encode(text)[0]
        for k, (offset, count) in enumerate(ga.entity_windows(len(ids), max_length)):
            windows.append(((row_id, k), [tokenizer.cls_id] + ids[offset:offset + count] + [tokenizer.sep_id]))
    theirs = {}
    with open(against_path, "r", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                theirs[(str(row["id"]), row["window"])] = row
    if len(theirs) != len(windows):
        raise SystemExit(f"error: {against_path} has {len(theirs)} windows, PyTorch made {len(windows)} of {data_path}")
    kind, outputs = model.kind, description["outputs"]
    worst, id_mismatches = 0.0, 0
    model.eval()
    with torch.no_grad():
        for start in range(0, len(windows), batch_size):
            chunk = windows[start:start + batch_size]
            scored = model(*ga.collate([(ids, [0] * len(ids)) for _, ids in chunk], tokenizer.pad_id))
            for b, (key, ids) in enumerate(chunk):
                other = theirs.get(key)
                if other is None:
                    raise SystemExit(f"error: {against_path} has no window {key[1]} of row {key[0]}")
                if other["input_ids"] != ids:
                    id_mismatches += 1
                    continue
                n = len(ids)
                values = torch.tensor(other["outputs"], dtype=torch.float32)
                if kind == ga.HEAD_GLOBAL_POINTER:
                    width = math.isqrt(values.numel() // outputs)
                    gau = values.reshape(outputs, width, width)[:, :n, :n]
                    ours = scored[b, :, :n, :n]
                else:
                    gau = values.reshape(-1, outputs)[:n]
                    ours = scored[b, :n]
                worst = max(worst, float((ours - gau).abs().max()))
    return len(windows), worst, id_mismatches


def compare(ours, theirs_path):
    theirs = {}
    with open(theirs_path, "r", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                row = json.loads(line)
                theirs[str(row["id"])] = row
    if len(theirs) != len(ours):
        raise SystemExit(f"error: {theirs_path} has {len(theirs)} rows, PyTorch scored {len(ours)}")
    worst, agree = 0.0, 0
    for row in ours:
        other = theirs.get(row["id"])
        if other is None:
            raise SystemExit(f"error: {theirs_path} has no row with id {row['id']}")
        worst = max(worst, max(abs(a - b) for a, b in zip(row["scores"], other["scores"])))
        agree += row["label"] == other["label"]
    return worst, agree


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True, help="CLUE-style JSON lines with the fields gaumlnet.json names")
    parser.add_argument("--scores-output")
    parser.add_argument("--against", help="gau evaluate --scores output to compare with")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--encode-input")
    parser.add_argument("--encode-reference")
    parser.add_argument("--rows", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    model, config, description, tokenizer = ga.load_model(args.model)
    if description["task"] == "token_classification":
        if not args.against:
            raise SystemExit("error: a token-classification export is compared with --against (gau evaluate --task cluener --scores)")
        windows, worst, mismatched = token_parity(model, tokenizer, description, args.data, args.against)
        within = worst <= args.tolerance
        print(f"PyTorch vs GauMLNet, {model.kind} head, over {windows} windows: max |Δ| of the head's raw outputs {worst:.2e} "
              f"({'within' if within else 'ABOVE'} {args.tolerance:g}); token ids agree on {windows - mismatched}/{windows} windows")
        return 0 if within and mismatched == 0 else 2
    rows = ga.read_clue_rows(args.data, description, require_labels=False)

    if args.encode_input:
        chunk = rows[:args.rows]
        encoded = [tokenizer.encode(first, second, description.get("max_length", 128)) for _, first, second, _ in chunk]
        ids, types, mask = ga.collate(encoded, tokenizer.pad_id)
        backbone = model.gau_alpha.eval()
        with torch.no_grad():
            hidden = backbone(ids, types, mask)
            logits = hidden[:, 0].matmul(backbone.embeddings.word_embeddings.weight.t())
        with open(args.encode_input, "w", encoding="utf-8") as f:
            json.dump({"input_ids": ids.tolist(), "token_type_ids": types.tolist(), "attention_mask": mask.tolist()}, f)
        reference = {
            "last_hidden_state": [hidden[b, mask[b].bool()].tolist() for b in range(len(chunk))],
            "mlm_logits_first_token": logits.tolist(),
        }
        with open(args.encode_reference, "w", encoding="utf-8") as f:
            json.dump(reference, f)
        print(f"wrote {len(chunk)} encoded rows to {args.encode_input} and PyTorch's hidden states to {args.encode_reference}")

    if args.scores_output or args.against:
        scored = score_rows(model, tokenizer, description, rows)
        if args.scores_output:
            with open(args.scores_output, "w", encoding="utf-8") as f:
                for row in scored:
                    f.write(json.dumps(row, ensure_ascii=False) + "\n")
        if args.against:
            worst, agree = compare(scored, args.against)
            within = worst <= args.tolerance
            print(f"PyTorch vs GauMLNet over {len(scored)} rows: max |Δ| of the head's outputs {worst:.2e} "
                  f"({'within' if within else 'ABOVE'} {args.tolerance:g}); predicted labels agree on {agree}/{len(scored)}")
            if not within or agree != len(scored):
                return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
