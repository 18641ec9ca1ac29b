"""Draw the two Teams app icons with the standard library only.

    python -m manifest.make_icons            # rewrites manifest/color.png and manifest/outline.png

The PNGs are committed as assets; run this only when the design changes. The output is
deterministic, and a test checks that the committed files still match this script.

Design: a speech bubble with three dots (a chat bot), the same shape in both icons.

- ``color.png``  192x192 RGBA: a rounded square in the accent colour, a white bubble inside the
  120x120 safe area, three dots in the accent colour. Corners outside the rounded square are
  transparent.
- ``outline.png`` 32x32 RGBA: the white bubble on a transparent background, with the three dots
  cut out. Every pixel is white (RGB 255, 255, 255) at some alpha, or fully transparent, as
  Teams requires for outline icons.

Edges are anti-aliased by supersampling each pixel on an N x N grid.
"""

from __future__ import annotations

import sys
from pathlib import Path

from manifest.png import Pixel, write_rgba

HERE = Path(__file__).resolve().parent

# Keep in sync with "accentColor" in manifest.json (a test checks it).
ACCENT = (0x1F, 0x5F, 0xAD)
WHITE = (0xFF, 0xFF, 0xFF)

COLOR_SIZE = 192
OUTLINE_SIZE = 32
SUPERSAMPLE = 4

# The bubble, in units where its width is 1 and its top-left corner is (0, 0); y grows down.
BUBBLE_HEIGHT = 0.9  # body plus tail
BODY = (0.0, 0.0, 1.0, 0.62, 0.18)  # x0, y0, x1, y1, corner radius
TAIL = ((0.18, 0.55), (0.42, 0.55), (0.13, 0.9))
DOTS = tuple((x, 0.31, 0.075) for x in (0.27, 0.5, 0.73))  # cx, cy, r


def in_rounded_rect(x: float, y: float, x0: float, y0: float, x1: float, y1: float, r: float) -> bool:
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def in_triangle(x: float, y: float, a, b, c) -> bool:
    def side(p, q) -> float:
        return (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0])

    d1, d2, d3 = side(a, b), side(b, c), side(c, a)
    has_neg = d1 < 0 or d2 < 0 or d3 < 0
    has_pos = d1 > 0 or d2 > 0 or d3 > 0
    return not (has_neg and has_pos)


def in_circle(x: float, y: float, cx: float, cy: float, r: float) -> bool:
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def in_bubble(u: float, v: float) -> bool:
    return in_rounded_rect(u, v, *BODY) or in_triangle(u, v, *TAIL)


def in_dot(u: float, v: float) -> bool:
    return any(in_circle(u, v, cx, cy, r) for cx, cy, r in DOTS)


def _render(size: int, sample) -> list[Pixel]:
    """Average ``sample(x, y) -> (r, g, b, a)`` over a supersampling grid for every pixel.

    Colours are averaged premultiplied by alpha, so transparent samples do not darken edges.
    """
    n = SUPERSAMPLE
    offsets = [(i + 0.5) / n for i in range(n)]
    count = n * n
    pixels: list[Pixel] = []
    for py in range(size):
        for px in range(size):
            r_sum = g_sum = b_sum = a_sum = 0
            for oy in offsets:
                for ox in offsets:
                    r, g, b, a = sample(px + ox, py + oy)
                    r_sum += r * a
                    g_sum += g * a
                    b_sum += b * a
                    a_sum += a
            if a_sum == 0:
                pixels.append((255, 255, 255, 0))
                continue
            pixels.append(
                (
                    round(r_sum / a_sum),
                    round(g_sum / a_sum),
                    round(b_sum / a_sum),
                    round(a_sum / count),
                )
            )
    return pixels


def draw_color(size: int = COLOR_SIZE) -> list[Pixel]:
    scale = size * 116 / 192  # bubble width: inside the 120 px safe area of a 192 px icon
    left = (size - scale) / 2
    top = (size - BUBBLE_HEIGHT * scale) / 2
    corner = size * 40 / 192

    def sample(x: float, y: float) -> Pixel:
        if not in_rounded_rect(x, y, 0, 0, size, size, corner):
            return (0, 0, 0, 0)
        u, v = (x - left) / scale, (y - top) / scale
        if in_bubble(u, v) and not in_dot(u, v):
            return (*WHITE, 255)
        return (*ACCENT, 255)

    return _render(size, sample)


def draw_outline(size: int = OUTLINE_SIZE) -> list[Pixel]:
    scale = size - 2  # one pixel of margin left and right
    left = 1.0
    top = (size - BUBBLE_HEIGHT * scale) / 2

    def sample(x: float, y: float) -> Pixel:
        u, v = (x - left) / scale, (y - top) / scale
        if in_bubble(u, v) and not in_dot(u, v):
            return (*WHITE, 255)
        return (*WHITE, 0)

    return _render(size, sample)


def make_icons(out_dir: Path = HERE) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    color = write_rgba(out_dir / "color.png", COLOR_SIZE, COLOR_SIZE, draw_color())
    outline = write_rgba(out_dir / "outline.png", OUTLINE_SIZE, OUTLINE_SIZE, draw_outline())
    return color, outline


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else HERE
    for path in make_icons(out_dir):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
