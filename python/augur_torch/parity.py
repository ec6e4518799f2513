"""Checks that this PyTorch model computes what Augur computes, on Augur's own output.

`augur predict --model M --source S --audio none --out DIR` writes, for each step t, the frame
before it (`input.png`), the last context frame's latent (`latent.f32`), the predicted frames
(`pred-XX.png`) and the surprise (`predictions.json`). Here the same model, loaded from the same
file, encodes the frames Augur saw, rolls out, draws, and is compared at every step whose context
frames are all on disk. Use a source at the model's own size (`scene:bounce?size=64x64`), so the
PNGs hold exactly the pixels the model read.

    python3 -m augur_torch.parity --model models/bounce-64-reach --predictions DIR
Prints one JSON line of the largest differences; exits 1 when they pass the tolerances."""
import argparse
import json
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import torch

from . import checkpoint

# Latents: float32 through a different convolution and matmul order.
LATENT_TOLERANCE = 1e-3
# Surprise, relative.
SURPRISE_TOLERANCE = 1e-2
# Predicted pixels, in 8-bit levels: a value on a rounding boundary may land one level away.
PIXEL_TOLERANCE = 2


def read_png(path, size):
    """An RGB PNG as `[3, size, size]` floats in [0, 1]: 8-bit RGB PNGs (what Augur writes)
    decoded here, anything else through ffmpeg."""
    rgb = decode_rgb8_png(Path(path).read_bytes())
    if rgb is None:
        out = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                             capture_output=True, check=False)
        if out.returncode != 0:
            raise SystemExit(f"parity: cannot read {path}: {out.stderr.decode().strip()}")
        rgb = np.frombuffer(out.stdout, np.uint8)
    if rgb.size != 3 * size * size:
        raise SystemExit(f"parity: {path} is not a {size}×{size} RGB image")
    return rgb.reshape(size, size, 3).transpose(2, 0, 1).astype(np.float32) / 255.0


def decode_rgb8_png(data):
    """The pixels of a non-interlaced 8-bit RGB PNG, row-major; None for any other PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    at, idat, width, height = 8, b"", 0, 0
    while at + 8 <= len(data):
        (n,), kind = struct.unpack(">I", data[at:at + 4]), data[at + 4:at + 8]
        body = data[at + 8:at + 8 + n]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if (depth, colour, interlace) != (8, 2, 0):
                return None
        elif kind == b"IDAT":
            idat += body
        at += 12 + n
    raw = zlib.decompress(idat)
    stride, prev, rows = 3 * width, np.zeros(3 * width, np.int32), []
    for y in range(height):
        kind, line = raw[y * (stride + 1)], np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        if kind == 2:
            line = (line + prev) & 255
        elif kind in (1, 3, 4):
            out = line.copy()
            for i in range(stride):
                left = out[i - 3] if i >= 3 else 0
                up, corner = prev[i], (prev[i - 3] if i >= 3 else 0)
                if kind == 1:
                    guess = left
                elif kind == 3:
                    guess = (left + up) // 2
                else:
                    p = left + up - corner
                    pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                    guess = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                out[i] = (out[i] + guess) & 255
            line = out
        rows.append(line)
        prev = line
    return np.concatenate(rows).astype(np.uint8)


def to_levels(chw):
    """As Augur's `to_rgb8`: clamped to [0, 1], times 255, rounded."""
    return np.rint(np.clip(chw, 0.0, 1.0) * 255.0)


def check(model, predictions):
    net, card = checkpoint.load(model)
    cfg = net.cfg
    c, s = cfg.context, cfg.image_size
    steps = json.loads((Path(predictions) / "predictions.json").read_text())
    by_frame = {r["frame"]: r for r in steps if r.get("dir")}
    # Frame k is the input of step k + 1.
    frames = {t - 1: read_png(Path(predictions) / r["dir"] / "input.png", s) for t, r in by_frame.items()}
    worst = {"predicted_change": 0.0, "latent": 0.0, "surprise_relative": 0.0, "pixel_levels": 0.0, "pixels_off_by_more_than_1": 0}
    compared = 0
    with torch.no_grad():
        for t, record in sorted(by_frame.items()):
            if not all(k in frames for k in range(t - c, t + 1)):
                continue
            clip = torch.from_numpy(np.stack([frames[k] for k in range(t - c, t + 1)])).unsqueeze(0)
            z = net.online(clip[:, :c])
            latent = np.fromfile(Path(predictions) / record["dir"] / "latent.f32", dtype="<f4")
            worst["latent"] = max(worst["latent"], float(np.abs(z[0, -1].flatten().numpy() - latent).max()))
            future = net.rollout(z, len(list((Path(predictions) / record["dir"]).glob("pred-*.png"))))
            truth = net.target(clip[:, c:])
            surprise = float(net.surprise(future[:, :1], truth)[0, 0])
            rel = abs(surprise - record["surprise"]) / max(abs(record["surprise"]), 1e-6)
            worst["surprise_relative"] = max(worst["surprise_relative"], rel)
            anchor = clip[:, c - 1]
            pixels = net.draw(future, anchor)[0][0].numpy()
            kept = record.get("kept") or [1.0] * pixels.shape[0]
            for k, weight in enumerate(kept):
                # A model that fades keeps only `kept[k]` of step k's change from the anchor.
                pixels[k] = anchor[0].numpy() + weight * (pixels[k] - anchor[0].numpy())
                augur = read_png(Path(predictions) / record["dir"] / f"pred-{k + 1:02}.png", s) * 255.0
                gap = np.abs(to_levels(pixels[k]) - np.rint(augur))
                worst["pixel_levels"] = max(worst["pixel_levels"], float(gap.max()))
                worst["pixels_off_by_more_than_1"] += int((gap > 1).sum())
                # How far the prediction moved from the frame it started at, in mean levels.
                moved = float(np.abs(np.rint(augur) - to_levels(anchor[0].numpy())).mean())
                worst["predicted_change"] = max(worst["predicted_change"], moved)
            compared += 1
    worst["steps_compared"] = compared
    worst["model"] = card["name"]
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--predictions", required=True, help="the --out folder of augur predict")
    args = parser.parse_args()
    try:
        worst = check(args.model, args.predictions)
    except checkpoint.CheckpointError as e:
        raise SystemExit(f"parity: {e}") from None
    print(json.dumps(worst))
    if worst["steps_compared"] == 0:
        sys.exit("parity: no step had all its context frames on disk; predict more steps (at least twice the context)")
    if (worst["latent"] > LATENT_TOLERANCE or worst["surprise_relative"] > SURPRISE_TOLERANCE
            or worst["pixel_levels"] > PIXEL_TOLERANCE):
        sys.exit(f"parity: PyTorch and Augur differ beyond the tolerances (latent {LATENT_TOLERANCE}, surprise "
                 f"{SURPRISE_TOLERANCE} relative, pixels {PIXEL_TOLERANCE} levels)")


if __name__ == "__main__":
    main()
