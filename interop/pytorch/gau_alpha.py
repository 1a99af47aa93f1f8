#!/usr/bin/env python3
"""GAU-alpha in plain PyTorch (1.13+), reading and writing GauMLNet's PyTorch layout.

Written for GauMLNet from its own C# sources (src/GauMLNet/Modeling, src/GauMLNet/Training, src/GauMLNet.Core/Text);
nothing here is copied from another implementation. Parameter names are the PyTorch port's, as GauMLNet's
state_dict() yields them, so `load_state_dict(strict=True)` checks every name and shape:

  gau_alpha.embeddings.word_embeddings.weight          [vocab, d]
  gau_alpha.embeddings.token_type_embeddings.weight    [2, d]
  gau_alpha.encoder.layer.{i}.gau.i_dense.weight       [2e + s, d]   (.bias when use_bias)
  gau_alpha.encoder.layer.{i}.gau.o_dense.weight       [d, e]
  gau_alpha.encoder.layer.{i}.gau.q_scaleoffset.weight [s]           (.bias when use_bias)
  gau_alpha.encoder.layer.{i}.gau.k_scaleoffset.weight [s]
  head.classifier.weight / head.classifier.bias        classification [classes, d] / regression [1, d]
  head.classifier.* (+ head.crf.*) / head.dense.*, head.bias_dense.*   token classification: BIO tags (softmax, CRF) / GlobalPointer
  cls.predictions.decoder.weight                       MLM decoder when untied (else tied to word_embeddings)

The model (x <- RMSNorm(x + GAU(x)) per layer, RMSNorm without gain, no biases):
  [u, v, z] = act(x W_i) split (e, e, s);  q = RoPE(z * gamma_q), k = RoPE(z * gamma_k)
  A = softmax_plus(q k^T / sqrt(s)) over real keys (logits times log l / log 512, l = the row's real tokens)
  GAU(x) = (u * (A v)) W_o
"""

import hashlib
import json
import math
import os
import shutil
import struct
import unicodedata
import uuid

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DESCRIPTION_FILE = "gaumlnet.json"
MANIFEST_FILE = "manifest.json"
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
VOCAB_FILE = "vocab.txt"
LAYOUT_FILES = (CONFIG_FILE, WEIGHTS_FILE, VOCAB_FILE, DESCRIPTION_FILE)
BACKBONE_PREFIX = "gau_alpha."
DESCRIPTION_FORMAT = 1

# ----------------------------------------------------------------------------------------------------------------
# safetensors, by hand (8-byte little-endian header length, JSON header, raw little-endian bytes)

_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32,
           "I16": np.int16, "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}


