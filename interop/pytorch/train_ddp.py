#!/usr/bin/env python3
"""Continues training an exported GAU-alpha model with PyTorch DDP, on one machine or many (torchrun).

  torchrun --nproc_per_node N [--nnodes M --node_rank R --master_addr HOST --master_port P] train_ddp.py \\
      --model EXPORT_DIR --train FILE --output OUT [--epochs 1] [--batch-size 16] [--max-steps S] [--resume]

The export's gaumlnet.json decides what is trained:
  classification / regression  fine-tuning, from CLUE-style JSON lines (the fields gaumlnet.json's "data" names),
                               AdamW as GauMLNet's FineTuner: lr 2e-5, betas (0.9, 0.999), eps 1e-8, weight decay
                               0.01 on matrices only (parameters of 2+ dimensions; scales and biases none), linear
                               decay to 0 over the epochs after an optional warmup fraction, global-norm clipping 1.0;
                               cross-entropy (classification) or MSE (regression, float labels).
  token_classification         named entities (the CLUENER rows `gau train --task cluener` reads: {"text", "label":
                               {type: {entity: [[start, end]]}}}), tokenized and windowed as GauMLNet does; the same
                               AdamW and schedule; the head's loss as GauAlphaForTokenClassification.Loss: per-token
                               cross-entropy (softmax), the CRF's negative log-likelihood, or GlobalPointer's multilabel
                               cross-entropy over spans i <= j.
  masked_lm                    MLM pretraining from a text file (one sequence per line) or JSON lines (--text-field),
                               LAMB as GauMLNet's pretrainer: lr 1e-3, no bias correction, eps 1e-6, weight decay 0.01
                               on matrices added to the update, trust ratio |w| / |update|; GAU-alpha's piecewise
                               schedule {0: 1, 160k: 0.5, 640k: 0.1, 1.28M: 0.01}; whole-word masking of 15% of the
                               words (80% [MASK], 10% random id in [1, vocab), 10% kept); clipping 1.0.

--batch-size is per process: the global batch is batch-size x world size. Each step's loss is the mean over the global
batch (every rank's summed loss over the global count of targets), so N processes with batch B follow the same curve
as one process with batch N x B, up to floating-point summation order (with --no-dropout; dropout masks differ).
Data order: DistributedSampler (shuffled by seed + epoch). Backend: NCCL when the process has a CUDA device, else gloo.

Checkpoints: rank 0 writes OUT/checkpoints/step-NNNNNNNN in the export layout (GauMLNet reads it with --model) plus
trainer_state.pt (optimizer, step, position in the epoch, losses), staged in a temporary folder and renamed into place;
OUT/checkpoints/LATEST names the newest and is replaced atomically. --resume continues from LATEST with the same data
order, optimizer state and schedule (it refuses other settings). The finished model is OUT/model (export layout).
"""

import argparse
import hashlib
import io
import json
import math
import os
import random
import shutil
import sys
import time

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler

import gau_alpha as ga

PRETRAINING_POINTS = {0: 1.0, 160_000: 0.5, 640_000: 0.1, 1_280_000: 0.01}
IGNORE_INDEX = -100
STATE_FILE = "trainer_state.pt"


# ----------------------------------------------------------------------------------------------------------------
# the optimizers and schedules GauMLNet uses (src/GauMLNet/Training)


