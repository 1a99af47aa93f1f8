#!/usr/bin/env python3
"""The token losses of gau_alpha.py against their definitions, computed the slow way on small random inputs:
the CRF's negative log-likelihood against log-sum-exp over every tag path, GlobalPointer's loss against
log(1 + sum_neg e^s) + log(1 + sum_pos e^-s) summed span by span. Exit 2 when either differs by more than 1e-5."""

import itertools
import math
import sys

import torch

import gau_alpha as ga


def crf_difference():
    torch.manual_seed(0)
    tags_count, n, b = 3, 6, 3
    crf = ga.LinearChainCrf(tags_count)
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    emissions = torch.randn(b, n, tags_count)
    tags = torch.randint(0, tags_count, (b, n))
    mask = torch.zeros(b, n, dtype=torch.bool)
    for row, length in enumerate((4, 2, 1)):  # tokens after [CLS]
        mask[row, 1:1 + length] = True
    nll = crf(emissions, tags, mask, reduction="none")
    worst = 0.0
    for row in range(b):
        positions = [i for i in range(n) if mask[row, i]]

        def score(path):
            total = crf.start_transitions[path[0]] + crf.end_transitions[path[-1]]
            total = total + sum(emissions[row, p, t] for p, t in zip(positions, path))
            return total + sum(crf.transitions[a, c] for a, c in zip(path, path[1:]))

        log_z = torch.logsumexp(torch.stack([score(p) for p in itertools.product(range(tags_count), repeat=len(positions))]), 0)
        gold = score([int(tags[row, p]) for p in positions])
        worst = max(worst, abs(float(log_z - gold - nll[row])))
    return worst


def global_pointer_difference():
    torch.manual_seed(1)
    b, types, n = 2, 3, 5
    logits = torch.randn(b, types, n, n) * 3
    mask = torch.zeros(b, n, dtype=torch.bool)
    mask[0, 1:4] = True
    mask[1, 1:3] = True
    gold = torch.zeros(b, types, n, n)
    gold[0, 1, 1, 2] = gold[0, 2, 3, 3] = gold[1, 0, 1, 2] = 1
    fast = ga.global_pointer_loss(logits, gold, mask)
    worst = 0.0
    for row in range(b):
        for t in range(types):
            negatives, positives = [0.0], [0.0]  # the 1 in log(1 + ...)
            for i in range(n):
                for j in range(i, n):
                    if mask[row, i] and mask[row, j]:
                        s = float(logits[row, t, i, j])
                        (positives if gold[row, t, i, j] else negatives).append(-s if gold[row, t, i, j] else s)
            slow = math.log(sum(math.exp(x) for x in negatives)) + math.log(sum(math.exp(x) for x in positives))
            worst = max(worst, abs(slow - float(fast[row * types + t])))
    return worst


def main():
    crf, pointer = crf_difference(), global_pointer_difference()
    ok = crf <= 1e-5 and pointer <= 1e-5
    print(f"token losses against their definitions: CRF NLL max |Δ| {crf:.1e}, GlobalPointer loss max |Δ| {pointer:.1e} "
          f"({'within' if ok else 'ABOVE'} 1e-5)")
    return 0 if ok else 2


if __name__ == "__main__":
    sys.exit(main())