def read_safetensors(path):
    """Every tensor of a safetensors file as a CPU tensor; bf16 is widened to fp32."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (length,) = struct.unpack_from("<Q", blob, 0)
    if 8 + length > len(blob):
        raise ValueError(f"{path}: header length {length} runs past the end of the file")
    header = json.loads(blob[8:8 + length].decode("utf-8"))
    start = 8 + length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        shape = [int(s) for s in entry["shape"]]
        count = int(np.prod(shape)) if shape else 1
        if entry["dtype"] == "BF16":
            raw = np.frombuffer(blob, dtype=np.uint16, count=count, offset=start + begin).astype(np.uint32) << 16
            array = raw.view(np.float32).reshape(shape)
        else:
            dtype = _DTYPES.get(entry["dtype"])
            if dtype is None:
                raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}, which this reader does not handle")
            if end - begin != count * np.dtype(dtype).itemsize or start + end > len(blob):
                raise ValueError(f"{path}: tensor {name} has offsets [{begin}, {end}) that do not fit shape {shape}")
            array = np.frombuffer(blob, dtype=dtype, count=count, offset=start + begin).reshape(shape)
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


def safetensors_bytes(tensors):
    """fp32 tensors as safetensors, in name order, the header padded with spaces to a multiple of 8 (as GauMLNet writes)."""
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name].detach().cpu().to(torch.float32).numpy())
        raw = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(chunks)


# ----------------------------------------------------------------------------------------------------------------
# the export layout: config.json, model.safetensors, vocab.txt, gaumlnet.json, manifest.json


def read_json(path):
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f)


def verify_manifest(directory):
    """Checks every member listed in manifest.json (SHA-256 and length), as GauMLNet does before it loads."""
    path = os.path.join(directory, MANIFEST_FILE)
    if not os.path.exists(path):
        return
    for name, member in read_json(path)["files"].items():
        with open(os.path.join(directory, name), "rb") as f:
            data = f.read()
        if len(data) != member["bytes"] or hashlib.sha256(data).hexdigest() != member["sha256"].lower():
            raise ValueError(f"{directory}: {name} does not match manifest.json; the export is damaged")


def load_export(directory):
    """(config dict, description dict, vocabulary list, state dict) of an exported model."""
    verify_manifest(directory)
    for name in LAYOUT_FILES:
        if not os.path.exists(os.path.join(directory, name)):
            raise FileNotFoundError(f"{directory}: {name} is missing; is this a `gau export --format pytorch` folder?")
    config = read_json(os.path.join(directory, CONFIG_FILE))
    description = read_json(os.path.join(directory, DESCRIPTION_FILE))
    if description.get("format", 0) > DESCRIPTION_FORMAT:
        raise ValueError(f"{directory}/{DESCRIPTION_FILE}: format {description['format']} is newer than this script reads")
    with open(os.path.join(directory, VOCAB_FILE), "r", encoding="utf-8") as f:
        vocab = [line.rstrip("\r\n") for line in f]
    while vocab and vocab[-1] == "":
        vocab.pop()
    return config, description, vocab, read_safetensors(os.path.join(directory, WEIGHTS_FILE))


def write_export(directory, config, description, vocab, state_dict, extra_files=None):
    """Writes the layout whole: into a sibling temporary folder, fsynced, then renamed over `directory`.

    `extra_files` (name -> bytes) go beside it but outside the manifest (a trainer's optimizer state).
    A reader sees the previous folder or the new one, never a mix.
    """
    target = os.path.abspath(directory)
    parent = os.path.dirname(target)
    os.makedirs(parent, exist_ok=True)
    staged = os.path.join(parent, f".{os.path.basename(target)}.tmp-{uuid.uuid4().hex}")
    os.makedirs(staged)
    members = {
        CONFIG_FILE: json.dumps(config, indent=2, ensure_ascii=False).encode("utf-8"),
        WEIGHTS_FILE: safetensors_bytes({k: v for k, v in state_dict.items()}),
        VOCAB_FILE: ("\n".join(vocab) + "\n").encode("utf-8"),
        DESCRIPTION_FILE: json.dumps(description, indent=2, ensure_ascii=False).encode("utf-8"),
    }
    manifest = {"format": 1, "files": {name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
                                       for name, data in sorted(members.items())}}
    members[MANIFEST_FILE] = json.dumps(manifest, indent=2).encode("utf-8")
    for name, data in list(members.items()) + list((extra_files or {}).items()):
        with open(os.path.join(staged, name), "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    old = None
    if os.path.exists(target):
        old = os.path.join(parent, f".{os.path.basename(target)}.old-{uuid.uuid4().hex}")
        os.rename(target, old)
    os.rename(staged, target)
    if old is not None:
        shutil.rmtree(old)
    _fsync_directory(parent)


def _fsync_directory(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------------------------------------------
# tokenization: BERT WordPiece as GauMLNet runs it (Microsoft.ML.Tokenizers' BertTokenizer, lower-cased, CJK split)


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


# The pre-tokenizer's pattern is .NET's \w+|[\p{P}]: words of letters, non-spacing marks, decimal digits and connector
# punctuation (.NET's \w), or one punctuation character. Everything else separates words and is dropped: symbols
# ($ + ~ emoji), other numbers, spacing marks. (HF's BasicTokenizer keeps ASCII symbols as punctuation; GauMLNet does not.)
_WORD_CATEGORIES = {"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Nd", "Pc"}


def _is_word_character(ch):
    return unicodedata.category(ch) in _WORD_CATEGORIES


def _is_punctuation(ch):
    return unicodedata.category(ch).startswith("P")


class WordPieceTokenizer:
    """[CLS] a [SEP] (b [SEP]) with segment ids 0/1; over-long inputs cut longest-first, as GauTokenizer.Encode does."""

    def __init__(self, vocab):
        self.vocab = vocab
        self.ids = {}
        for i, token in enumerate(vocab):
            self.ids.setdefault(token, i)
        for special in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"):
            if special not in self.ids:
                raise ValueError(f"vocab.txt lacks {special}")
        self.pad_id, self.unk_id = self.ids["[PAD]"], self.ids["[UNK]"]
        self.cls_id, self.sep_id, self.mask_id = self.ids["[CLS]"], self.ids["[SEP]"], self.ids["[MASK]"]

    def _words(self, text):
        out, word = [], []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or unicodedata.category(ch) == "Cc":
                continue  # removed, joining what is around them (tabs and newlines too, as GauMLNet's normalizer does)
            if _is_word_character(ch) and not _is_cjk(cp):
                word.append(ch)
                continue
            if word:
                out.append("".join(word))
                word = []
            if _is_cjk(cp) or _is_punctuation(ch):
                out.append(ch)  # CJK characters stand alone (IndividuallyTokenizeCjk), as does each punctuation mark
        if word:
            out.append("".join(word))
        return out

    def pieces(self, text):
        """Word-piece ids of a text, without special tokens."""
        ids = []
        for word in self._words((text or "").lower()):
            if len(word) > 100:
                ids.append(self.unk_id)
                continue
            start, found = 0, []
            while start < len(word):
                end, match = len(word), None
                while start < end:
                    piece = word[start:end] if start == 0 else "##" + word[start:end]
                    if piece in self.ids:
                        match = self.ids[piece]
                        break
                    end -= 1
                if match is None:
                    found = [self.unk_id]
                    break
                found.append(match)
                start = end
            ids.extend(found)
        return ids

    def encode(self, first, second, max_length):
        a = self.pieces(first)
        b = self.pieces(second) if second is not None else None
        budget = max_length - (3 if b is not None else 2)
        while len(a) + (len(b) if b is not None else 0) > budget:
            longer = b if b is not None and len(b) > len(a) else a
            longer.pop()
        ids = [self.cls_id] + a + [self.sep_id]
        types = [0] * len(ids)
        if b is not None:
            ids += b + [self.sep_id]
            types += [1] * (len(b) + 1)
        return ids, types


_LETTER_OR_DIGIT = {"Lu", "Ll", "Lt", "Lm", "Lo", "Nd"}


class CharacterTokenizer:
    """Tokens for named entities, as GauMLNet's CharacterTokenizer: one per non-whitespace character, so every character
    offset is a token boundary. CJK characters and punctuation are looked up as they are; letters and digits are pieces
    of one character (the first of a word "a", the rest "##a"), lower-cased, then NFKC as a fallback; else [UNK].
    Offsets are UTF-16 code units, as CLUENER's labels and GauMLNet count them."""

    def __init__(self, wordpiece):
        self.wordpiece = wordpiece

    def encode(self, text):
        """(ids, starts, lengths) per token; starts and lengths in UTF-16 units."""
        ids, starts, lengths = [], [], []
        in_word, position = False, 0
        for ch in text:
            width = 2 if ord(ch) > 0xFFFF else 1
            if ch.isspace() or unicodedata.category(ch) == "Cc":
                in_word = False
                position += width
                continue
            word_character = unicodedata.category(ch) in _LETTER_OR_DIGIT and not _is_cjk(ord(ch))  # .NET Rune.IsLetterOrDigit
            ids.append(self._lookup(ch, word_character and in_word))
            starts.append(position)
            lengths.append(width)
            in_word = word_character
            position += width
        return ids, starts, lengths

    def _lookup(self, ch, continuation):
        ids = self.wordpiece.ids
        forms = [ch]
        lower = ch.lower()
        if lower != ch:
            forms.append(lower)
        try:
            normalized = unicodedata.normalize("NFKC", ch).lower()
        except ValueError:
            normalized = lower
        if normalized != lower and normalized:
            forms.append(normalized)
        for form in forms:
            if continuation and "##" + form in ids:
                return ids["##" + form]
            if form in ids:
                return ids[form]
        return self.wordpiece.unk_id


def entity_windows(length, max_length):
    """(start, count) token windows of at most max_length - 2 tokens, overlapping by a quarter (GauMLNet's EntityWindows)."""
    size = max_length - 2
    if size < 1:
        raise ValueError("max_length must leave room for [CLS] and [SEP]")
    overlap = min(max(size // 4, 0), size // 2)
    if length <= size:
        return [(0, length)]
    windows, start = [], 0
    while True:
        count = min(size, length - start)
        windows.append((start, count))
        if start + count >= length:
            return windows
        start += size - overlap


def _json_lines(path):
    """(line number, object) of each non-blank line of a JSON-lines file; a line that is not JSON is named with its column."""
    with open(path, "r", encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as ex:
                raise ValueError(f"{path}:{number}:{ex.colno}: not valid JSON ({ex.msg})") from None


def read_ner_rows(path):
    """[(id, text, [(type, start, end inclusive)])] of CLUENER JSON lines: {"text", "label": {type: {entity: [[start, end]]}}}."""
    rows = []
    for number, row in _json_lines(path):
        if not isinstance(row.get("text"), str):
            raise ValueError(f"{path}:{number}: 'text' is missing or not a string")
        entities = []
        for kind, found in (row.get("label") or {}).items():
            for mention, spans in (found or {}).items():
                for span in spans:
                    if not (isinstance(span, list) and len(span) == 2 and all(isinstance(v, int) for v in span) and 0 <= span[0] <= span[1]):
                        raise ValueError(f"{path}:{number}: label {kind}/{mention}: {span} is not [start, end]")
                    entities.append((kind, span[0], span[1]))
        rows.append((str(row.get("id", number - 1)), row["text"], entities))
    if not rows:
        raise ValueError(f"{path} holds no rows")
    return rows


def ner_examples(rows, tokenizer, types, max_length, path="data"):
    """Training windows as GauMLNet's EntityWindows.Examples: ([CLS] ids [SEP], BIO tags of the window's tokens,
    [(first, last, type)] spans); entities that do not lie inside a window are left out of it."""
    type_index = {t: i for i, t in enumerate(types)}
    examples = []
    for row_id, text, entities in rows:
        ids, starts, lengths = tokenizer.encode(text)
        token_at = {}
        for k, (a, w) in enumerate(zip(starts, lengths)):
            for p in range(a, a + w):
                token_at[p] = k
        located = []
        for kind, start, end in entities:
            if kind not in type_index:
                raise ValueError(f"{path}: row {row_id}: entity type '{kind}' is not one of the model's {types}")
            first, last = token_at.get(start, -1), token_at.get(end, -1)
            if first < 0 or last < 0 or starts[first] != start or starts[last] + lengths[last] - 1 != end:
                raise ValueError(f"{path}: row {row_id}: entity {kind} [{start}, {end}] does not start and end on characters of the text")
            located.append((first, last, type_index[kind]))
        for offset, count in entity_windows(len(ids), max_length):
            inside = [(f - offset, l - offset, t) for f, l, t in located if f >= offset and l < offset + count]
            tags = [0] * count
            for first, last, t in sorted(inside, key=lambda e: e[0]):  # by start (stable); overlapping entities: BIO keeps the first (GlobalPointer keeps all)
                if any(tags[first:last + 1]):
                    continue
                tags[first] = 1 + 2 * t
                for i in range(first + 1, last + 1):
                    tags[i] = 2 + 2 * t
            window_ids = [tokenizer.wordpiece.cls_id] + ids[offset:offset + count] + [tokenizer.wordpiece.sep_id]
            examples.append((window_ids, tags, inside))
    return examples


def collate(encoded, pad_id):
    """Pads (ids, types) pairs to the batch's longest: input_ids, token_type_ids, attention_mask as int64 [b, n]."""
    width = max(len(ids) for ids, _ in encoded)
    input_ids = torch.full((len(encoded), width), pad_id, dtype=torch.int64)
    token_types = torch.zeros((len(encoded), width), dtype=torch.int64)
    mask = torch.zeros((len(encoded), width), dtype=torch.int64)
    for row, (ids, types) in enumerate(encoded):
        input_ids[row, :len(ids)] = torch.tensor(ids)
        token_types[row, :len(types)] = torch.tensor(types)
        mask[row, :len(ids)] = 1
    return input_ids, token_types, mask


# ----------------------------------------------------------------------------------------------------------------
# the model


def rms_norm(x, eps):
    """RMSNorm without gain or offset: x / sqrt(mean(x^2) + eps)."""
    return x * torch.rsqrt(x.square().mean(dim=-1, keepdim=True) + eps)


def rotary(length, dim, dtype, device):
    """cos, sin [n, dim] for RoPE over adjacent pairs (2i, 2i+1), theta_i = 10000^(-2i/dim), angles in float64."""
    inverse_frequency = torch.pow(10000.0, -torch.arange(0, dim, 2, dtype=torch.float64, device=device) / dim)
    angles = torch.outer(torch.arange(length, dtype=torch.float64, device=device), inverse_frequency)
    angles = angles.repeat_interleave(2, dim=-1)
    return angles.cos().to(dtype), angles.sin().to(dtype)


def apply_rotary(x, cos, sin):
    pairs = x.reshape(*x.shape[:-1], x.shape[-1] // 2, 2)
    turned = torch.stack((-pairs[..., 1], pairs[..., 0]), dim=-1).reshape(x.shape)  # (-x1, x0, -x3, x2, ...)
    return x * cos + turned * sin


ACTIVATIONS = {"swish": F.silu, "silu": F.silu, "gelu": F.gelu}


class ScaleOffset(nn.Module):
    def __init__(self, dim, offset):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim)) if offset else None

    def forward(self, z):
        return z * self.weight + self.bias if self.bias is not None else z * self.weight


class GatedAttentionUnit(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.e, self.s = c["intermediate_size"], c["attention_key_size"]
        self.scale = c.get("attention_scale", True)
        self.normalization = c.get("normalization", "softmax_plus")
        if self.normalization not in ("softmax_plus", "softmax", "squared_relu"):
            raise ValueError(f"config.json: unknown normalization '{self.normalization}'")
        act = c.get("hidden_act", "swish")
        if act not in ACTIVATIONS:
            raise ValueError(f"config.json: hidden_act '{act}' is not one of {sorted(ACTIVATIONS)}")
        self.act = ACTIVATIONS[act]
        bias = c.get("use_bias", False)
        self.i_dense = nn.Linear(c["hidden_size"], 2 * self.e + self.s, bias=bias)
        self.o_dense = nn.Linear(self.e, c["hidden_size"], bias=bias)
        self.q_scaleoffset = ScaleOffset(self.s, bias)
        self.k_scaleoffset = ScaleOffset(self.s, bias)
        self.attention_dropout = nn.Dropout(c.get("attention_probs_dropout_prob", 0.0))
        self.attention = c.get("attention") or "full"
        if self.attention not in ("full", "mixed_chunk"):
            raise ValueError(f"config.json: unknown attention '{self.attention}'")
        chunk = c.get("chunk_size")
        if chunk is not None and (self.attention != "mixed_chunk" or not isinstance(chunk, int) or chunk < 1):
            raise ValueError(f"config.json: chunk_size {chunk!r} needs attention mixed_chunk and a positive integer")
        if self.attention == "mixed_chunk":
            self.chunk = chunk or 256
            self.q_lin_scaleoffset = ScaleOffset(self.s, bias)
            self.k_lin_scaleoffset = ScaleOffset(self.s, bias)

    def forward(self, x, key_mask, cos, sin):
        u, v, z = torch.split(self.act(self.i_dense(x)), [self.e, self.e, self.s], dim=-1)
        q = apply_rotary(self.q_scaleoffset(z), cos, sin)
        k = apply_rotary(self.k_scaleoffset(z), cos, sin)
        if self.attention == "mixed_chunk":
            attended = self.mixed_chunk(q, k, self.q_lin_scaleoffset(z), self.k_lin_scaleoffset(z), v, key_mask)
            return self.o_dense(u * attended)
        a = torch.matmul(q, k.transpose(-1, -2))
        if self.scale:
            a = a / math.sqrt(self.s)
        keys = key_mask.unsqueeze(1)  # [b, 1, n]
        if self.normalization == "squared_relu":
            length = key_mask.sum(dim=-1, keepdim=True).clamp_min(1).to(a.dtype).unsqueeze(-1)
            weights = F.relu(a).square().masked_fill(~keys, 0.0) / length
        else:
            if self.normalization == "softmax_plus":
                length = key_mask.sum(dim=-1, keepdim=True).clamp_min(1).to(torch.float32)
                a = a * (torch.log(length) / math.log(512.0)).unsqueeze(-1)
            weights = torch.softmax(a.masked_fill(~keys, float("-inf")), dim=-1)
        return self.o_dense(u * torch.matmul(self.attention_dropout(weights), v))

    def mixed_chunk(self, q, k, q_lin, k_lin, v, key_mask):
        """FLASH's mixed-chunk attention (non-causal), row by row over each row's own real tokens, so padding never
        enters: quadratic attention inside chunks of C tokens, plus q_lin . (sum_j k_lin_j v_j^T) / n over the row."""
        out = torch.zeros_like(v)
        for b in range(q.shape[0]):
            n = int(key_mask[b].sum())
            if not bool(key_mask[b, :n].all()):
                raise ValueError("mixed_chunk attention: a row's real tokens must come first (right padding)")
            summary = torch.matmul(k_lin[b, :n].transpose(0, 1), v[b, :n]) / n  # [s, e]
            for start in range(0, n, self.chunk):
                end = min(start + self.chunk, n)
                a = torch.matmul(q[b, start:end], k[b, start:end].transpose(0, 1))
                if self.scale:
                    a = a / math.sqrt(self.s)
                m = end - start
                if self.normalization == "squared_relu":
                    weights = F.relu(a).square() / m
                elif self.normalization == "softmax_plus":
                    weights = torch.softmax(a * (math.log(m) / math.log(512.0)), dim=-1)
                else:
                    weights = torch.softmax(a, dim=-1)
                out[b, start:end] = torch.matmul(self.attention_dropout(weights), v[b, start:end]) + torch.matmul(q_lin[b, start:end], summary)
        return out


class GauLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.gau = GatedAttentionUnit(c)
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.0))
        self.eps = c.get("layer_norm_eps", 1e-12)

    def forward(self, x, key_mask, cos, sin):
        return rms_norm(x + self.dropout(self.gau(x, key_mask, cos, sin)), self.eps)


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        if c.get("embedding_size", c["hidden_size"]) != c["hidden_size"]:
            raise ValueError("config.json: embedding_size differs from hidden_size, which GAU-alpha (and GauMLNet) does not use")
        self.word_embeddings = nn.Embedding(c["vocab_size"], c["hidden_size"])
        self.token_type_embeddings = nn.Embedding(c.get("type_vocab_size", 2), c["hidden_size"])
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.0))
        self.eps = c.get("layer_norm_eps", 1e-12)

    def forward(self, input_ids, token_type_ids):
        return self.dropout(rms_norm(self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids), self.eps))


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([GauLayer(c) for _ in range(c["num_hidden_layers"])])