def decay_groups(model, weight_decay):
    """Weight decay on matrices (2+ dimensions) only, as AdamW.ForTrainableParameters and Lamb choose."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    return [
        {"params": [p for n, p in named if p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for n, p in named if p.dim() < 2], "weight_decay": 0.0},
    ]


class Lamb(torch.optim.Optimizer):
    """LAMB as GauMLNet's Lamb.cs: Adam moments without bias correction, decay added to the update, trust ratio."""

    def __init__(self, groups, lr, betas=(0.9, 0.999), eps=1e-6):
        super().__init__(groups, dict(lr=lr, betas=betas, eps=eps, weight_decay=0.0))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["m"] = torch.zeros_like(p)
                    state["v"] = torch.zeros_like(p)
                m, v = state["m"], state["v"]
                m.mul_(beta1).add_(p.grad, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                update = m / (v.sqrt() + group["eps"])
                if group["weight_decay"] != 0:
                    update = update + p * group["weight_decay"]
                weight_norm, update_norm = float(p.norm()), float(update.norm())
                trust = weight_norm / update_norm if weight_norm > 0 and update_norm > 0 else 1.0
                p.add_(update, alpha=-group["lr"] * trust)


def linear_decay(step, total, warmup):
    """LearningRateSchedule.LinearDecay: (step + 1) / warmup during warmup, then linear to 0 at total."""
    if step < warmup:
        return (step + 1.0) / warmup
    return min(1.0, max(0.0, (total - step) / max(1, total - warmup)))


def piecewise(step, points):
    """LearningRateSchedule.PiecewiseLinear: linear between (step, multiplier) points, constant after the last."""
    keys = sorted(points)
    if step <= keys[0]:
        return points[keys[0]]
    for s0, s1 in zip(keys, keys[1:]):
        if step <= s1:
            return points[s0] + (points[s1] - points[s0]) * (step - s0) / (s1 - s0)
    return points[keys[-1]]


# ----------------------------------------------------------------------------------------------------------------
# data


class Examples(torch.utils.data.Dataset):
    def __init__(self, items):
        self.items = items

    def __len__(self):
        return len(self.items)

    def __getitem__(self, index):
        return index


def fine_tuning_examples(path, description, tokenizer, max_length):
    rows = ga.read_clue_rows(path, description, require_labels=True)
    task = description["task"]
    if task == "classification":
        index = {label: i for i, label in enumerate(description["labels"])}
        unknown = sorted({label for *_, label in rows if label not in index})
        if unknown:
            raise ValueError(f"{path}: label(s) {', '.join(unknown[:8])} are not the model's ({', '.join(description['labels'])})")
        target = lambda label: index[label]
    else:
        target = float
    return [(tokenizer.encode(first, second, max_length), target(label)) for _, first, second, label in rows]


def token_examples(path, description, tokenizer, max_length):
    """(ids, BIO tags, [(first, last, type)]) per window of each CLUENER row."""
    rows = ga.read_ner_rows(path)
    return ga.ner_examples(rows, ga.CharacterTokenizer(tokenizer), description["labels"], max_length, path)


def token_batch(examples, types, kind, pad_id, device):
    """collate() of the windows plus the loss's targets: tags [b, n] at each token's position after [CLS], the token
    mask [b, n], and for GlobalPointer the gold spans [b, types, n, n] (as FineTuner.TokenLoss builds them)."""
    ids, token_types, mask = ga.collate([(e[0], [0] * len(e[0])) for e in examples], pad_id)
    b, n = ids.shape
    tags = torch.zeros((b, n), dtype=torch.int64)
    token_mask = torch.zeros((b, n), dtype=torch.bool)
    spans = torch.zeros((b, types, n, n), dtype=torch.float32) if kind == ga.HEAD_GLOBAL_POINTER else None
    for row, (_, row_tags, row_spans) in enumerate(examples):
        tags[row, 1:1 + len(row_tags)] = torch.tensor(row_tags, dtype=torch.int64)
        token_mask[row, 1:1 + len(row_tags)] = True
        if spans is not None:
            for first, last, t in row_spans:
                spans[row, t, first + 1, last + 1] = 1.0
    return (ids.to(device), token_types.to(device), mask.to(device), tags.to(device), token_mask.to(device),
            spans.to(device) if spans is not None else None)


def pretraining_examples(path, text_field, tokenizer, max_length):
    items = []
    with open(path, "r", encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            if text_field:
                try:
                    text = json.loads(line)[text_field]
                except (json.JSONDecodeError, KeyError) as ex:
                    raise ValueError(f"{path}:{number}: no '{text_field}' ({ex})") from None
            else:
                text = line.strip()
            ids, types = tokenizer.encode(text, None, max_length)
            if len(ids) > 2:
                items.append((ids, types))
    if not items:
        raise ValueError(f"{path} holds no text")
    return items


def whole_words(ids, tokenizer):
    """Positions of each word: a piece and the ## continuations after it; special tokens are never words."""
    words = []
    for position, token_id in enumerate(ids):
        if token_id in (tokenizer.cls_id, tokenizer.sep_id, tokenizer.pad_id):
            continue
        if tokenizer.vocab[token_id].startswith("##") and words and words[-1][-1] == position - 1:
            words[-1].append(position)
        else:
            words.append([position])
    return words


def mask_words(ids, tokenizer, rate, rng):
    """Whole-word masking as MaskedLanguageModelMasker (its draws are Python's, seeded per example and epoch)."""
    inputs, labels = list(ids), [IGNORE_INDEX] * len(ids)
    words = whole_words(ids, tokenizer)
    if not words:
        return inputs, labels
    order = list(range(len(words)))
    rng.shuffle(order)
    for w in order[:max(1, round(len(words) * rate))]:
        roll = rng.random()
        for position in words[w]:
            labels[position] = ids[position]
            if roll < 0.8:
                inputs[position] = tokenizer.mask_id
            elif roll < 0.9:
                inputs[position] = rng.randrange(1, len(tokenizer.vocab))
    return inputs, labels


# ----------------------------------------------------------------------------------------------------------------
# distributed plumbing


def setup(device_choice):
    distributed = "RANK" in os.environ
    use_cuda = device_choice == "cuda" or (device_choice == "auto" and torch.cuda.is_available())
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device("cuda", local_rank) if use_cuda else torch.device("cpu")
    if use_cuda:
        torch.cuda.set_device(device)
    if distributed:
        dist.init_process_group(backend="nccl" if use_cuda else "gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    return distributed, rank, world, device


def all_sum(values, distributed, device):
    """Sums a list of floats over every rank (one all-reduce)."""
    t = torch.tensor(values, dtype=torch.float64, device=device)
    if distributed:
        dist.all_reduce(t)
    return t.tolist()


def settings_fingerprint(args, world, train_hash):
    """What must not change across a resume: it would make the run another run."""
    return {
        "train_sha256": train_hash,
        "global_batch": args.batch_size * world,
        "learning_rate": args.learning_rate,
        "weight_decay": args.weight_decay,
        "warmup_fraction": args.warmup_fraction,
        "max_grad_norm": args.max_grad_norm,
        "epochs": args.epochs,
        "seed": args.seed,
        "max_length": args.max_length,
        "no_dropout": args.no_dropout,
        "mask_rate": args.mask_rate,
    }


def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_text_atomically(path, text):
    temporary = f"{path}.tmp-{os.getpid()}"
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def save_checkpoint(out, step, model, optimizer, config, description, vocab, trainer_state):
    checkpoints = os.path.join(out, "checkpoints")
    name = f"step-{step:08d}"
    buffer = io.BytesIO()
    torch.save({"optimizer": optimizer.state_dict(), **trainer_state}, buffer)
    ga.save_model(os.path.join(checkpoints, name), model, config, description, vocab, {STATE_FILE: buffer.getvalue()})
    write_text_atomically(os.path.join(checkpoints, "LATEST"), name + "\n")  # the commit point
    for old in sorted(d for d in os.listdir(checkpoints) if d.startswith("step-") and d < name)[:-1]:
        shutil.rmtree(os.path.join(checkpoints, old))  # keep the newest two
    return os.path.join(checkpoints, name)


def latest_checkpoint(out):
    path = os.path.join(out, "checkpoints", "LATEST")
    if not os.path.exists(path):
        raise SystemExit(f"error: --resume: there is no checkpoint in {os.path.dirname(path)}; run without --resume to start")
    with open(path, "r", encoding="utf-8") as f:
        return os.path.join(out, "checkpoints", f.read().strip())


# ----------------------------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="an exported folder (gau export --format pytorch)")
    parser.add_argument("--train", required=True, help="CLUE JSON lines (fine-tuning) or text / JSON lines (pretraining)")
    parser.add_argument("--output", required=True)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--max-steps", type=int, help="stop after this many optimizer steps (the schedule still spans --epochs)")
    parser.add_argument("--batch-size", type=int, default=16, help="rows per process and step")
    parser.add_argument("--learning-rate", type=float, help="default 2e-5 (fine-tuning), 1e-3 (pretraining)")
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--warmup-fraction", type=float, default=0.0)
    parser.add_argument("--max-grad-norm", type=float, default=1.0, help="0 turns clipping off")
    parser.add_argument("--max-length", type=int, help="default: the model's max_length (128 for a checkpoint)")
    parser.add_argument("--mask-rate", type=float, default=0.15)
    parser.add_argument("--text-field", help="pretraining from JSON lines: the field holding the text")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint-every", type=int, default=0, help="steps between checkpoints (0: at the end of each epoch)")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--no-dropout", action="store_true", help="dropout off (for curves that must match exactly)")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=1, help="intra-op threads per process")
    parser.add_argument("--log-json", help="rank 0 writes the losses and timings here")
    parser.add_argument("--sleep-per-step", type=float, default=0.0, help="fault drills: slow each step down")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    distributed, rank, world, device = setup(args.device)
    os.makedirs(args.output, exist_ok=True)
    with open(os.path.join(args.output, f"rank-{rank}.pid"), "w") as f:
        f.write(f"{os.getpid()}\n")

    source = latest_checkpoint(args.output) if args.resume else args.model
    config, description, vocab, state_dict = ga.load_export(source)
    tokenizer = ga.WordPieceTokenizer(vocab)
    pretraining = description["task"] == "masked_lm"
    tokens = description["task"] == "token_classification"
    if description["task"] not in ("classification", "regression", "masked_lm", "token_classification"):
        raise SystemExit(f"error: {args.model}: a {description['task']} model has nothing this script trains")
    if args.learning_rate is None:
        args.learning_rate = 1e-3 if pretraining else 2e-5
    if args.max_length is None:
        args.max_length = description.get("max_length", 128)
    if args.no_dropout:
        config = dict(config, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = ga.build_model(config, description, state_dict).to(device)

    items = (pretraining_examples(args.train, args.text_field, tokenizer, args.max_length) if pretraining
             else token_examples(args.train, description, tokenizer, args.max_length) if tokens
             else fine_tuning_examples(args.train, description, tokenizer, args.max_length))
    dataset = Examples(items)
    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    loader = DataLoader(dataset, batch_size=args.batch_size, sampler=sampler, collate_fn=list)
    batches_per_epoch = len(loader)
    total_steps = batches_per_epoch * args.epochs

    groups = decay_groups(model, args.weight_decay)
    optimizer = (Lamb(groups, args.learning_rate) if pretraining
                 else torch.optim.AdamW(groups, lr=args.learning_rate, betas=(0.9, 0.999), eps=1e-8))
    fingerprint = settings_fingerprint(args, world, file_sha256(args.train))
    step, first_epoch, skip, losses = 0, 0, 0, []
    if args.resume:
        state = torch.load(os.path.join(source, STATE_FILE), map_location=device)
        differences = {k: (state["fingerprint"].get(k), v) for k, v in fingerprint.items() if state["fingerprint"].get(k) != v}
        if differences:
            raise SystemExit(f"error: --resume: {source} was written by another run; differing: " +
                             ", ".join(f"{k} (checkpoint {a}, now {b})" for k, (a, b) in differences.items()))
        optimizer.load_state_dict(state["optimizer"])
        step, first_epoch, skip, losses = state["step"], state["epoch"], state["batches_done_in_epoch"], state["losses"]
        if rank == 0:
            print(f"resumed from {source}: step {step}, epoch {first_epoch + 1}, {skip} batch(es) into it", flush=True)

    network = DistributedDataParallel(model) if distributed else model
    trained = dict(description, pytorch_training={"script": "interop/pytorch/train_ddp.py", "world_size": world,
                                                  "global_batch": args.batch_size * world})

    def trainer_state(epoch, done):
        return {"step": step, "epoch": epoch, "batches_done_in_epoch": done, "losses": losses, "fingerprint": fingerprint}

    stop = args.max_steps is not None and step >= args.max_steps
    timings = []
    for epoch in range(first_epoch, args.epochs):
        if stop:
            break
        sampler.set_epoch(epoch)
        torch.manual_seed(args.seed * 1_000_003 + epoch * 1_009 + rank)  # dropout: per epoch and rank
        network.train()
        done = 0
        for batch in loader:
            if done < skip:
                done += 1
                continue
            started = time.perf_counter()
            lr = args.learning_rate * (piecewise(step, PRETRAINING_POINTS) if pretraining
                                       else linear_decay(step, total_steps, int(args.warmup_fraction * total_steps)))
            for group in optimizer.param_groups:
                group["lr"] = lr
            if pretraining:
                masked = [mask_words(items[i][0], tokenizer, args.mask_rate, random.Random(args.seed * 1_000_003 + epoch * 100_003 + i))
                          for i in batch]
                ids, types, mask = ga.collate([(m[0], items[i][1]) for m, i in zip(masked, batch)], tokenizer.pad_id)
                labels = torch.full(ids.shape, IGNORE_INDEX, dtype=torch.int64)
                for row, (_, row_labels) in enumerate(masked):
                    labels[row, :len(row_labels)] = torch.tensor(row_labels)
                logits = network(ids.to(device), types.to(device), mask.to(device))
                labels = labels.to(device)
                loss_sum = F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), labels.reshape(-1),
                                           ignore_index=IGNORE_INDEX, reduction="sum")
                count = float((labels != IGNORE_INDEX).sum())
            elif tokens:
                ids, types, mask, tags, token_mask, spans = token_batch([items[i] for i in batch], len(description["labels"]),
                                                                        model.kind, tokenizer.pad_id, device)
                output = network(ids, types, mask)
                loss_sum, count = model.loss_terms(output, tags, token_mask, spans)
                count = float(count)
            else:
                ids, types, mask = ga.collate([items[i][0] for i in batch], tokenizer.pad_id)
                output = network(ids.to(device), types.to(device), mask.to(device)).float()
                if description["task"] == "classification":
                    target = torch.tensor([items[i][1] for i in batch], dtype=torch.int64, device=device)
                    loss_sum = F.cross_entropy(output, target, reduction="sum")
                else:
                    target = torch.tensor([items[i][1] for i in batch], dtype=torch.float32, device=device)
                    loss_sum = F.mse_loss(output.squeeze(-1), target, reduction="sum")
                count = float(len(batch))
            global_sum, global_count = all_sum([float(loss_sum.detach()), count], distributed, device)
            if not math.isfinite(global_sum):
                raise SystemExit(f"error: the training loss became {global_sum} at step {step + 1}; lower --learning-rate")
            # DDP averages gradients over ranks: scaling by world / global count makes them the global batch's mean.
            optimizer.zero_grad(set_to_none=True)
            (loss_sum * (world / max(global_count, 1.0))).backward()
            if args.max_grad_norm > 0:
                nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm)
            optimizer.step()
            step += 1
            done += 1
            losses.append(global_sum / max(global_count, 1.0))
            if args.sleep_per_step:
                time.sleep(args.sleep_per_step)
            timings.append(time.perf_counter() - started)
            if rank == 0:
                print(f"epoch {epoch + 1}/{args.epochs} step {step}/{total_steps} loss {losses[-1]:.6f} lr {lr:.2e}", flush=True)
            stop = args.max_steps is not None and step >= args.max_steps
            end_of_epoch = done == batches_per_epoch
            if (args.checkpoint_every and step % args.checkpoint_every == 0) or (stop or end_of_epoch):
                if rank == 0:
                    state = trainer_state(epoch + 1 if end_of_epoch else epoch, 0 if end_of_epoch else done)
                    path = save_checkpoint(args.output, step, model, optimizer, config, trained, vocab, state)
                    print(f"checkpoint {path}", flush=True)
                if distributed:
                    dist.barrier()  # every rank knows the checkpoint exists before going on
            if stop:
                break
        skip = 0

    if rank == 0:
        final = os.path.join(args.output, "model")
        ga.save_model(final, model, config, trained, vocab)
        measured = timings[1:] or timings
        summary = {
            "world_size": world, "global_batch": args.batch_size * world, "steps": step, "losses": losses,
            "steps_per_second": (len(measured) / sum(measured)) if measured and sum(measured) > 0 else None,
            "backend": dist.get_backend() if distributed else "none", "device": str(device), "threads_per_process": args.threads,
            "parameters": sum(p.numel() for p in model.parameters()),
        }
        if args.log_json:
            write_text_atomically(args.log_json, json.dumps(summary, indent=2))
        print(f"trained {step} step(s) on {world} process(es) ({summary['backend']}, {device}); final loss {losses[-1] if losses else float('nan'):.6f}; "
              f"{summary['steps_per_second'] or 0:.2f} steps/s; wrote {final}", flush=True)
    if distributed:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
