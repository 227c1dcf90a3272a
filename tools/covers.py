"""Deterministic SVG cover art for the book catalog.

Covers are generated rather than drawn so that the repository ships no third-party artwork
and a new book needs nothing but a catalog entry. Every random-looking choice is derived
from a SHA-256 of the book's id, so regenerating produces byte-identical files and the unit
tests can detect a cover that no longer matches its catalog entry.

Run after changing `functions/catalog/books.json`: `python -m tools.covers` (or `make covers`)
rewrites the covers that changed and removes those no book refers to.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

WIDTH = 300
HEIGHT = 450
# The motif owns the area above the panel; the title and author live on the panel.
PANEL_TOP = 276
TITLE_TOP = 294
TITLE_BOTTOM = 396
TEXT_WIDTH = 256
AUTHOR_BASELINE = 428

SERIF = "Georgia, 'Times New Roman', serif"
SANS = "'Helvetica Neue', Helvetica, Arial, sans-serif"

ID_PATTERN = re.compile(r"[a-z0-9-]{3,64}")

# Bumping this changes every cover at once; the seed otherwise only depends on the id.
_SEED_VERSION = "cover:v1:"


@dataclass(frozen=True)
class Palette:
    background: str
    panel: str
    ink: str  # text on the panel
    accents: tuple[str, str, str]


PALETTES: dict[str, Palette] = {
    "Science Fiction": Palette("#0b1d3a", "#06122a", "#f4f7fb", ("#3fc1c9", "#f5a623", "#8e7dff")),
    "Fantasy": Palette("#2d1b4e", "#1d1133", "#fbf3e0", ("#e0b354", "#7fb38f", "#b57bd6")),
    "Mystery": Palette("#1f1f22", "#111113", "#f2eee6", ("#b3202a", "#c98a2b", "#d9c7a0")),
    "History": Palette("#6b4329", "#3e2617", "#fff4df", ("#d9b26f", "#a8683b", "#f1e3c6")),
    "Science": Palette("#0f4c5c", "#08303a", "#effbf9", ("#5fd3bc", "#f3c969", "#e36414")),
    "Biography": Palette("#e9dcc9", "#fbf7f0", "#2b2b2b", ("#c0504d", "#2f4858", "#d9a441")),
    "Classics": Palette("#1f3b2d", "#142820", "#f5eedb", ("#c8a951", "#e8dcc0", "#6f8f72")),
    "Business": Palette("#f1ede4", "#ffffff", "#1d3557", ("#1d3557", "#e63946", "#457b9d")),
    "Poetry": Palette("#f6e4dc", "#fffaf7", "#3a2e39", ("#c96b7d", "#6c8ead", "#e0a96d")),
}
_FALLBACK_PALETTE = Palette("#44475a", "#2b2d3a", "#f8f8f2", ("#8be9fd", "#ffb86c", "#ff79c6"))


class _Dice:
    """A reproducible stream of choices derived from a SHA-256 of the seed.

    Python's `hash()` is salted per process and `random` is not guaranteed stable across
    versions, so neither can back byte-identical output.
    """

    def __init__(self, seed: str) -> None:
        self._seed = seed.encode("utf-8")
        self._counter = 0
        self._pool = b""

    def _take(self, n: int) -> bytes:
        while len(self._pool) < n:
            block = self._seed + self._counter.to_bytes(4, "big")
            self._pool += hashlib.sha256(block).digest()
            self._counter += 1
        chunk, self._pool = self._pool[:n], self._pool[n:]
        return chunk

    def between(self, low: int, high: int) -> int:
        """An integer in [low, high], both inclusive."""
        return low + int.from_bytes(self._take(4), "big") % (high - low + 1)

    def pick(self, options: Sequence[str]) -> str:
        return options[self.between(0, len(options) - 1)]


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


# --- motifs ---------------------------------------------------------------------------------
# Each motif draws inside the area above the panel (0..PANEL_TOP); shapes may run under the
# panel because the panel is painted on top of them.


def _stars(dice: _Dice, count: int, colour: str, bottom: int) -> list[str]:
    out = []
    for _ in range(count):
        x, y = dice.between(6, WIDTH - 6), dice.between(6, bottom)
        r = dice.pick(("0.6", "0.9", "1.2", "1.6"))
        opacity = dice.pick(("0.35", "0.55", "0.8"))
        out.append(f'<circle cx="{x}" cy="{y}" r="{r}" fill="{colour}" opacity="{opacity}"/>')
    return out


def _motif_orbits(dice: _Dice, p: Palette) -> list[str]:
    out = _stars(dice, 40, "#ffffff", PANEL_TOP)
    cx, cy = dice.between(80, 220), dice.between(100, 170)
    radius = dice.between(36, 52)
    for i, orbit in enumerate((radius + 26, radius + 52, radius + 80)):
        out.append(
            f'<circle cx="{cx}" cy="{cy}" r="{orbit}" fill="none" stroke="{p.accents[2]}" '
            f'stroke-width="1.2" opacity="{("0.7", "0.5", "0.3")[i]}"/>'
        )
        angle = dice.between(0, 359)
        moon = dice.between(3, 7)
        out.append(
            f'<circle cx="{cx + orbit}" cy="{cy}" r="{moon}" fill="{p.accents[1]}" '
            f'transform="rotate({angle} {cx} {cy})"/>'
        )
    out.append(f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="{p.accents[0]}"/>')
    out.append(
        f'<circle cx="{cx - radius // 3}" cy="{cy - radius // 3}" r="{radius // 2}" '
        f'fill="#ffffff" opacity="0.18"/>'
    )
    tilt = dice.between(-30, -10)
    out.append(
        f'<ellipse cx="{cx}" cy="{cy}" rx="{radius + 22}" ry="{radius // 4 + 4}" fill="none" '
        f'stroke="{p.accents[1]}" stroke-width="4" transform="rotate({tilt} {cx} {cy})"/>'
    )
    return out


def _ridge(dice: _Dice, base: int, low: int, high: int) -> str:
    points = [f"0,{PANEL_TOP + 10}", f"0,{base}"]
    x = 0
    while x < WIDTH:
        step = dice.between(56, 100)
        points.append(f"{x + step // 2 + dice.between(-8, 8)},{dice.between(low, high)}")
        x = min(WIDTH, x + step)
        points.append(f"{x},{base + dice.between(-10, 10)}")
    points.append(f"{WIDTH},{PANEL_TOP + 10}")
    return " ".join(points)


def _motif_peaks(dice: _Dice, p: Palette) -> list[str]:
    out = _stars(dice, 26, "#ffffff", 150)
    mx, my = dice.between(60, 240), dice.between(50, 90)
    out.append(f'<circle cx="{mx}" cy="{my}" r="30" fill="{p.accents[0]}" opacity="0.95"/>')
    out.append(f'<circle cx="{mx}" cy="{my}" r="44" fill="{p.accents[0]}" opacity="0.15"/>')
    layers = ((200, 110, 170, p.accents[2], "0.55"), (235, 150, 205, p.accents[1], "0.7"))
    for base, low, high, colour, opacity in layers:
        out.append(
            f'<polygon points="{_ridge(dice, base, low, high)}" fill="{colour}" '
            f'opacity="{opacity}"/>'
        )
    out.append(f'<polygon points="{_ridge(dice, 262, 205, 240)}" fill="{p.panel}"/>')
    return out


def _motif_blinds(dice: _Dice, p: Palette) -> list[str]:
    cx, cy = dice.between(90, 210), dice.between(100, 150)
    out = [f'<circle cx="{cx}" cy="{cy}" r="{dice.between(62, 82)}" fill="{p.accents[0]}"/>']
    gap = dice.between(14, 20)
    for y in range(24, PANEL_TOP, gap):
        out.append(
            f'<rect x="0" y="{y}" width="{WIDTH}" height="{gap // 2}" fill="{p.background}" '
            f'opacity="0.85"/>'
        )
    slant = dice.between(-70, 70)
    out.append(
        f'<polygon points="{WIDTH // 2 + slant - 40},0 {WIDTH // 2 + slant + 40},0 '
        f'{WIDTH + 40},{PANEL_TOP} {WIDTH - 120},{PANEL_TOP}" fill="{p.accents[2]}" '
        f'opacity="0.12"/>'
    )
    lx, ly = dice.between(50, 250), dice.between(170, 220)
    out.append(
        f'<circle cx="{lx}" cy="{ly}" r="22" fill="none" stroke="{p.accents[2]}" stroke-width="5"/>'
    )
    out.append(
        f'<line x1="{lx + 16}" y1="{ly + 16}" x2="{lx + 40}" y2="{ly + 40}" '
        f'stroke="{p.accents[2]}" stroke-width="7" stroke-linecap="round"/>'
    )
    return out


def _motif_temple(dice: _Dice, p: Palette) -> list[str]:
    out = [
        f'<circle cx="{WIDTH // 2}" cy="{dice.between(110, 140)}" r="{dice.between(86, 104)}" '
        f'fill="{p.accents[1]}" opacity="0.55"/>'
    ]
    columns = dice.between(3, 7)
    left, right = 46, WIDTH - 46
    top, bottom = 132, 246
    out.append(
        f'<polygon points="{left - 14},{top - 6} {WIDTH // 2},{top - 58} {right + 14},{top - 6}" '
        f'fill="{p.accents[0]}"/>'
    )
    out.append(
        f'<rect x="{left - 14}" y="{top - 6}" width="{right - left + 28}" height="14" '
        f'fill="{p.accents[2]}"/>'
    )
    step = (right - left) // (columns - 1)
    for i in range(columns):
        x = left + i * step
        out.append(
            f'<rect x="{x - 9}" y="{top + 8}" width="18" height="{bottom - top - 8}" '
            f'fill="{p.accents[2]}" opacity="0.92"/>'
        )
    for y, inset in ((bottom, 18), (bottom + 10, 6)):
        out.append(
            f'<rect x="{left - inset}" y="{y}" width="{right - left + 2 * inset}" height="10" '
            f'fill="{p.accents[0]}"/>'
        )
    return out


def _hexagon(cx: int, cy: int, r: int) -> str:
    # Integer approximation of a flat-topped hexagon keeps the output platform-independent.
    h = r * 866 // 1000
    return (
        f"{cx - r},{cy} {cx - r // 2},{cy - h} {cx + r // 2},{cy - h} "
        f"{cx + r},{cy} {cx + r // 2},{cy + h} {cx - r // 2},{cy + h}"
    )


def _motif_molecule(dice: _Dice, p: Palette) -> list[str]:
    out = []
    for _ in range(5):
        out.append(
            f'<polygon points="{_hexagon(dice.between(20, 280), dice.between(20, 250), 24)}" '
            f'fill="none" stroke="{p.accents[0]}" stroke-width="1.5" opacity="0.3"/>'
        )
    nodes: list[tuple[int, int]] = []
    for _ in range(dice.between(7, 10)):
        nodes.append((dice.between(40, 260), dice.between(40, 240)))
    for i, (x, y) in enumerate(nodes[1:], start=1):
        # Joining each atom to its nearest predecessor always yields one connected molecule.
        nx, ny = min(nodes[:i], key=lambda n: (n[0] - x) ** 2 + (n[1] - y) ** 2)
        out.append(
            f'<line x1="{nx}" y1="{ny}" x2="{x}" y2="{y}" stroke="{p.accents[0]}" '
            f'stroke-width="4" stroke-linecap="round"/>'
        )
    for x, y in nodes:
        colour = dice.pick(p.accents)
        out.append(f'<circle cx="{x}" cy="{y}" r="{dice.between(9, 17)}" fill="{colour}"/>')
        out.append(f'<circle cx="{x - 3}" cy="{y - 3}" r="3" fill="#ffffff" opacity="0.5"/>')
    return out


def _motif_portrait(dice: _Dice, p: Palette) -> list[str]:
    cx, cy = WIDTH // 2, 150
    out = []
    for i in range(dice.between(3, 5)):
        out.append(
            f'<circle cx="{cx}" cy="{cy}" r="{120 - i * 14}" fill="none" '
            f'stroke="{p.accents[2]}" stroke-width="2" opacity="{0.8 - i * 0.12:.2f}"/>'
        )
    out.append(f'<circle cx="{cx}" cy="{cy}" r="88" fill="{p.accents[0]}"/>')
    head = dice.between(28, 34)
    head_y = cy - 24 + dice.between(-4, 4)
    out.append(
        f'<path d="M{cx - 62},{cy + 88} C{cx - 60},{cy + 26} {cx + 60},{cy + 26} '
        f'{cx + 62},{cy + 88} Z" fill="{p.accents[1]}"/>'
    )
    out.append(f'<circle cx="{cx}" cy="{head_y}" r="{head}" fill="{p.accents[1]}"/>')
    for _ in range(18):
        x, y = dice.between(10, 290), dice.between(10, 260)
        out.append(f'<circle cx="{x}" cy="{y}" r="2" fill="{p.accents[2]}" opacity="0.6"/>')
    return out


def _motif_rosette(dice: _Dice, p: Palette) -> list[str]:
    out = [
        f'<rect x="14" y="14" width="{WIDTH - 28}" height="{PANEL_TOP - 26}" fill="none" '
        f'stroke="{p.accents[0]}" stroke-width="3"/>',
        f'<rect x="22" y="22" width="{WIDTH - 44}" height="{PANEL_TOP - 42}" fill="none" '
        f'stroke="{p.accents[0]}" stroke-width="1"/>',
    ]
    cx, cy = WIDTH // 2, 146
    petals = dice.pick(("6", "8", "10", "12"))
    length = dice.between(62, 78)
    for i in range(int(petals)):
        angle = 360 * i // int(petals)
        out.append(
            f'<ellipse cx="{cx}" cy="{cy - length // 2}" rx="{dice.between(13, 18)}" '
            f'ry="{length // 2}" fill="{p.accents[0]}" opacity="0.8" '
            f'transform="rotate({angle} {cx} {cy})"/>'
        )
    out.append(f'<circle cx="{cx}" cy="{cy}" r="{length // 3}" fill="{p.accents[1]}"/>')
    out.append(f'<circle cx="{cx}" cy="{cy}" r="{length // 6}" fill="{p.accents[2]}"/>')
    for corner_x, corner_y in ((40, 40), (WIDTH - 40, 40), (40, 236), (WIDTH - 40, 236)):
        out.append(
            f'<polygon points="{corner_x},{corner_y - 8} {corner_x + 8},{corner_y} '
            f'{corner_x},{corner_y + 8} {corner_x - 8},{corner_y}" fill="{p.accents[0]}"/>'
        )
    return out


def _motif_chart(dice: _Dice, p: Palette) -> list[str]:
    out = []
    for y in range(70, 250, 30):
        out.append(
            f'<line x1="28" y1="{y}" x2="{WIDTH - 28}" y2="{y}" stroke="{p.accents[2]}" '
            f'stroke-width="1" opacity="0.3"/>'
        )
    bars = dice.between(5, 7)
    width = (WIDTH - 56) // bars
    height = dice.between(30, 60)
    tops: list[tuple[int, int]] = []
    for i in range(bars):
        height = min(190, height + dice.between(8, 34))
        x = 28 + i * width
        colour = p.accents[1] if i == bars - 1 else p.accents[2]
        out.append(
            f'<rect x="{x + 4}" y="{250 - height}" width="{width - 8}" height="{height}" '
            f'fill="{colour}" opacity="0.85"/>'
        )
        tops.append((x + width // 2, 250 - height - 18))
    line = " ".join(f"{x},{y}" for x, y in tops)
    out.append(
        f'<polyline points="{line}" fill="none" stroke="{p.accents[0]}" stroke-width="3" '
        f'stroke-linejoin="round"/>'
    )
    for x, y in tops:
        out.append(f'<circle cx="{x}" cy="{y}" r="4.5" fill="{p.accents[0]}"/>')
    return out


def _motif_waves(dice: _Dice, p: Palette) -> list[str]:
    sx, sy = dice.between(70, 230), dice.between(70, 110)
    out = [f'<circle cx="{sx}" cy="{sy}" r="{dice.between(34, 46)}" fill="{p.accents[2]}"/>']
    for i, base in enumerate(range(150, 290, 28)):
        amplitude = dice.between(10, 22)
        period = dice.between(70, 110)
        phase = dice.between(0, period)
        d = [f"M{-phase},{base}"]
        x = -phase
        up = True
        while x < WIDTH + period:
            dy = -amplitude if up else amplitude
            d.append(f"q{period // 4},{dy} {period // 2},0")
            x += period // 2
            up = not up
        d.append(f"V{PANEL_TOP + 10} H{-phase} Z")
        colour = p.accents[i % 2]
        opacity = ("0.35", "0.45", "0.55", "0.7", "0.85")[i % 5]
        out.append(f'<path d="{" ".join(d)}" fill="{colour}" opacity="{opacity}"/>')
    return out


_Motif = Callable[[_Dice, Palette], list[str]]
MOTIFS: dict[str, _Motif] = {
    "Science Fiction": _motif_orbits,
    "Fantasy": _motif_peaks,
    "Mystery": _motif_blinds,
    "History": _motif_temple,
    "Science": _motif_molecule,
    "Biography": _motif_portrait,
    "Classics": _motif_rosette,
    "Business": _motif_chart,
    "Poetry": _motif_waves,
}
_FALLBACK_MOTIFS: tuple[_Motif, ...] = tuple(MOTIFS.values())


# --- text layout ----------------------------------------------------------------------------
# There is no font engine at generation time, so widths are estimated from rough per-glyph
# advances of a bold serif (in ems). Erring wide keeps long titles inside the cover.

_NARROW = set("iljtfrI.,;:'!|()[]- ")
_WIDE = set("mwMW@%&")


def _text_width(text: str, size: int) -> float:
    ems = 0.0
    for ch in text:
        if ch in _NARROW:
            ems += 0.34
        elif ch in _WIDE:
            ems += 0.9
        elif ch.isupper() or ch.isdigit():
            ems += 0.7
        else:
            ems += 0.56
    return ems * size


def _break_word(word: str, size: int, limit: int) -> list[str]:
    pieces, current = [], ""
    for ch in word:
        if current and _text_width(current + ch + "-", size) > limit:
            pieces.append(current + "-")
            current = ""
        current += ch
    return [*pieces, current]


def _wrap(text: str, size: int, limit: int) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if _text_width(candidate, size) <= limit:
            current = candidate
            continue
        if current:
            lines.append(current)
        if _text_width(word, size) <= limit:
            current = word
        else:
            *head, current = _break_word(word, size, limit)
            lines.extend(head)
    if current:
        lines.append(current)
    return lines


def _fit_title(title: str) -> tuple[int, list[str]]:
    """Largest font size (and its lines) at which the title fits the title box."""
    height = TITLE_BOTTOM - TITLE_TOP
    for size in (32, 29, 26, 23, 20, 18, 16):
        lines = _wrap(title, size, TEXT_WIDTH)
        if len(lines) * _line_height(size) <= height:
            return size, lines
    size = 16
    keep = height // _line_height(size)
    lines = _wrap(title, size, TEXT_WIDTH)
    return size, [*lines[: keep - 1], _ellipsize(lines[keep - 1], size, TEXT_WIDTH)]


def _line_height(size: int) -> int:
    return size * 6 // 5


def _ellipsize(text: str, size: int, limit: int) -> str:
    if _text_width(text + "…", size) <= limit:
        return text + "…"
    while text and _text_width(text + "…", size) > limit:
        text = text[:-1]
    return text.rstrip() + "…"


def _fit_line(text: str, sizes: Sequence[int]) -> tuple[int, str]:
    for size in sizes:
        if _text_width(text, size) <= TEXT_WIDTH:
            return size, text
    return sizes[-1], _ellipsize(text, sizes[-1], TEXT_WIDTH)


# --- rendering ------------------------------------------------------------------------------


def render_cover(book: Mapping[str, Any]) -> str:
    """The SVG cover of one catalog entry; the same entry always yields the same bytes."""
    book_id = str(book["id"])
    title = " ".join(str(book["title"]).split())
    author = " ".join(str(book["author"]).split())
    category = str(book["category"])

    dice = _Dice(_SEED_VERSION + book_id)
    base = PALETTES.get(category, _FALLBACK_PALETTE)
    # Rotating the accents gives books of one category distinct covers that still match.
    turn = dice.between(0, 2)
    a = base.accents
    palette = replace(base, accents=(a[turn], a[(turn + 1) % 3], a[(turn + 2) % 3]))
    motif = MOTIFS.get(category) or _FALLBACK_MOTIFS[dice.between(0, len(_FALLBACK_MOTIFS) - 1)]

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img">',
        f"<title>{escape(f'{title} by {author}')}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="{palette.background}"/>',
        "<g>",
        *motif(dice, palette),
        "</g>",
        f'<rect x="0" y="{PANEL_TOP}" width="{WIDTH}" height="{HEIGHT - PANEL_TOP}" '
        f'fill="{palette.panel}"/>',
        f'<rect x="0" y="{PANEL_TOP}" width="{WIDTH}" height="4" fill="{palette.accents[0]}"/>',
    ]

    size, lines = _fit_title(title)
    line_height = _line_height(size)
    block = len(lines) * line_height
    # Centre the block in the title box; the first baseline sits about 0.8 em below its top.
    baseline = TITLE_TOP + (TITLE_BOTTOM - TITLE_TOP - block) // 2 + size * 4 // 5
    parts.append(
        f'<text x="{WIDTH // 2}" text-anchor="middle" font-family="{_attr(SERIF)}" '
        f'font-size="{size}" font-weight="bold" fill="{palette.ink}">'
    )
    for i, line in enumerate(lines):
        parts.append(
            f'<tspan x="{WIDTH // 2}" y="{baseline + i * line_height}">{escape(line)}</tspan>'
        )
    parts.append("</text>")

    author_size, author_line = _fit_line(author, (16, 14, 12))
    parts.append(
        f'<text x="{WIDTH // 2}" y="{AUTHOR_BASELINE}" text-anchor="middle" '
        f'font-family="{_attr(SANS)}" font-size="{author_size}" letter-spacing="1" '
        f'fill="{palette.ink}" opacity="0.85">{escape(author_line)}</text>'
    )
    label_size, label = _fit_line(category.upper(), (9,))
    parts.append(
        f'<text x="{WIDTH // 2}" y="{HEIGHT - 8}" text-anchor="middle" '
        f'font-family="{_attr(SANS)}" font-size="{label_size}" letter-spacing="3" '
        f'fill="{palette.ink}" opacity="0.5">{escape(label)}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


# --- files and command ----------------------------------------------------------------------


def load_catalog(catalog_path: Path | str) -> list[dict[str, Any]]:
    """The catalog's books, after checking what the cover files depend on."""
    data = json.loads(Path(catalog_path).read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{catalog_path}: expected a JSON array of books")
    books: list[dict[str, Any]] = []
    for index, book in enumerate(data):
        if not isinstance(book, dict):
            raise ValueError(f"{catalog_path}: entry {index} is not an object")
        book_id = book.get("id")
        # The id becomes a file name, so anything but a slug could escape the output folder.
        if not isinstance(book_id, str) or not ID_PATTERN.fullmatch(book_id):
            raise ValueError(f"{catalog_path}: entry {index} has an invalid id {book_id!r}")
        if book.get("cover") != f"/covers/{book_id}.svg":
            raise ValueError(f"{catalog_path}: {book_id}: cover must be /covers/{book_id}.svg")
        books.append(book)
    return books


def write_covers(catalog_path: Path | str, out_dir: Path | str) -> int:
    """Write every book's cover into `out_dir`; returns how many covers there are."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    books = load_catalog(catalog_path)
    for book in books:
        target = out / f"{book['id']}.svg"
        data = render_cover(book).encode("utf-8")
        # Leaving identical files untouched keeps their mtimes, so make-style tools stay quiet.
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
    return len(books)


def remove_stale_covers(catalog_path: Path | str, out_dir: Path | str) -> list[Path]:
    """Delete SVGs in `out_dir` that no book refers to; returns what was removed."""
    wanted = {f"{book['id']}.svg" for book in load_catalog(catalog_path)}
    stale = sorted(p for p in Path(out_dir).glob("*.svg") if p.name not in wanted)
    for path in stale:
        path.unlink()
    return stale


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.covers", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--catalog",
        type=Path,
        default=Path("functions/catalog/books.json"),
        help="catalog JSON file (default: %(default)s)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("functions/catalog/covers"),
        help="folder the SVG covers are written to (default: %(default)s)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    catalog: Path = args.catalog
    out: Path = args.out
    try:
        count = write_covers(catalog, out)
        stale = remove_stale_covers(catalog, out)
    except (OSError, ValueError) as exc:
        print(f"covers: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {count} covers to {out}")
    for path in stale:
        print(f"removed stale {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
