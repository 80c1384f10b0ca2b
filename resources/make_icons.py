#!/usr/bin/env python3
"""Draws the icons of mri-studio as PNG files (resources/icons/*.png).

Plain Python 3 (standard library only), so the icons can be rebuilt on any
machine: Qt's SVG image plugin is not always installed, PNG always loads.
Shapes are rasterised with 4x4 supersampling for smooth edges.

    python3 resources/make_icons.py
"""

import math
import os
import random
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "icons")
SUB = 4  # supersampling per axis


def png_bytes(width, height, rgba):
    raw = bytearray()
    for y in range(height):
        raw.append(0)
        raw.extend(rgba[y * width * 4:(y + 1) * width * 4])

    def chunk(kind, data):
        block = kind + data
        return struct.pack(">I", len(data)) + block + struct.pack(">I", zlib.crc32(block) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
            + chunk(b"IEND", b""))


# --- shapes: functions (x, y) -> bool on the unit square, y downwards ---------

def rounded_rect(x0, y0, x1, y1, r):
    def inside(x, y):
        if x < x0 or x > x1 or y < y0 or y > y1:
            return False
        cx = min(max(x, x0 + r), x1 - r)
        cy = min(max(y, y0 + r), y1 - r)
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    return inside


def ellipse(cx, cy, rx, ry):
    return lambda x, y: ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0


def polygon(points):
    def inside(x, y):
        result = False
        j = len(points) - 1
        for i in range(len(points)):
            xi, yi = points[i]
            xj, yj = points[j]
            if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
                result = not result
            j = i
        return result
    return inside


def segment(ax, ay, bx, by, width):
    half = width / 2.0

    def inside(x, y):
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
        px, py = ax + t * dx, ay + t * dy
        return (x - px) ** 2 + (y - py) ** 2 <= half * half
    return inside


def polyline(points, width):
    parts = [segment(*points[i], *points[i + 1], width) for i in range(len(points) - 1)]
    return lambda x, y: any(part(x, y) for part in parts)


def star(cx, cy, outer, inner, spikes=4, rotation=0.0):
    points = []
    for i in range(spikes * 2):
        radius = outer if i % 2 == 0 else inner
        angle = rotation + math.pi * i / spikes - math.pi / 2
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return polygon(points)


def intersect(a, b):
    return lambda x, y: a(x, y) and b(x, y)


def subtract(a, b):
    return lambda x, y: a(x, y) and not b(x, y)


def hexcolour(text, alpha=255):
    text = text.lstrip("#")
    return (int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16), alpha)


def render(size, layers):
    """layers: list of (shape, colour) where colour is RGBA or a function
    (x, y) -> RGBA; drawn in order, later on top."""
    data = bytearray(size * size * 4)
    for py in range(size):
        for px in range(size):
            r = g = b = a = 0.0
            for sy in range(SUB):
                for sx in range(SUB):
                    x = (px + (sx + 0.5) / SUB) / size
                    y = (py + (sy + 0.5) / SUB) / size
                    cr = cg = cb = ca = 0.0
                    for shape, colour in layers:
                        if shape(x, y):
                            c = colour(x, y) if callable(colour) else colour
                            alpha = c[3] / 255.0
                            # "over" compositing in straight alpha
                            out_a = alpha + ca * (1 - alpha)
                            if out_a > 0:
                                cr = (c[0] * alpha + cr * ca * (1 - alpha)) / out_a
                                cg = (c[1] * alpha + cg * ca * (1 - alpha)) / out_a
                                cb = (c[2] * alpha + cb * ca * (1 - alpha)) / out_a
                            ca = out_a
                    r += cr * ca
                    g += cg * ca
                    b += cb * ca
                    a += ca
            n = SUB * SUB
            offset = (py * size + px) * 4
            if a > 0:
                data[offset:offset + 4] = bytes((round(r / a), round(g / a), round(b / a), round(255 * a / n)))
    return data


def save(name, size, layers):
    path = os.path.join(OUT, name)
    with open(path, "wb") as handle:
        handle.write(png_bytes(size, size, render(size, layers)))
    print("wrote", os.path.relpath(path, os.path.dirname(HERE)))


# --- the icons ------------------------------------------------------------------

def app_layers():
    rng = random.Random(7)
    noise = {}

    def noisy(x, y):
        key = (int(x * 48), int(y * 48))
        if key not in noise:
            noise[key] = rng.gauss(0, 38)
        base = brain_shade(x, y)
        v = max(0, min(255, base + noise[key]))
        return (int(v), int(v), int(v), 255)

    def brain_shade(x, y):
        # white matter brighter in the middle, cortex darker at the rim
        d = ((x - 0.5) / 0.30) ** 2 + ((y - 0.53) / 0.34) ** 2
        return 215 - 70 * d

    def smooth(x, y):
        v = brain_shade(x, y)
        return (int(v), int(v), int(v), 255)

    def background(x, y):
        t = y
        top, bottom = hexcolour("#1e3a5f"), hexcolour("#0f1d30")
        return tuple(int(top[i] * (1 - t) + bottom[i] * t) for i in range(3)) + (255,)

    tile = rounded_rect(0.04, 0.04, 0.96, 0.96, 0.18)
    head = ellipse(0.5, 0.53, 0.37, 0.41)
    skull = subtract(head, ellipse(0.5, 0.53, 0.33, 0.37))
    brain = ellipse(0.5, 0.53, 0.30, 0.34)
    sulci = []
    for side in (-1, 1):
        for path in ([(0.13, 0.36), (0.08, 0.42), (0.11, 0.50)],
                     [(0.20, 0.60), (0.10, 0.64), (0.14, 0.72)],
                     [(0.07, 0.27), (0.16, 0.31)],
                     [(0.04, 0.53), (0.17, 0.55)],
                     [(0.09, 0.80), (0.17, 0.77)]):
            sulci.append(polyline([(0.5 + side * dx, y) for dx, y in path], 0.022))
    left = lambda x, y: x < 0.5
    right = lambda x, y: x >= 0.5
    return [
        (tile, background),
        (skull, hexcolour("#cfd8dc")),
        (intersect(brain, left), noisy),
        (intersect(brain, right), smooth),
    ] + [(intersect(sulcus, brain), hexcolour("#455a64")) for sulcus in sulci] + [
        (segment(0.5, 0.16, 0.5, 0.90, 0.018), hexcolour("#ffb300")),
        (star(0.80, 0.20, 0.13, 0.04), hexcolour("#ffca28")),
        (star(0.88, 0.36, 0.06, 0.02), hexcolour("#ffe082")),
    ]