class GauAlpha(nn.Module):
    """The backbone: last hidden states [b, n, d]."""

    def __init__(self, c):
        super().__init__()
        self.key_size = c["attention_key_size"]
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)

    def forward(self, input_ids, token_type_ids, attention_mask):
        x = self.embeddings(input_ids, token_type_ids)
        cos, sin = rotary(x.shape[1], self.key_size, x.dtype, x.device)
        key_mask = attention_mask.bool()
        for layer in self.encoder.layer:
            x = layer(x, key_mask, cos, sin)
        return x


def pool(hidden, attention_mask, pooling):
    if pooling == "first":
        return hidden[:, 0]
    if pooling == "mean":
        weights = attention_mask.to(hidden.dtype).unsqueeze(-1)
        return (hidden * weights).sum(1) / weights.sum(1).clamp_min(1)
    raise ValueError(f"unknown pooling '{pooling}'")


class PooledHead(nn.Module):
    """Pooled hidden state -> dropout -> linear (with bias): class logits, or one score for regression."""

    def __init__(self, c, outputs, pooling):
        super().__init__()
        self.pooling = pooling
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.0))
        self.classifier = nn.Linear(c["hidden_size"], outputs, bias=True)

    def forward(self, hidden, attention_mask):
        return self.classifier(self.dropout(pool(hidden, attention_mask, self.pooling)))


