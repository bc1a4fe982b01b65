#!/usr/bin/env python3
"""Draws the app icon, assets/icon.png (256 x 256): a letter going into a mail file, on a blue
rounded square. Standard library only; shapes are sampled 4 x 4 per pixel for smooth edges.

    python3 assets/make_icon.py
"""
import math
import struct
import zlib
from pathlib import Path

SIZE = 256
SAMPLES = 4


def rounded_rect(x, y, x0, y0, x1, y1, r):
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r and x0 <= x <= x1 and y0 <= y <= y1


def near_segment(x, y, ax, ay, bx, by, width):
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    px, py = ax + t * dx, ay + t * dy
    return (x - px) ** 2 + (y - py) ** 2 <= (width / 2) ** 2


def in_triangle(x, y, a, b, c):
    def side(p, q):
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])
    s1, s2, s3 = side(a, b), side(b, c), side(c, a)
    return (s1 >= 0 and s2 >= 0 and s3 >= 0) or (s1 <= 0 and s2 <= 0 and s3 <= 0)


def colour_at(x, y):
    """The colour (r, g, b, a) of the point (x, y), topmost shape first."""
    # The arrow: from the envelope down-right into the file.
    orange = (245, 158, 11, 255)
    if near_segment(x, y, 150, 128, 186, 164, 18) or in_triangle(
        x, y, (206, 184), (165, 178), (200, 143)
    ):
        return orange
    # The envelope: white body with a blue flap outline.
    env = (52, 70, 152, 120)
    if rounded_rect(x, y, *env, 8):
        blue_line = (30, 64, 175, 255)
        if near_segment(x, y, 56, 76, 102, 108, 9) or near_segment(x, y, 148, 76, 102, 108, 9):
            return blue_line
        return (255, 255, 255, 255)
    # The mail file: a pale page with a folded corner, bottom right.
    page = (150, 150, 222, 222)
    if rounded_rect(x, y, *page, 10):
        if x + y > 222 + 150 + 48 and x > 200 and y > 200:
            return (191, 219, 254, 255)
        if any(abs(y - line) < 3 and 166 <= x <= 206 for line in (176, 190, 204)):
            return (96, 165, 250, 255)
        return (239, 246, 255, 255)
    # The background: a rounded square, lighter at the top.
    if rounded_rect(x, y, 8, 8, 248, 248, 48):
        t = (y - 8) / 240
        return (int(59 - 29 * t), int(130 - 66 * t), int(246 - 71 * t), 255)
    return (0, 0, 0, 0)


def render():
    rows = []
    for py in range(SIZE):
        row = bytearray([0])  # filter type: none
        for px in range(SIZE):
            total = [0, 0, 0, 0]
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    r, g, b, a = colour_at(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES)
                    total[0] += r * a
                    total[1] += g * a
                    total[2] += b * a
                    total[3] += a
            alpha = total[3] / (SAMPLES * SAMPLES)
            if total[3]:
                row += bytes(round(c / total[3]) for c in total[:3])
            else:
                row += b"\0\0\0"
            row.append(round(alpha))
        rows.append(bytes(row))
    return b"".join(rows)


def png(width, height, raw):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = Path(__file__).with_name("icon.png")
    out.write_bytes(png(SIZE, SIZE, render()))
    print(f"wrote {out}")
