#!/usr/bin/env python3
"""Builds a long-document classification task from the corpora in ../shared/data (never copied into the repository).

  make_long_documents.py --shared ../shared --output long-docs [--label marked|majority] [--train 800] [--dev 200]
                         [--min-chars 4000] [--max-chars 16000] [--majority-share 0.3] [--seed 1]

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
  majority  each passage is of the document's kind with probability --majority-share, else of one of the other four
            (equally likely); the label is that kind: a part of the document shows it less reliably than the whole.
            It is the most frequent kind by passage count (unique in about 81 % of documents at share 0.3), not by
            characters: app and wiki passages are ~290 characters, news, review and chat 7-48, and passages are joined
            without a separator. Every passage is assigned to train or dev once (seeded), so dev
documents hold no passage a train document holds. Writes train.jsonl and dev.jsonl: {"text": ..., "label": ...} per
line, the data-file format `gau train --data train.jsonl --dev dev.jsonl` reads. Same arguments and data, same files.
"""

import argparse
import json
import os
import random

KINDS = ["news", "review", "chat", "app", "wiki"]


def json_lines(path):
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as e:
                    raise SystemExit(f"error: {path}, line {number}: not JSON ({e.msg})")


def require(path):
    if not os.path.isfile(path):
        raise SystemExit(f"error: {path} does not exist (is --shared the folder holding data/fewclue and data/cmrc2018?)")
    return path


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


def documents(pools, count, rng, min_chars, max_chars, label_kind, majority_share):
    out = []
    for i in range(count):
        label = KINDS[i % len(KINDS)]
        target = rng.randint(min_chars, max_chars)
        others = [k for k in KINDS if k != label]
        marked = "【" + rng.choice(pools[label]) + "】" if label_kind == "marked" else ""
        parts, length = [], len(marked)
        while length < target:
            if label_kind == "marked":
                kind = rng.choice(KINDS)
            else:
                kind = label if rng.random() < majority_share else rng.choice(others)
            p = rng.choice(pools[kind])
            parts.append(p)
            length += len(p)
        if marked:
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
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.train < 1 or args.dev < 1:
        raise SystemExit("error: --train and --dev must be at least 1")
    if not 0 < args.min_chars <= args.max_chars:
        raise SystemExit("error: need 0 < --min-chars <= --max-chars")
    if not 0.2 < args.majority_share <= 1:
        raise SystemExit("error: --majority-share must be in (0.2, 1]: above the 1/5 every kind would get by chance")
    rng = random.Random(args.seed)
    train_pools, dev_pools = {}, {}
    for kind, texts in passages(args.shared).items():
        texts = texts[:]
        rng.shuffle(texts)
        cut = len(texts) * 4 // 5
        train_pools[kind], dev_pools[kind] = texts[:cut], texts[cut:]
    os.makedirs(args.output, exist_ok=True)
    train = documents(train_pools, args.train, rng, args.min_chars, args.max_chars, args.label, args.majority_share)
    dev = documents(dev_pools, args.dev, rng, args.min_chars, args.max_chars, args.label, args.majority_share)
    write_jsonl(os.path.join(args.output, "train.jsonl"), train)
    write_jsonl(os.path.join(args.output, "dev.jsonl"), dev)
    lengths = [len(r["text"]) for r in train + dev]
    print(json.dumps({"train": len(train), "dev": len(dev), "label": args.label, "kinds": KINDS, "min_chars": min(lengths), "max_chars": max(lengths),
                      "mean_chars": round(sum(lengths) / len(lengths)), "output": args.output}))


if __name__ == "__main__":
    main()