class GauAlphaForSequenceTask(nn.Module):
    """classification (logits [b, classes]) and regression ([b, 1])."""

    def __init__(self, c, outputs, pooling):
        super().__init__()
        self.gau_alpha = GauAlpha(c)
        self.head = PooledHead(c, outputs, pooling)

    def forward(self, input_ids, token_type_ids, attention_mask):
        return self.head(self.gau_alpha(input_ids, token_type_ids, attention_mask), attention_mask)


class GauAlphaForEmbedding(nn.Module):
    """The pooled hidden state [b, d] (no head, nothing to train)."""

    def __init__(self, c, pooling):
        super().__init__()
        self.gau_alpha = GauAlpha(c)
        self.pooling = pooling

    def forward(self, input_ids, token_type_ids, attention_mask):
        return pool(self.gau_alpha(input_ids, token_type_ids, attention_mask), attention_mask, self.pooling)


class MaskedLMPredictions(nn.Module):
    def __init__(self, c, tied):
        super().__init__()
        self.decoder = None if tied else nn.Linear(c["hidden_size"], c["vocab_size"], bias=False)


class MaskedLMHead(nn.Module):
    def __init__(self, c, tied):
        super().__init__()
        self.predictions = MaskedLMPredictions(c, tied)


class GauAlphaForMaskedLM(nn.Module):
    """MLM logits = h E^T (tied, no bias) or h W_dec^T when the checkpoint carries cls.predictions.decoder.weight."""

    def __init__(self, c, tied=True):
        super().__init__()
        self.gau_alpha = GauAlpha(c)
        self.cls = MaskedLMHead(c, tied)

    def forward(self, input_ids, token_type_ids, attention_mask):
        hidden = self.gau_alpha(input_ids, token_type_ids, attention_mask)
        decoder = self.cls.predictions.decoder
        return decoder(hidden) if decoder is not None else hidden.matmul(self.gau_alpha.embeddings.word_embeddings.weight.t())


