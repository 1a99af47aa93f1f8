#!/usr/bin/env python3
"""GauMLNet's PyTorch peer: the benchmark's two models in plain PyTorch 1.x, for same-run comparisons.

Written for GauMLNet from its own C# sources (src/GauMLNet/Modeling and tests/GauMLNet.Benchmarks/
TransformerBaseline.cs); nothing here is copied from another implementation.

  gau      GAU-alpha layers: x <- RMSNorm(x + GAU(x)), GAU(x) = o_dense(u * (A v)) with
           [u, v, z] = swish(i_dense(x)) split (e, e, s); q = RoPE(z * gamma_q), k = RoPE(z * gamma_k);
           A = softmax_plus(q k^T / sqrt(s)) over unmasked keys (logits times log l / log 512).
  transformer
           RoFormerV2-style layers: multi-head attention 12 x 64 with RoPE, FFN 3072 (ReLU), no biases,
           post RMSNorm (no gain) after each residual.

Attention is written out (scores materialised, masked, softmaxed): PyTorch 1.13 has no fused attention.
Weights, the input x [b, n, d] and a key mask [b, n] come from a safetensors file the C# benchmark wrote;
the format is read by hand (8-byte little-endian header length, JSON header, raw bytes).

  gau_peer.py --probe                                   JSON: torch/numpy versions, BLAS in use, threads
  gau_peer.py --weights F --model gau --layers 4 --mode infer [--parity-output OUT] [--repeats R]
  gau_peer.py --weights F --model transformer --layers 2 --mode train

--parity-output writes the model's output on the file's x and mask (eval mode, no grad) to OUT as
safetensors before any timing. Timing uses the file's x with every key visible, as the C# cases do, and
prints one JSON line: tokens/s (best of R runs after one warm-up), peak resident MB, and the setup.
"""

import argparse
import ctypes
import json
import math
import resource
import struct
import sys
import time

MISSING = []
try:
    import numpy as np
except ImportError:
    MISSING.append("numpy")
try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    MISSING.append("torch")
if MISSING:
    # The C# side reads this line to say what to install.
    print("missing Python modules: " + " ".join(MISSING), file=sys.stderr)
    sys.exit(3)

SAFETENSORS_DTYPES = {
    "F64": np.float64,
    "F32": np.float32,
    "F16": np.float16,
    "I64": np.int64,
    "I32": np.int32,
    "I16": np.int16,
    "I8": np.int8,
    "U8": np.uint8,
    "BOOL": np.bool_,
}


