#!/usr/bin/env python3
"""Writes a randomly initialised GAU-alpha classifier in the export layout, for timing (never commit its weights).

  random_export.py --like EXPORT_DIR --config config.json --vocab vocab.txt --output DIR [--seed 0]

The task, labels and data fields come from --like (any fitted export, e.g. roundtrip.sh's); the architecture from
--config (e.g. the base config, 24 layers, d 768); the vocabulary from --vocab (its size must be the config's). Weights
are N(0, initializer_range) for matrices, ones for the q/k scales, zeros for biases. Prints the parameter count and the
bytes DDP all-reduces per step (fp32 gradients: parameters x 4).
"""

import argparse
import json

import torch

import gau_alpha as ga


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--like", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--vocab", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    _, description, _, _ = ga.load_export(args.like)
    config = ga.read_json(args.config)
    with open(args.vocab, "r", encoding="utf-8") as f:
        vocab = [line.rstrip("\r\n") for line in f]
    while vocab and vocab[-1] == "":
        vocab.pop()  # the file's final newline, as GauMLNet reads vocab.txt
    if len(vocab) != config["vocab_size"]:
        raise SystemExit(f"error: {args.vocab} has {len(vocab)} entries, {args.config} says vocab_size {config['vocab_size']}")
    torch.manual_seed(args.seed)
    model = ga.build_model(config, description)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.normal_(0.0, config.get("initializer_range", 0.02))
            elif "scaleoffset.weight" in name:
                p.fill_(1.0)
            else:
                p.zero_()
    ga.save_model(args.output, model, config, description, vocab)
    count = sum(p.numel() for p in model.parameters())
    print(json.dumps({"parameters": count, "allreduce_bytes_per_step": count * 4, "output": args.output}))


if __name__ == "__main__":
    main()
