#!/usr/bin/env python3
"""Builds the in-domain pretraining corpus for few-label tasks from the unlabelled and training text in ../shared/data.

  make_pretraining_corpus.py --shared ../shared --output corpus.txt [--seed 1]

One text per line, whitespace inside a text folded to single spaces, duplicates removed, shuffled with the seed:
  FewCLUE unlabeled.json of EPRSTMT, TNEWS and BUSTM (their only unlabelled text),
  the training texts of all seven FewCLUE tasks (train_few_all.json: sentences, pairs' both sides, CSL abstracts and
  keywords, CLUEWSC texts) -- their text, never their labels,
  CLUENER training sentences, CMRC 2018 training contexts and questions.
No dev or test split is read: cross-validation and the held-out evaluation see text the encoder never did.
The corpus is written beside nothing in the repository (never commit it); `gau pretrain --corpus corpus.txt` reads it.
Same data and seed, same file. Prints a JSON summary: texts and characters per source.
"""

import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from shared_data import json_lines, require  # noqa: E402


FEWCLUE_FIELDS = {
    "eprstmt": ["sentence"], "tnews": ["sentence"], "iflytek": ["sentence"], "bustm": ["sentence1", "sentence2"],
    "ocnli": ["sentence1", "sentence2"], "csl": ["abst", "keyword"], "cluewsc": ["text"],
}


def texts_of(record, fields, path):
    for field in fields:
        value = record.get(field)
        if value is None:
            raise SystemExit(f"error: {path}: a record has no '{field}'")
        yield " ".join(value) if isinstance(value, list) else str(value)


def sources(shared):
    data = os.path.join(shared, "data")
    for task, fields in FEWCLUE_FIELDS.items():
        folder = os.path.join(data, "fewclue", task)
        splits = ["train_few_all.json"] + (["unlabeled.json"] if os.path.exists(os.path.join(folder, "unlabeled.json")) else [])
        for split in splits:
            path = require(os.path.join(folder, split))
            yield f"fewclue/{task}/{split}", [t for r in json_lines(path) for t in texts_of(r, fields, path)]
    path = require(os.path.join(data, "cluener", "train.json"))
    yield "cluener/train.json", [r["text"] for r in json_lines(path)]
    path = require(os.path.join(data, "cmrc2018", "train.json"))
    with open(path, encoding="utf-8") as f:
        paragraphs = [p for article in json.load(f)["data"] for p in article["paragraphs"]]
    yield "cmrc2018/train.json", [p["context"] for p in paragraphs] + [q["question"] for p in paragraphs for q in p["qas"]]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shared", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    seen, corpus, summary = set(), [], {}
    for name, texts in sources(args.shared):
        kept = 0
        for text in texts:
            text = " ".join(text.split())
            if text and text not in seen:
                seen.add(text)
                corpus.append(text)
                kept += 1
        summary[name] = kept
    random.Random(args.seed).shuffle(corpus)
    temp = args.output + ".tmp"
    with open(temp, "w", encoding="utf-8") as f:
        for text in corpus:
            f.write(text + "\n")
    os.replace(temp, args.output)
    print(json.dumps({"texts": len(corpus), "characters": sum(len(t) for t in corpus), "per_source": summary, "output": args.output}, ensure_ascii=False))


if __name__ == "__main__":
    main()