# ----------------------------------------------------------------------------------------------------------------
# token classification (named entities): GauMLNet's TokenTaggingHead, LinearChainCrf, GlobalPointerHead and their losses
# (src/GauMLNet/Modeling/GauAlphaForTokenClassification.cs). Tags are BIO: 0 is O, then B-type, I-type per type in order.

GLOBAL_POINTER_HEAD_SIZE = 64
HEAD_SOFTMAX, HEAD_CRF, HEAD_GLOBAL_POINTER = "softmax", "crf", "global_pointer"


class LinearChainCrf(nn.Module):
    """Transition scores [from, to], start and end scores; forward is the mean negative log-likelihood of the gold tags."""

    def __init__(self, tags):
        super().__init__()
        self.transitions = nn.Parameter(torch.zeros(tags, tags))
        self.start_transitions = nn.Parameter(torch.zeros(tags))
        self.end_transitions = nn.Parameter(torch.zeros(tags))

    def forward(self, emissions, tags, mask, reduction="mean"):
        """emissions [b, n, T]; tags [b, n] int64; mask [b, n] bool: the scored positions, a contiguous run from position 1."""
        n = emissions.shape[1]
        e = emissions.float()
        maskf = mask.float()
        alpha = self.start_transitions.unsqueeze(0) + e[:, 1]
        for t in range(2, n):
            following = (alpha.unsqueeze(2) + self.transitions.unsqueeze(0)).logsumexp(1) + e[:, t]
            alpha = torch.where(mask[:, t].unsqueeze(1), following, alpha)
        log_z = (alpha + self.end_transitions.unsqueeze(0)).logsumexp(1)
        gold = (e.gather(2, tags.unsqueeze(2)).squeeze(2) * maskf).sum(1) + self.start_transitions[tags[:, 1]]
        moves = self.transitions[tags[:, :-1], tags[:, 1:]]
        gold = gold + (moves * maskf[:, 1:] * maskf[:, :-1]).sum(1)
        last = tags.gather(1, mask.long().sum(1, keepdim=True)).squeeze(1)  # the last gold tag is at position length
        nll = log_z - (gold + self.end_transitions[last])
        return nll.mean() if reduction == "mean" else nll