def read_safetensors(path):
    """All tensors of a safetensors file, as CPU torch tensors."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (header_length,) = struct.unpack_from("<Q", blob, 0)
    if 8 + header_length > len(blob):
        raise ValueError(f"{path}: header length {header_length} runs past the end of the file")
    header = json.loads(blob[8:8 + header_length].decode("utf-8"))
    data_start = 8 + header_length
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype = SAFETENSORS_DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}, which this reader does not handle")
        begin, end = entry["data_offsets"]
        shape = [int(s) for s in entry["shape"]]
        count = int(np.prod(shape)) if shape else 1
        if end - begin != count * np.dtype(dtype).itemsize or data_start + end > len(blob):
            raise ValueError(f"{path}: tensor {name} has offsets [{begin}, {end}) that do not fit shape {shape}")
        array = np.frombuffer(blob, dtype=dtype, count=count, offset=data_start + begin).reshape(shape)
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


def write_safetensors(path, tensors):
    """Writes float32 tensors as safetensors (header padded with spaces to a multiple of 8 bytes)."""
    header, chunks, offset = {}, [], 0
    for name, tensor in tensors.items():
        array = np.ascontiguousarray(tensor.detach().to(torch.float32).numpy())
        raw = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)


def rms_norm(x, eps=1e-12):
    """RMSNorm without gain or offset: x / sqrt(mean(x^2) + eps)."""
    return x * torch.rsqrt(x.square().mean(dim=-1, keepdim=True) + eps)


class Rotary:
    """RoPE over adjacent pairs (2i, 2i+1), theta_i = 10000^(-2i/dim), angles computed in float64."""

    def __init__(self, length, dim, dtype):
        inverse_frequency = torch.pow(10000.0, -torch.arange(0, dim, 2, dtype=torch.float64) / dim)
        angles = torch.outer(torch.arange(length, dtype=torch.float64), inverse_frequency)
        angles = angles.repeat_interleave(2, dim=-1)  # theta0 theta0 theta1 theta1 ...
        self.cos = angles.cos().to(dtype)
        self.sin = angles.sin().to(dtype)

    def __call__(self, x):
        pairs = x.reshape(*x.shape[:-1], x.shape[-1] // 2, 2)
        turned = torch.stack((-pairs[..., 1], pairs[..., 0]), dim=-1).reshape(x.shape)  # (-x1, x0, -x3, x2, ...)
        return x * self.cos + turned * self.sin


class ScaleOffset(nn.Module):
    """Per-dimension scale (no offset: GAU-alpha has no biases)."""

    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, z):
        return z * self.weight


class GatedAttentionUnit(nn.Module):
    def __init__(self, hidden=768, expansion=1536, key_size=128):
        super().__init__()
        self.e, self.s = expansion, key_size
        self.i_dense = nn.Linear(hidden, 2 * expansion + key_size, bias=False)
        self.o_dense = nn.Linear(expansion, hidden, bias=False)
        self.q_scaleoffset = ScaleOffset(key_size)
        self.k_scaleoffset = ScaleOffset(key_size)

    def forward(self, x, key_mask, rope):
        u, v, z = torch.split(F.silu(self.i_dense(x)), [self.e, self.e, self.s], dim=-1)
        q = rope(self.q_scaleoffset(z))
        k = rope(self.k_scaleoffset(z))
        logits = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.s)  # [b, n, n]
        # softmax_plus: scale by log(l) / log(512), l = the row's number of real keys.
        keys = key_mask.sum(dim=-1, keepdim=True).clamp_min(1).to(logits.dtype)  # [b, 1]
        logits = logits * (torch.log(keys) / math.log(512.0)).unsqueeze(-1)
        logits = logits.masked_fill(~key_mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(logits, dim=-1)
        return self.o_dense(u * torch.matmul(weights, v))


class GauLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.gau = GatedAttentionUnit()

    def forward(self, x, key_mask, rope):
        return rms_norm(x + self.gau(x, key_mask, rope))


class GauEncoder(nn.Module):
    """Parameter names match GauAlphaModel's: encoder.layer.{i}.gau.{i_dense,o_dense,q_scaleoffset,k_scaleoffset}."""

    def __init__(self, layers, key_size=128):
        super().__init__()
        self.key_size = key_size
        self.encoder = nn.Module()
        self.encoder.layer = nn.ModuleList([GauLayer() for _ in range(layers)])

    def forward(self, x, key_mask):
        rope = Rotary(x.shape[1], self.key_size, x.dtype)
        for layer in self.encoder.layer:
            x = layer(x, key_mask, rope)
        return x


class TransformerLayer(nn.Module):
    def __init__(self, hidden=768, heads=12, ffn=3072):
        super().__init__()
        self.heads, self.head_size = heads, hidden // heads
        self.qkv = nn.Linear(hidden, 3 * hidden, bias=False)
        self.out = nn.Linear(hidden, hidden, bias=False)
        self.ffn_in = nn.Linear(hidden, ffn, bias=False)
        self.ffn_out = nn.Linear(ffn, hidden, bias=False)

    def forward(self, x, key_mask, rope):
        b, n, d = x.shape
        qkv = self.qkv(x).view(b, n, 3, self.heads, self.head_size).permute(2, 0, 3, 1, 4)  # [3, b, h, n, hs]
        q, k, v = rope(qkv[0]), rope(qkv[1]), qkv[2]
        logits = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_size)
        logits = logits.masked_fill(~key_mask[:, None, None, :], float("-inf"))
        attended = torch.matmul(torch.softmax(logits, dim=-1), v).transpose(1, 2).reshape(b, n, d)
        x = rms_norm(x + self.out(attended))
        return rms_norm(x + self.ffn_out(F.relu(self.ffn_in(x))))


