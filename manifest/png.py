"""A tiny PNG writer and reader using only the standard library (zlib + struct).

The writer produces 8-bit RGBA images (colour type 6), which is all ``make_icons.py`` needs.
The reader decodes the non-interlaced 8-bit PNGs an icon is likely to be saved as (greyscale,
RGB, palette, grey + alpha, RGBA; all five row filters), verifies chunk CRCs, and returns the
pixels as RGBA so callers can check them without Pillow. Teams' own validation does not look at
the icons, so ``package.py`` and the tests do it with this module.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# Colour types from the PNG specification, section 11.2.2.
GREYSCALE = 0
RGB = 2
PALETTE = 3
GREYSCALE_ALPHA = 4
RGBA = 6

_CHANNELS = {GREYSCALE: 1, RGB: 3, PALETTE: 1, GREYSCALE_ALPHA: 2, RGBA: 4}

Pixel = tuple[int, int, int, int]


class PngError(ValueError):
    """The bytes are not a PNG this module can read."""


@dataclass(frozen=True)
class PngHeader:
    width: int
    height: int
    bit_depth: int
    colour_type: int
    interlace: int

    @property
    def has_colour(self) -> bool:
        return self.colour_type in (RGB, PALETTE, RGBA)

    @property
    def has_alpha(self) -> bool:
        return self.colour_type in (GREYSCALE_ALPHA, RGBA)


@dataclass(frozen=True)
class PngImage:
    header: PngHeader
    pixels: tuple[Pixel, ...]  # row-major RGBA, len == width * height

    @property
    def width(self) -> int:
        return self.header.width

    @property
    def height(self) -> int:
        return self.header.height

    def pixel(self, x: int, y: int) -> Pixel:
        return self.pixels[y * self.header.width + x]


# --------------------------------------------------------------------------------------- writer


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def encode_rgba(width: int, height: int, pixels: Sequence[Pixel]) -> bytes:
    """PNG bytes for an 8-bit RGBA image; ``pixels`` is row-major, ``width * height`` long.

    The output is deterministic (no timestamps, fixed compression level), so regenerating an
    icon from the same drawing gives byte-identical files.
    """
    if width <= 0 or height <= 0:
        raise ValueError("width and height must be positive")
    if len(pixels) != width * height:
        raise ValueError(f"expected {width * height} pixels, got {len(pixels)}")
    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter type 0 (None) for every row
        for r, g, b, a in pixels[y * width : (y + 1) * width]:
            raw += bytes((r, g, b, a))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, RGBA, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + _chunk(b"IEND", b"")
    )


def write_rgba(path: Path, width: int, height: int, pixels: Sequence[Pixel]) -> Path:
    path.write_bytes(encode_rgba(width, height, pixels))
    return path


# --------------------------------------------------------------------------------------- reader


def _chunks(data: bytes):
    if not data.startswith(PNG_SIGNATURE):
        raise PngError("not a PNG file (bad signature)")
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(data):
            raise PngError(f"truncated {kind!r} chunk")
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise PngError(f"CRC mismatch in {kind!r} chunk")
        yield kind, body
        if kind == b"IEND":
            return
        pos += 12 + length
    raise PngError("missing IEND chunk")


def _parse_ihdr(body: bytes) -> PngHeader:
    if len(body) != 13:
        raise PngError("IHDR must be 13 bytes")
    width, height, depth, colour, _compression, _filter, interlace = struct.unpack(">IIBBBBB", body)
    if colour not in _CHANNELS:
        raise PngError(f"invalid colour type {colour}")
    return PngHeader(width, height, depth, colour, interlace)


def read_header(data: bytes) -> PngHeader:
    """The IHDR fields; IHDR must be the first chunk."""
    for kind, body in _chunks(data):
        if kind != b"IHDR":
            raise PngError("the first chunk is not IHDR")
        return _parse_ihdr(body)
    raise PngError("no chunks")  # pragma: no cover - _chunks raises first


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> list[bytearray]:
    stride = width * bpp
    if len(raw) != height * (stride + 1):
        raise PngError(f"image data is {len(raw)} bytes, expected {height * (stride + 1)}")
    rows: list[bytearray] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        ftype = raw[start]
        line = bytearray(raw[start + 1 : start + 1 + stride])
        if ftype == 0:
            pass
        elif ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                upper_left = prev[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + _paeth(left, prev[i], upper_left)) & 0xFF
        else:
            raise PngError(f"invalid filter type {ftype} in row {y}")
        rows.append(line)
        prev = line
    return rows


def decode(data: bytes) -> PngImage:
    """Decode an 8-bit, non-interlaced PNG into RGBA pixels."""
    header: PngHeader | None = None
    palette: list[tuple[int, int, int]] = []
    transparency = b""
    idat = bytearray()
    for kind, body in _chunks(data):
        if header is None:
            if kind != b"IHDR":
                raise PngError("the first chunk is not IHDR")
            header = _parse_ihdr(body)
        elif kind == b"PLTE":
            palette = [tuple(body[i : i + 3]) for i in range(0, len(body), 3)]  # type: ignore[misc]
        elif kind == b"tRNS":
            transparency = body
        elif kind == b"IDAT":
            idat += body
    if header is None:  # pragma: no cover - _chunks yields at least one chunk or raises
        raise PngError("no IHDR chunk")
    if header.bit_depth != 8:
        raise PngError(f"only 8-bit PNGs are supported (this one is {header.bit_depth}-bit)")
    if header.interlace != 0:
        raise PngError("interlaced PNGs are not supported")
    if header.colour_type == PALETTE and not palette:
        raise PngError("palette image without PLTE chunk")
    try:
        raw = zlib.decompress(bytes(idat))
    except zlib.error as exc:
        raise PngError(f"cannot inflate image data: {exc}") from exc

    bpp = _CHANNELS[header.colour_type]
    rows = _unfilter(raw, header.width, header.height, bpp)
    ct = header.colour_type
    pixels: list[Pixel] = []
    for line in rows:
        for x in range(header.width):
            s = line[x * bpp : (x + 1) * bpp]
            if ct == RGBA:
                pixels.append((s[0], s[1], s[2], s[3]))
            elif ct == RGB:
                opaque = len(transparency) != 6 or struct.unpack(">HHH", transparency) != tuple(s)
                pixels.append((s[0], s[1], s[2], 255 if opaque else 0))
            elif ct == GREYSCALE_ALPHA:
                pixels.append((s[0], s[0], s[0], s[1]))
            elif ct == GREYSCALE:
                opaque = len(transparency) != 2 or struct.unpack(">H", transparency)[0] != s[0]
                pixels.append((s[0], s[0], s[0], 255 if opaque else 0))
            else:  # PALETTE
                index = s[0]
                if index >= len(palette):
                    raise PngError(f"palette index {index} out of range")
                r, g, b = palette[index]
                alpha = transparency[index] if index < len(transparency) else 255
                pixels.append((r, g, b, alpha))
    return PngImage(header, tuple(pixels))


def read(path: Path) -> PngImage:
    return decode(Path(path).read_bytes())