class TokenTaggingHead(nn.Module):
    """Hidden states -> dropout -> linear: tag scores [b, n, tags]; the CRF (when there is one) scores the loss only."""

    def __init__(self, c, tags, crf):
        super().__init__()
        self.dropout = nn.Dropout(c.get("hidden_dropout_prob", 0.0))
        self.classifier = nn.Linear(c["hidden_size"], tags, bias=True)
        self.crf = LinearChainCrf(tags) if crf else None

    def forward(self, hidden):
        return self.classifier(self.dropout(hidden))


class GlobalPointerHead(nn.Module):
    """Efficient GlobalPointer: s_t(i, j) = RoPE(q_i) . RoPE(k_j) / sqrt(64) + b_t^start(i) + b_t^end(j); [b, types, n, n]."""

    def __init__(self, c, types):
        super().__init__()
        self.types = types
        self.dense = nn.Linear(c["hidden_size"], 2 * GLOBAL_POINTER_HEAD_SIZE, bias=True)
        self.bias_dense = nn.Linear(2 * GLOBAL_POINTER_HEAD_SIZE, 2 * types, bias=True)

    def forward(self, hidden):
        b, n = hidden.shape[0], hidden.shape[1]
        projected = self.dense(hidden)
        q, k = projected.chunk(2, dim=-1)
        cos, sin = rotary(n, GLOBAL_POINTER_HEAD_SIZE, hidden.dtype, hidden.device)
        logits = apply_rotary(q, cos, sin).matmul(apply_rotary(k, cos, sin).transpose(1, 2)) / math.sqrt(GLOBAL_POINTER_HEAD_SIZE)
        bias = (self.bias_dense(projected) / 2).transpose(1, 2).reshape(b, self.types, 2, n)  # [b, t, (start, end), n]
        return logits.unsqueeze(1) + bias[:, :, 0].unsqueeze(-1) + bias[:, :, 1].unsqueeze(-2)


