#!/usr/bin/env python3
"""Builds a long-document classification task from the corpora in ../shared/data (never copied into the repository).

  make_long_documents.py --shared ../shared --output long-docs [--label marked|majority] [--train 800] [--dev 200]
                         [--min-chars 4000] [--max-chars 16000] [--majority-share 0.3] [--segment-chars 256]
                         [--prefix-chars 2560] [--seed 1]

Each document concatenates passages of five kinds of Chinese text until it reaches a length drawn uniformly from
[--min-chars, --max-chars]:
  news    TNEWS headlines (FewCLUE tnews unlabeled.json)
  review  product reviews (FewCLUE eprstmt unlabeled.json)
  chat    chit-chat sentences (FewCLUE bustm unlabeled.json)
  app     app descriptions (FewCLUE iflytek train and dev)
  wiki    Wikipedia paragraphs (CMRC 2018 contexts)
Labels, balanced over the five kinds, need the whole document:
  marked    one passage, at a random place, is marked 【…】 (the brackets are removed from every other passage); the label
            is its kind: it can sit anywhere, among passages of every kind.
  majority  the document is a run of segments of --segment-chars characters (short passages of one kind are
            joined to fill a segment, long ones cut), each of the document's kind with probability --majority-share,
            else of one of the other four (equally likely); documents where that kind does not hold strictly the most
            segments are drawn again. The label is the kind of most segments, hence of most characters: the whole
            document settles it, a part of it often does not (the summary line reports how often the segments of the
            first --prefix-chars characters name it by a majority count: a guide to what a model that sees only that prefix
            can learn, not a bound).
Every passage is assigned to train or dev once (seeded), so dev
documents hold no passage a train document holds. Writes train.jsonl and dev.jsonl: {"text": ..., "label": ...} per
line, the data-file format `gau train --data train.jsonl --dev dev.jsonl` reads. Same arguments and data, same files.
"""

import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from shared_data import json_lines, require  # noqa: E402

KINDS = ["news", "review", "chat", "app", "wiki"]


def passages(shared):
    data = os.path.join(shared, "data")
    fewclue = os.path.join(data, "fewclue")
    found = {
        "news": [r["sentence"] for r in json_lines(require(os.path.join(fewclue, "tnews", "unlabeled.json")))],
        "review": [r["sentence"] for r in json_lines(require(os.path.join(fewclue, "eprstmt", "unlabeled.json")))],
        "chat": [r[k] for r in json_lines(require(os.path.join(fewclue, "bustm", "unlabeled.json"))) for k in ("sentence1", "sentence2")],
        "app": [r["sentence"] for split in ("train_few_all.json", "dev_few_all.json")
                for r in json_lines(require(os.path.join(fewclue, "iflytek", split)))],
    }
    contexts = []
    for split in ("train.json", "dev.json"):
        with open(require(os.path.join(data, "cmrc2018", split)), encoding="utf-8") as f:
            contexts += [p["context"] for article in json.load(f)["data"] for p in article["paragraphs"]]
    found["wiki"] = contexts
    clean = {}
    for kind in KINDS:
        texts = sorted({t.replace("【", "").replace("】", "").strip() for t in found[kind]})
        clean[kind] = [t for t in texts if t]
    return clean


def segment(pool, size, rng):
    """One segment of a kind: passages joined until it holds size characters, cut there."""
    text = ""
    while len(text) < size:
        text += rng.choice(pool)
    return text[:size]


def majority_document(pools, label, target, rng, share, segment_chars):
    """Segments (kind, text) up to target characters whose most frequent kind is strictly the label."""
    others = [k for k in KINDS if k != label]
    count = max(1, -(-target // segment_chars))
    while True:
        kinds = [label if rng.random() < share else rng.choice(others) for _ in range(count)]
        tally = [kinds.count(k) for k in KINDS]
        if tally[KINDS.index(label)] > max(t for k, t in zip(KINDS, tally) if k != label):
            return [(k, segment(pools[k], segment_chars, rng)) for k in kinds]


def prefix_names_label(segments, label, prefix_chars, rng):
    """Whether a majority count over the segments that start within the first prefix_chars characters (ties drawn
    at random) names the label."""
    seen, position = [], 0
    for kind, text in segments:
        if position >= prefix_chars:
            break
        seen.append(kind)
        position += len(text)
    tally = {k: seen.count(k) for k in KINDS}
    best = max(tally.values())
    return rng.choice([k for k in KINDS if tally[k] == best]) == label


def documents(pools, count, rng, args, prefix_hits):
    out = []
    for i in range(count):
        label = KINDS[i % len(KINDS)]
        target = rng.randint(args.min_chars, args.max_chars)
        if args.label == "majority":
            segments = majority_document(pools, label, target, rng, args.majority_share, args.segment_chars)
            prefix_hits.append(prefix_names_label(segments, label, args.prefix_chars, rng))
            out.append({"text": "".join(text for _, text in segments), "label": label})
            continue
        marked = "【" + rng.choice(pools[label]) + "】"
        parts, length = [], len(marked)
        while length < target:
            p = rng.choice(pools[rng.choice(KINDS)])
            parts.append(p)
            length += len(p)
        parts.insert(rng.randint(0, len(parts)), marked)
        out.append({"text": "".join(parts), "label": label})
    rng.shuffle(out)
    return out


def write_jsonl(path, rows):
    temp = path + ".tmp"
    with open(temp, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(temp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--train", type=int, default=800)
    parser.add_argument("--dev", type=int, default=200)
    parser.add_argument("--min-chars", type=int, default=4000)
    parser.add_argument("--max-chars", type=int, default=16000)
    parser.add_argument("--label", choices=["marked", "majority"], default="marked")
    parser.add_argument("--majority-share", type=float, default=0.3)
    parser.add_argument("--segment-chars", type=int, default=256)
    parser.add_argument("--prefix-chars", type=int, default=2560)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.train < 1 or args.dev < 1:
        raise SystemExit("error: --train and --dev must be at least 1")
    if not 0 < args.min_chars <= args.max_chars:
        raise SystemExit("error: need 0 < --min-chars <= --max-chars")
    if not 0.2 < args.majority_share <= 1:
        raise SystemExit("error: --majority-share must be in (0.2, 1]: above the 1/5 every kind would get by chance")
    if args.segment_chars < 1 or args.prefix_chars < 1:
        raise SystemExit("error: --segment-chars and --prefix-chars must be at least 1")
    rng = random.Random(args.seed)
    train_pools, dev_pools = {}, {}
    for kind, texts in passages(args.shared).items():
        texts = texts[:]
        rng.shuffle(texts)
        cut = len(texts) * 4 // 5
        train_pools[kind], dev_pools[kind] = texts[:cut], texts[cut:]
    os.makedirs(args.output, exist_ok=True)
    prefix_hits = []
    train = documents(train_pools, args.train, rng, args, prefix_hits)
    dev = documents(dev_pools, args.dev, rng, args, prefix_hits)
    write_jsonl(os.path.join(args.output, "train.jsonl"), train)
    write_jsonl(os.path.join(args.output, "dev.jsonl"), dev)
    lengths = [len(r["text"]) for r in train + dev]
    print(json.dumps({"train": len(train), "dev": len(dev), "label": args.label, "kinds": KINDS, "min_chars": min(lengths), "max_chars": max(lengths),
                      "mean_chars": round(sum(lengths) / len(lengths)),
                      **({f"label_from_first_{args.prefix_chars}_chars": round(sum(prefix_hits) / len(prefix_hits), 3)} if prefix_hits else {}),
                      "output": args.output}))


if __name__ == "__main__":
    main()