def open_layers():
    return [
        (polygon([(0.08, 0.22), (0.38, 0.22), (0.46, 0.30), (0.92, 0.30), (0.92, 0.84), (0.08, 0.84)]), hexcolour("#e0a020")),
        (polygon([(0.08, 0.84), (0.18, 0.42), (0.98, 0.42), (0.88, 0.84)]), hexcolour("#ffc94d")),
    ]


def train_layers():
    curve = [(0.16, 0.24), (0.28, 0.48), (0.40, 0.60), (0.54, 0.67), (0.70, 0.71), (0.88, 0.73)]
    return [
        (rounded_rect(0.06, 0.08, 0.94, 0.92, 0.10), hexcolour("#ffffff")),
        (subtract(rounded_rect(0.06, 0.08, 0.94, 0.92, 0.10), rounded_rect(0.10, 0.12, 0.90, 0.88, 0.07)),
         hexcolour("#90a4ae")),
        (polyline([(0.16, 0.16), (0.16, 0.82), (0.88, 0.82)], 0.05), hexcolour("#546e7a")),
        (polyline(curve, 0.08), hexcolour("#1565c0")),
        (ellipse(0.40, 0.60, 0.055, 0.055), hexcolour("#e65100")),
        (ellipse(0.70, 0.71, 0.055, 0.055), hexcolour("#e65100")),
    ]


def stop_layers():
    return [
        (rounded_rect(0.16, 0.16, 0.84, 0.84, 0.12), hexcolour("#d32f2f")),
        (subtract(rounded_rect(0.16, 0.16, 0.84, 0.84, 0.12), rounded_rect(0.22, 0.22, 0.78, 0.78, 0.08)),
         hexcolour("#b71c1c")),
    ]


def enhance_layers():
    return [
        (segment(0.14, 0.88, 0.60, 0.42, 0.11), hexcolour("#455a64")),
        (segment(0.50, 0.52, 0.60, 0.42, 0.11), hexcolour("#eceff1")),
        (star(0.68, 0.32, 0.26, 0.07), hexcolour("#ffb300")),
        (star(0.26, 0.22, 0.11, 0.03), hexcolour("#ffca28")),
        (star(0.88, 0.70, 0.09, 0.025), hexcolour("#ffca28")),
    ]


def compare_layers():
    rng = random.Random(3)
    noise = {}

    def noisy(x, y):
        key = (int(x * 20), int(y * 20))
        if key not in noise:
            noise[key] = rng.randint(60, 200)
        v = noise[key]
        return (v, v, v, 255)

    left = rounded_rect(0.04, 0.16, 0.47, 0.84, 0.06)
    right = rounded_rect(0.53, 0.16, 0.96, 0.84, 0.06)
    return [
        (left, noisy),
        (right, hexcolour("#b0bec5")),
        (ellipse(0.745, 0.50, 0.14, 0.22), hexcolour("#eceff1")),
        (subtract(left, rounded_rect(0.08, 0.20, 0.43, 0.80, 0.04)), hexcolour("#37474f")),
        (subtract(right, rounded_rect(0.57, 0.20, 0.92, 0.80, 0.04)), hexcolour("#37474f")),
    ]


def export_layers():
    page = polygon([(0.14, 0.06), (0.56, 0.06), (0.74, 0.24), (0.74, 0.94), (0.14, 0.94)])
    inner = polygon([(0.19, 0.11), (0.53, 0.11), (0.69, 0.27), (0.69, 0.89), (0.19, 0.89)])
    return [
        (page, hexcolour("#78909c")),
        (inner, hexcolour("#ffffff")),
        (polygon([(0.56, 0.06), (0.56, 0.24), (0.74, 0.24)]), hexcolour("#b0bec5")),
        (segment(0.27, 0.40, 0.58, 0.40, 0.05), hexcolour("#b0bec5")),
        (segment(0.27, 0.52, 0.50, 0.52, 0.05), hexcolour("#b0bec5")),
        (segment(0.27, 0.64, 0.46, 0.64, 0.05), hexcolour("#b0bec5")),
        (segment(0.48, 0.76, 0.80, 0.76, 0.12), hexcolour("#2e7d32")),
        (polygon([(0.74, 0.58), (0.97, 0.76), (0.74, 0.94)]), hexcolour("#2e7d32")),
    ]


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, layers in (("open", open_layers), ("train", train_layers), ("stop", stop_layers),
                         ("enhance", enhance_layers), ("compare", compare_layers), ("export", export_layers)):
        save(name + ".png", 64, layers())
    for size in (16, 32, 48, 64, 128, 256):
        save("app-%d.png" % size, size, app_layers())


if __name__ == "__main__":
    main()
