"""A loss curve as a PNG, drawn with numpy and written with zlib: no plotting library needed
beside PyTorch. Log scale, one line per term, as `augur train` draws its `loss.png`."""
import struct
import zlib

import numpy as np

COLOURS = {"total": (230, 230, 230), "prediction": (90, 170, 255), "reconstruction": (255, 160, 60)}


def write_png(path, rgb):
    """`rgb` `[h, w, 3]` uint8 as an 8-bit RGB PNG."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(png)


def loss_curve(path, history, width=640, height=320, margin=16):
    """`history`: one dict of loss terms per step. Each term in COLOURS is drawn on a shared
    log scale; the background grid marks each power of ten."""
    image = np.full((height, width, 3), 24, np.uint8)
    series = {k: np.array([max(h.get(k, 0.0), 1e-8) for h in history]) for k in COLOURS}
    series = {k: np.log10(v) for k, v in series.items() if np.any(v > 1e-8)}
    if not history or not series:
        write_png(path, image)
        return
    low = min(v.min() for v in series.values())
    high = max(v.max() for v in series.values())
    span = max(high - low, 1e-6)

    def y_of(v):
        return int(round(margin + (high - v) / span * (height - 2 * margin)))

    for decade in range(int(np.floor(low)), int(np.ceil(high)) + 1):
        y = y_of(decade)
        if margin <= y < height - margin:
            image[y, margin:width - margin] = 60
    steps = len(history)
    xs = [int(round(margin + i / max(steps - 1, 1) * (width - 2 * margin))) for i in range(steps)]
    for name, values in series.items():
        points = [(x, y_of(v)) for x, v in zip(xs, values)]
        for (x0, y0), (x1, y1) in zip(points, points[1:] or points):
            n = max(abs(x1 - x0), abs(y1 - y0), 1)
            for t in np.linspace(0.0, 1.0, n + 1):
                x, y = int(round(x0 + t * (x1 - x0))), int(round(y0 + t * (y1 - y0)))
                image[max(y - 1, 0):y + 1, max(x - 1, 0):x + 1] = COLOURS[name]
    write_png(path, image)