class TransformerEncoder(nn.Module):
    """Parameter names match the C# TransformerStack's: layers.{i}.{qkv,out,ffn_in,ffn_out}."""

    def __init__(self, layers, head_size=64):
        super().__init__()
        self.head_size = head_size
        self.layers = nn.ModuleList([TransformerLayer() for _ in range(layers)])

    def forward(self, x, key_mask):
        rope = Rotary(x.shape[1], self.head_size, x.dtype)
        for layer in self.layers:
            x = layer(x, key_mask, rope)
        return x


def blas_in_use():
    """Which BLAS this process loaded, from /proc/self/maps, and OpenBLAS's own core name when it is OpenBLAS."""
    try:
        with open("/proc/self/maps") as f:
            libraries = sorted({line.split()[-1] for line in f if "blas" in line.lower() and "/" in line})
    except OSError:
        return {"libraries": [], "openblas": None}
    info = {"libraries": libraries, "openblas": None}
    for path in libraries:
        if "openblas" not in path:
            continue
        try:
            library = ctypes.CDLL(path)
            library.openblas_get_corename.restype = ctypes.c_char_p
            library.openblas_get_config.restype = ctypes.c_char_p
            info["openblas"] = {
                "core": library.openblas_get_corename().decode(),
                "config": library.openblas_get_config().decode(),
                "threads": int(library.openblas_get_num_threads()),
            }
            break
        except (OSError, AttributeError):
            continue
    return info


def best_seconds(action, repeats, warmups=1):
    for _ in range(warmups):
        action()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def build_model(kind, layers, tensors):
    model = GauEncoder(layers) if kind == "gau" else TransformerEncoder(layers)
    weights = {name: t for name, t in tensors.items() if name not in ("x", "mask")}
    model.load_state_dict(weights, strict=True)  # every name and shape must match the C# model's
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probe", action="store_true")
    parser.add_argument("--weights")
    parser.add_argument("--model", choices=["gau", "transformer"])
    parser.add_argument("--layers", type=int)
    parser.add_argument("--mode", choices=["infer", "train"])
    parser.add_argument("--parity-output")
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    if args.probe:
        print(json.dumps({
            "python": sys.version.split()[0],
            "torch": torch.__version__,
            "numpy": np.__version__,
            "threads": torch.get_num_threads(),
            "blas": blas_in_use(),
        }))
        return 0
    if not (args.weights and args.model and args.layers and args.mode):
        parser.error("--weights, --model, --layers and --mode are required (or --probe)")

    torch.manual_seed(0)
    tensors = read_safetensors(args.weights)
    x = tensors["x"].to(torch.float32)
    mask = tensors["mask"].to(torch.bool)
    model = build_model(args.model, args.layers, tensors)
    batch, n = x.shape[0], x.shape[1]

    if args.parity_output:
        model.eval()
        with torch.no_grad():
            write_safetensors(args.parity_output, {"hidden": model(x, mask)})

    all_keys = torch.ones(batch, n, dtype=torch.bool)
    repeats = args.repeats or (2 if n >= 1024 else 3)
    if args.mode == "infer":
        model.eval()

        def step():
            with torch.no_grad():
                model(x, all_keys)
    else:
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
        inputs = x.clone().requires_grad_(True)  # the input stands for embeddings, which need a gradient too

        def step():
            optimizer.zero_grad()
            model(inputs, all_keys).square().mean().backward()
            optimizer.step()

    seconds = best_seconds(step, repeats)
    print(json.dumps({
        "TokensPerSecond": batch * n / seconds,
        "BestSeconds": seconds,
        "PeakMegabytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "Repeats": repeats,
        "Torch": torch.__version__,
        "Threads": torch.get_num_threads(),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