def token_head_kind(description):
    """softmax, crf or global_pointer, from the head's parameter names in gaumlnet.json."""
    names = set(description["head"]["parameters"])
    if "head.dense.weight" in names:
        return HEAD_GLOBAL_POINTER
    return HEAD_CRF if "head.crf.transitions" in names else HEAD_SOFTMAX


class GauAlphaForTokenClassification(nn.Module):
    """Per-token BIO tag scores [b, n, tags] (softmax, CRF) or GlobalPointer span scores [b, types, n, n]; position 0 is [CLS]."""

    def __init__(self, c, kind, outputs):
        super().__init__()
        self.kind = kind
        self.gau_alpha = GauAlpha(c)
        self.head = GlobalPointerHead(c, outputs) if kind == HEAD_GLOBAL_POINTER else TokenTaggingHead(c, outputs, kind == HEAD_CRF)

    def forward(self, input_ids, token_type_ids, attention_mask):
        return self.head(self.gau_alpha(input_ids, token_type_ids, attention_mask))

    def loss_terms(self, output, tags, token_mask, spans=None):
        """(summed loss, count) of a batch, so ranks can divide by the global count; the mean is what GauMLNet minimizes.
        tags [b, n] int64 at each token's position (after [CLS]); token_mask [b, n] bool; spans [b, types, n, n] 0/1."""
        if self.kind == HEAD_CRF:
            nll = self.head.crf(output, tags, token_mask, reduction="none")
            return nll.sum(), nll.shape[0]
        if self.kind == HEAD_SOFTMAX:
            target = tags.masked_fill(~token_mask, -100)  # [CLS], [SEP] and padding are ignored
            return F.cross_entropy(output.float().flatten(0, 1), target.flatten(), ignore_index=-100, reduction="sum"), int(token_mask.sum())
        losses = global_pointer_loss(output, spans, token_mask)
        return losses.sum(), losses.shape[0]


