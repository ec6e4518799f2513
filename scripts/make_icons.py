#!/usr/bin/env python3
"""Draws Augur's icon (an eye-like orbit: a ball and its predicted arc) as RGBA PNGs.

Pure standard library, so it runs anywhere; Tauri refuses non-RGBA icons at compile time.
Run from the repository root: python3 scripts/make_icons.py
"""
import math
import struct
import zlib
from pathlib import Path


def png(path: Path, size: int) -> None:
    rows = []
    c = (size - 1) / 2
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            dx, dy = (x - c) / size, (y - c) / size
            r = math.hypot(dx, dy)
            # Rounded dark tile.
            corner = max(abs(dx), abs(dy))
            if corner > 0.48:
                row += bytes((0, 0, 0, 0))
                continue
            px = [18, 22, 34, 255]
            # Predicted arc: a dashed ring.
            ang = math.atan2(dy, dx)
            if 0.30 < r < 0.34 and int((ang + math.pi) / (math.pi / 8)) % 2 == 0:
                px = [90, 200, 255, 255]
            # The ball: the observed present.
            bx, by = dx + 0.12, dy - 0.1
            if math.hypot(bx, by) < 0.14:
                px = [255, 176, 60, 255]
            row += bytes(px)
        rows.append(bytes(row))
    raw = b"".join(rows)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    path.write_bytes(data)


if __name__ == "__main__":
    out = Path("icons")
    out.mkdir(exist_ok=True)
    for name, size in [("32x32.png", 32), ("128x128.png", 128), ("128x128@2x.png", 256), ("icon.png", 512)]:
        png(out / name, size)
