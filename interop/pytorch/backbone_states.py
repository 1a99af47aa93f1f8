#!/usr/bin/env python3
"""Last hidden states of a GAU-alpha backbone in PyTorch (gau_alpha.py): GauMLNet's parity tests run it.

  backbone_states.py --config config.json --weights backbone.safetensors --input in.safetensors --output out.safetensors

--weights holds the backbone's parameters by the port's names (embeddings.*, encoder.layer.{i}.*), all of them and no
others. --input holds input_ids and attention_mask [b, n] (any number type; token types are 0); --output receives
last_hidden_state [b, n, d] in fp32, computed in eval mode (no dropout) in fp64 unless --fp32.
"""

import argparse
import os

import torch

import gau_alpha as ga


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True)
    parser.add_argument("--weights", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--fp32", action="store_true")
    args = parser.parse_args()

    config = ga.read_json(args.config)
    model = ga.GauAlpha(config)
    model.load_state_dict(ga.read_safetensors(args.weights), strict=True)
    dtype = torch.float32 if args.fp32 else torch.float64
    model = model.to(dtype).eval()
    inputs = ga.read_safetensors(args.input)
    ids = inputs["input_ids"].long()
    mask = inputs["attention_mask"].long()
    with torch.no_grad():
        hidden = model(ids, torch.zeros_like(ids), mask)
    temp = args.output + ".tmp"
    with open(temp, "wb") as f:
        f.write(ga.safetensors_bytes({"last_hidden_state": hidden}))
    os.replace(temp, args.output)


if __name__ == "__main__":
    main()