def global_pointer_loss(logits, gold, token_mask):
    """Per (row, type): log(1 + sum_neg e^s) + log(1 + sum_pos e^-s) over spans i <= j of real tokens ([b * types])."""
    b, types, n = logits.shape[0], logits.shape[1], logits.shape[2]
    valid = (token_mask.unsqueeze(2) & token_mask.unsqueeze(1)).triu().unsqueeze(1)
    huge = 1e12
    scores = logits.float().masked_fill(~valid, -huge).reshape(b * types, n * n)
    truth = gold.float().reshape(b * types, n * n)
    wrong = 1 - truth
    scores = (wrong - truth) * scores
    zero = torch.zeros(b * types, 1, dtype=scores.dtype, device=scores.device)
    negatives = torch.cat([scores - truth * huge, zero], 1).logsumexp(1)
    positives = torch.cat([scores - wrong * huge, zero], 1).logsumexp(1)
    return negatives + positives


def build_model(config, description, state_dict=None):
    """The network an exported description names, with its weights loaded strictly when given."""
    task = description["task"]
    if task in ("classification", "regression"):
        model = GauAlphaForSequenceTask(config, description["outputs"], description.get("pooling", "first"))
    elif task == "embedding":
        model = GauAlphaForEmbedding(config, description.get("pooling", "first"))
    elif task == "masked_lm":
        tied = state_dict is None or "cls.predictions.decoder.weight" not in state_dict
        model = GauAlphaForMaskedLM(config, tied=tied)
    elif task == "token_classification":
        model = GauAlphaForTokenClassification(config, token_head_kind(description), description["outputs"])
    else:
        raise ValueError(f"task '{task}' has no PyTorch module here")
    if state_dict is not None:
        model.load_state_dict(state_dict, strict=True)  # every name and shape must match GauMLNet's
    return model


def load_model(directory):
    """(model, config, description, tokenizer) of an exported folder."""
    config, description, vocab, state_dict = load_export(directory)
    model = build_model(config, description, state_dict)
    return model, config, description, WordPieceTokenizer(vocab)


def save_model(directory, model, config, description, vocab, extra_files=None):
    write_export(directory, config, description, vocab, model.state_dict(), extra_files)


# ----------------------------------------------------------------------------------------------------------------
# data: CLUE-style JSON lines, the fields gaumlnet.json names (data.text_fields, data.label_field)


def read_clue_rows(path, description, require_labels=True):
    """[(id, first, second or None, label or None)] of a JSON-lines file; errors name the file and line."""
    data = description.get("data")
    if not data:
        raise ValueError(f"{DESCRIPTION_FILE} names no CLUE task (no 'data'); this model was not trained on CLUE rows")
    fields, label_field = data["text_fields"], data["label_field"]
    if description.get("clue_task") in ("csl", "cluewsc"):
        raise ValueError(f"{description['clue_task']} rows are rebuilt by GauMLNet's reader; convert them to sentence1/sentence2 rows first")
    rows = []
    for number, row in _json_lines(path):
        missing = [k for k in fields if k not in row]
        if missing:
            raise ValueError(f"{path}:{number}: the field(s) {', '.join(missing)} are missing")
        label = row.get(label_field)
        if label is not None:
            label = str(label)
        if description.get("clue_task") in ("cmnli", "ocnli") and label == "-":
            continue  # annotators disagreed: CLUE drops these rows, as GauMLNet does
        if require_labels and not label:
            raise ValueError(f"{path}:{number}: the row has no {label_field}")
        rows.append((str(row.get("id", number - 1)), str(row[fields[0]]), str(row[fields[1]]) if len(fields) > 1 else None, label))
    if not rows:
        raise ValueError(f"{path} holds no rows")
    return rows
