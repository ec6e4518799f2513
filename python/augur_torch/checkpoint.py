"""Augur checkpoints: `<name>.safetensors` plus the `<name>.json` model card.

The safetensors format is small enough to read and write here (an 8-byte little-endian header
length, a JSON header of names, dtypes, shapes and byte offsets, then the raw bytes), so this
package needs no more than PyTorch and numpy. Augur's loader checks every name, shape and size
against the card, so a file written here that it accepts is one it understands."""
import json
import os
import struct
from pathlib import Path

import numpy as np
import torch

from .model import Config, WorldModel

FORMAT_VERSION = 1
# Largest weights file read, as Augur's own loader.
MAX_WEIGHTS_BYTES = 512 << 20


class CheckpointError(Exception):
    pass


def paths(model):
    """(weights, card) for `models/x`, `models/x.json` or `models/x.safetensors`, and for a
    training run's folder holding `model.json`."""
    model = Path(model)
    if model.suffix.lower() in (".json", ".safetensors"):
        base = model.with_suffix("")
    elif not Path(f"{model}.json").exists() and (model / "model.json").is_file():
        base = model / "model"
    else:
        base = model
    return Path(f"{base}.safetensors"), Path(f"{base}.json")


def read_safetensors(path):
    """Every tensor of a safetensors file of F32 tensors, as numpy arrays by name."""
    size = os.path.getsize(path)
    if size > MAX_WEIGHTS_BYTES:
        raise CheckpointError(f"{path}: {size} bytes, more than the {MAX_WEIGHTS_BYTES} a model may have")
    data = Path(path).read_bytes()
    if len(data) < 8:
        raise CheckpointError(f"{path}: too short for a safetensors file")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise CheckpointError(f"{path}: the header runs past the end of the file (truncated?)")
    header = json.loads(data[8:8 + n])
    body = memoryview(data)[8 + n:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise CheckpointError(f"{path}: {name} is {entry['dtype']}; Augur models are F32")
        start, end = entry["data_offsets"]
        shape = tuple(entry["shape"])
        if end > len(body) or end - start != 4 * int(np.prod(shape, dtype=np.int64)):
            raise CheckpointError(f"{path}: {name} does not fit its shape {list(shape)} (truncated?)")
        tensors[name] = np.frombuffer(body[start:end], dtype="<f4").reshape(shape).copy()
    return tensors


def write_safetensors(path, tensors, metadata):
    """Writes F32 `tensors` (name to array) sorted by name, with string `metadata`."""
    header, offset, chunks = {"__metadata__": metadata}, 0, []
    for name in sorted(tensors):
        raw = np.ascontiguousarray(tensors[name], dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as other writers do
    write_atomic(path, struct.pack("<Q", len(text)) + text + b"".join(chunks))


def write_atomic(path, data):
    """Written beside the target, flushed, then renamed over it: a crash leaves the old file."""
    tmp = Path(f"{path}.partial")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load(model, device="cpu"):
    """(WorldModel, card dict) from an Augur checkpoint; refuses one whose tensors differ in
    name or shape from what its card's architecture has."""
    weights, card_path = paths(model)
    if not card_path.is_file():
        raise CheckpointError(f"{card_path}: no model card; pass the model's path without an extension")
    try:
        card = json.loads(card_path.read_text())
    except (OSError, ValueError) as e:
        raise CheckpointError(f"{card_path}: not a model card ({e})") from None
    if not isinstance(card, dict) or card.get("format_version") != FORMAT_VERSION:
        version = card.get("format_version") if isinstance(card, dict) else None
        raise CheckpointError(f"{card_path}: format version {version}, this reads {FORMAT_VERSION}")
    try:
        net = WorldModel(Config(card["config"]))
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"{card_path}: its config does not describe a model this reads ({e!r}); "
                              "check it with `augur eval --model`") from None
    state = net.state_dict()
    stored = read_safetensors(weights)
    missing = sorted(set(state) - set(stored))
    extra = sorted(set(stored) - set(state))
    if missing or extra:
        raise CheckpointError(f"{weights}: names differ from the card's architecture: missing {missing[:5]}, "
                              f"unexpected {extra[:5]}")
    for name, value in stored.items():
        if tuple(state[name].shape) != value.shape:
            raise CheckpointError(f"{weights}: {name} is {list(value.shape)}, the card's architecture "
                                  f"has {list(state[name].shape)}")
    net.load_state_dict({k: torch.from_numpy(v) for k, v in stored.items()})
    return net.to(device).eval(), card


def save(net, card, base):
    """Writes `net`'s weights and `card` (its sizes filled in) as `base.safetensors` and
    `base.json`, which `augur` loads like any model it trained."""
    weights, card_path = paths(base)
    weights.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().cpu().float().numpy() for k, v in net.state_dict().items()}
    write_safetensors(weights, tensors, {"producer": "augur_torch", "format": "safetensors"})
    card = dict(card)
    card["format_version"] = FORMAT_VERSION
    card["weights_bytes"] = os.path.getsize(weights)
    card["parameters"] = int(sum(v.size for v in tensors.values()))
    write_atomic(card_path, json.dumps(card, indent=2).encode())
    return weights, card_path
