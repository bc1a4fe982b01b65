#!/usr/bin/env python3
"""Draws the app icon: a letter going into a mail file, on a blue rounded square. Standard
library only; shapes are sampled several times per pixel for smooth edges. Writes

* assets/icon.png (256 x 256), the window's icon;
* assets/icons/NxN.png, the sizes the Linux packages install (hicolor theme);
* assets/mail2pst.icns, the macOS app's icon (PNG images in an ICNS container);
* assets/mail2pst.ico, the Windows program's and installer's icon (PNG images in an ICO).

    python3 assets/make_icon.py
"""
import math
import struct
import zlib
from pathlib import Path

SIZE = 256  # the drawing's own coordinates
PNG_SIZES = [32, 64, 128, 256, 512]
# ICNS types for PNG images: (type, pixels). The @2x types repeat a size for Retina screens.
ICNS_TYPES = [
    (b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256),
    (b"ic09", 512), (b"ic10", 1024), (b"ic11", 32), (b"ic12", 64), (b"ic13", 256), (b"ic14", 512),
]
ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]


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


def render(size):
    """The icon as raw PNG scanlines of `size` x `size` pixels."""
    samples = 4 if size <= 256 else 2
    scale = SIZE / size
    rows = []
    for py in range(size):
        row = bytearray([0])  # filter type: none
        for px in range(size):
            total = [0, 0, 0, 0]
            for sy in range(samples):
                for sx in range(samples):
                    r, g, b, a = colour_at(
                        (px + (sx + 0.5) / samples) * scale, (py + (sy + 0.5) / samples) * scale
                    )
                    total[0] += r * a
                    total[1] += g * a
                    total[2] += b * a
                    total[3] += a
            alpha = total[3] / (samples * samples)
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


def icns(images):
    """An ICNS file: 'icns', its length, then (type, length, PNG) for each image."""
    body = b"".join(kind + struct.pack(">I", 8 + len(data)) + data for kind, data in images)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def ico(images):
    """An ICO file of PNG images: the directory, one 16-byte entry per image, then the PNGs."""
    offset = 6 + 16 * len(images)
    entries, blobs = b"", b""
    for size, data in images:
        side = 0 if size >= 256 else size  # 0 stands for 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return struct.pack("<HHH", 0, 1, len(images)) + entries + blobs


if __name__ == "__main__":
    here = Path(__file__).parent
    sizes = sorted(set(PNG_SIZES) | {n for _, n in ICNS_TYPES} | set(ICO_SIZES))
    pngs = {n: png(n, n, render(n)) for n in sizes}
    (here / "icon.png").write_bytes(pngs[256])
    (here / "icons").mkdir(exist_ok=True)
    for n in PNG_SIZES:
        (here / "icons" / f"{n}x{n}.png").write_bytes(pngs[n])
    (here / "mail2pst.icns").write_bytes(icns([(kind, pngs[n]) for kind, n in ICNS_TYPES]))
    (here / "mail2pst.ico").write_bytes(ico([(n, pngs[n]) for n in ICO_SIZES]))
    print(f"wrote {here}/icon.png, icons/, mail2pst.icns and mail2pst.ico")
