"""A seat map as SVG: one circle per seat, coloured by what the seat is, with a legend.

Pure: :func:`render_seatmap` takes :class:`SeatDot` values (a position from Tessitura's
``XPosition``/``YPosition``, a label, a section and row, a state, a channel and a hover text) and
returns SVG text, fit to inline in an HTML page. The box office reads it in its own terms: each
row is labelled at its left, each section at its right, the stage is a band on the side of the
front rows (the rows called ``A``), and a seat in a bridge channel takes the channel's colour from
the hold-code table (a stable colour of its key when the table names none), each in the legend. Every seat appears exactly once: a seat without a usable position
(none, NaN or infinite) is drawn in a row below the map, under "no position", never dropped.
Positions are scaled to fit, whatever their range (huge coordinates included); the output does
not depend on the order of the input. Every text is escaped, and characters XML cannot carry
are replaced, so a label can never break the page.
"""

from __future__ import annotations

import math
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html import escape

from bridge.core.explain import PerformanceFacts, SeatFacts, SeatState

#: What a seat can be, in legend order: :class:`bridge.core.explain.SeatState`, the one
#: vocabulary of ``explain``, its JSON and the map; any other state string is drawn as ``unknown``.
STATES: tuple[str, ...] = tuple(state.value for state in SeatState)

#: Fill colour per state (chosen to stay apart for the common colour-vision deficiencies, with
#: conflict and unknown also told apart by their stroke).
COLOURS: Mapping[str, str] = {
    SeatState.FREE: "#4caf50",
    SeatState.CHANNEL: "#1e88e5",
    SeatState.STATUS: "#8e44ad",
    SeatState.NOT_FOR_SALE: "#8d8d8d",
    SeatState.SOLD: "#263238",
    SeatState.FOREIGN: "#f5a623",
    SeatState.CONFLICT: "#e53935",
    SeatState.UNKNOWN: "#ffffff",
}

#: What the legend says per state.
LEGEND: Mapping[str, str] = {
    SeatState.FREE: "free (on sale)",
    SeatState.CHANNEL: "held: in a bridge channel",
    SeatState.STATUS: "held: bridge status",
    SeatState.NOT_FOR_SALE: "held: not for sale",
    SeatState.SOLD: "sold online",
    SeatState.FOREIGN: "in another channel",
    SeatState.CONFLICT: "conflict",
    SeatState.UNKNOWN: "unmapped / unknown (kept)",
}

WIDTH = 800.0
_MARGIN = 16.0
_LEGEND_ROW = 22.0
_LEGEND_COLUMN = 250.0  # the longest legend text with a 4-digit count
_UNPLACED_GAP = 28.0
_ROW_LABEL_W = 26.0  # room left of the seats for a row's name
_SECTION_LABEL_W = 96.0  # room right of the seats for a section's name
_STAGE_H = 22.0
#: Colours for a channel the hold-code table gives none, picked by a hash of its key.
CHANNEL_PALETTE: tuple[str, ...] = (
    "#1e88e5",
    "#00897b",
    "#6d4c41",
    "#3949ab",
    "#c2185b",
    "#7cb342",
    "#5e35b1",
    "#0097a7",
)
#: The row name that says "front": the stage is on its side of the map.
FRONT_ROW = "A"


def channel_colour(key: str, given: str | None = None) -> str:
    """The colour a channel is drawn in: the hold-code table's (``#RRGGBB``), else a stable one
    of :data:`CHANNEL_PALETTE` picked by its key."""
    if given and re.fullmatch(r"#[0-9A-Fa-f]{6}", given):
        return given.lower()
    return CHANNEL_PALETTE[zlib.crc32(key.encode()) % len(CHANNEL_PALETTE)]


#: Characters XML 1.0 cannot carry (C0 controls but tab/newline/CR, surrogates, U+FFFE/FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class SeatDot:
    """One seat to draw. ``x``/``y`` are Tessitura's positions (y grows downwards), None when
    unknown; ``state`` one of :data:`STATES`; ``title`` the hover text (one or a few lines)."""

    label: str
    x: float | None
    y: float | None
    section: str = ""
    state: str = "unknown"
    title: str = ""
    row: str = ""
    #: the bridge channel a ``channel`` seat is in (its key), its name and colour
    channel: str = ""
    channel_name: str = ""
    channel_colour: str = ""

    @property
    def placed(self) -> bool:
        return _finite(self.x) and _finite(self.y)

    @property
    def drawn_state(self) -> str:
        return self.state if self.state in COLOURS else "unknown"

    @property
    def fill(self) -> str:
        """Its colour: its channel's for a seat in a bridge channel, else its state's."""
        if self.drawn_state == SeatState.CHANNEL and self.channel:
            return channel_colour(self.channel, self.channel_colour)
        return COLOURS[self.drawn_state]


def render_seatmap(seats: Iterable[SeatDot], *, width: float = WIDTH, title: str = "") -> str:
    """The SVG of ``seats``: a legend (with counts), the placed seats scaled into ``width``,
    then the seats without a position in rows below. Each seat is a ``<circle>`` with
    ``data-label``, ``data-section``, ``data-state`` and a ``<title>`` for hover."""
    dots = sorted(seats, key=_order)
    placed = [d for d in dots if d.placed]
    unplaced = [d for d in dots if not d.placed]
    inner = width - 2 * _MARGIN
    counts = Counter(d.drawn_state for d in dots)

    parts: list[str] = []
    # the legend: one row of swatches, wrapping; a state's, then each channel's (when named)
    channels = _channels(dots)
    named = sum(n for _, _, n in channels.values())
    # a channel's own entries replace the state's when they cover every seat in a channel
    legend_items = [
        s for s in STATES if counts[s] and not (s == SeatState.CHANNEL and named == counts[s])
    ] or ["unknown"]
    per_row = max(1, int(inner // _LEGEND_COLUMN))
    entries = [(f'data-state="{s}"', _paint(s), f"{LEGEND[s]} ({counts[s]})") for s in legend_items]
    entries += [
        (
            f'data-state="channel" data-channel="{_attr(key)}"',
            f'fill="{colour}"',
            f"channel {name} ({n})",
        )
        for key, (name, colour, n) in channels.items()
    ]
    for i, (data, paint, text) in enumerate(entries):
        lx = _MARGIN + (i % per_row) * _LEGEND_COLUMN
        ly = _MARGIN + (i // per_row) * _LEGEND_ROW
        cls = "legend-item channel" if "data-channel" in data else "legend-item"
        parts.append(
            f'<g class="{cls}" {data}>'
            f'<circle cx="{_n(lx + 7)}" cy="{_n(ly + 7)}" r="7" {paint}/>'
            f'<text x="{_n(lx + 20)}" y="{_n(ly + 12)}">{_text(text)}</text></g>'
        )
    top = _MARGIN + math.ceil(len(entries) / per_row) * _LEGEND_ROW + 8

    # the placed seats, scaled into the inner box (less the labels' room); the aspect ratio
    # kept within reason; the stage a band on the front rows' side
    height = 0.0
    stage = stage_side(placed)
    if stage == "top":
        parts.append(_stage(_MARGIN, top, inner))
        top += _STAGE_H + 6
    if placed:
        labelled = any(d.row for d in placed) or any(d.section for d in placed)
        left = _ROW_LABEL_W if any(d.row for d in placed) else 0.0
        right = _SECTION_LABEL_W if any(d.section for d in placed) else 0.0
        seats_w = inner - left - right if labelled and inner - left - right > inner / 2 else inner
        if seats_w == inner:
            left = right = 0.0
        xs = [float(d.x) for d in placed if d.x is not None]
        ys = [float(d.y) for d in placed if d.y is not None]
        x_lo, x_hi, y_lo, y_hi = min(xs), max(xs), min(ys), max(ys)
        x_span, y_span = _span(x_lo, x_hi), _span(y_lo, y_hi)
        aspect = 1.0 if x_span == 0 else min(1.5, max(0.2, y_span / x_span))
        if x_span == 0 and y_span == 0:
            aspect = 0.2
        height = seats_w * aspect
        radius = _radius(len(placed), seats_w, height)
        box_w, box_h = seats_w - 2 * radius, height - 2 * radius
        at: dict[int, tuple[float, float]] = {}
        for i, d in enumerate(placed):
            assert d.x is not None and d.y is not None
            cx = _MARGIN + left + radius + _unit(float(d.x), x_lo, x_hi) * box_w
            cy = top + radius + _unit(float(d.y), y_lo, y_hi) * box_h
            at[i] = (cx, cy)
            parts.append(_circle(d, cx, cy, radius))
        if left or right:
            parts += _labels(placed, at, radius, _MARGIN + left + seats_w + 6, bool(left))
    y = top + height
    if stage == "bottom":
        parts.append(_stage(_MARGIN, y + 6, inner))
        y += _STAGE_H + 6

    # the seats without a position, in rows below the map
    if unplaced:
        y += _UNPLACED_GAP
        parts.append(
            f'<text class="unplaced-title" x="{_n(_MARGIN)}" y="{_n(y)}">'
            f"No position in Tessitura ({len(unplaced)}):</text>"
        )
        step = 14.0
        per_line = max(1, int(inner // step))
        for i, d in enumerate(unplaced):
            cx = _MARGIN + 6 + (i % per_line) * step
            cy = y + 14 + (i // per_line) * step
            parts.append(_circle(d, cx, cy, 5.0, unplaced=True))
        y += 14 + math.ceil(len(unplaced) / per_line) * step
    total_h = y + _MARGIN
    label = title or f"Seat map: {len(dots)} seats"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="seatmap" role="img" '
        f'viewBox="0 0 {_n(width)} {_n(total_h)}" width="100%" '
        f'preserveAspectRatio="xMidYMin meet" aria-label="{_attr(label)}">'
        f"<title>{_text(label)}</title>"
        "<style>.seatmap text{font:12px system-ui,sans-serif;fill:#222}"
        ".seatmap circle.seat:hover{stroke:#000;stroke-width:2}</style>" + "".join(parts) + "</svg>"
    )


def stage_side(seats: Iterable[SeatDot]) -> str | None:
    """Where the stage is: ``top`` when the front rows (:data:`FRONT_ROW`) sit above the
    middle of the placed seats, ``bottom`` when below; None when no row is called that."""
    placed = [d for d in seats if d.placed]
    front = [float(d.y) for d in placed if d.row == FRONT_ROW and d.y is not None]
    if not front or len(placed) < 2:
        return None
    middle = sum(float(d.y) for d in placed if d.y is not None) / len(placed)
    mean = sum(front) / len(front)
    if mean == middle:
        return None
    return "top" if mean < middle else "bottom"


def _stage(x: float, y: float, w: float) -> str:
    return (
        f'<g class="stage"><rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(_STAGE_H)}" '
        f'rx="4" fill="#cfd8dc"/><text x="{_n(x + w / 2)}" y="{_n(y + 15)}" '
        'text-anchor="middle" font-weight="600" letter-spacing="4">STAGE</text></g>'
    )


def _labels(
    placed: list[SeatDot],
    at: Mapping[int, tuple[float, float]],
    radius: float,
    section_x: float,
    rows: bool,
) -> list[str]:
    """A label left of each row (section and row, once per place on the map) and one right of
    each section, at its rows' middle height."""
    by_row: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    by_section: dict[str, list[float]] = defaultdict(list)
    for i, d in enumerate(placed):
        if d.row:
            by_row[(d.section, d.row)].append(at[i])
        if d.section:
            by_section[d.section].append(at[i][1])
    size = min(11.0, max(6.0, radius * 2 + 2))
    out = []
    if rows:
        for (section, row), points in sorted(by_row.items()):
            x = min(p[0] for p in points) - radius - 3
            y = sum(p[1] for p in points) / len(points) + size / 3
            out.append(
                f'<text class="row-label" data-section="{_attr(section)}" data-row="{_attr(row)}" '
                f'x="{_n(x)}" y="{_n(y)}" text-anchor="end" font-size="{_n(size)}">'
                f"{_text(row)}</text>"
            )
    for section, ys in sorted(by_section.items()):
        lo, hi = min(ys), max(ys)
        out.append(
            f'<g class="section-label" data-section="{_attr(section)}">'
            f'<line x1="{_n(section_x)}" y1="{_n(lo)}" x2="{_n(section_x)}" y2="{_n(hi)}" '
            'stroke="#90a4ae" stroke-width="2"/>'
            f'<text x="{_n(section_x + 6)}" y="{_n((lo + hi) / 2 + 4)}" font-weight="600">'
            f"{_text(section[:14])}</text></g>"
        )
    return out


def _channels(dots: Iterable[SeatDot]) -> dict[str, tuple[str, str, int]]:
    """Channel key -> (name, colour, seats) of the seats drawn in a bridge channel, by key."""
    seen: dict[str, tuple[str, str, int]] = {}
    for d in dots:
        if d.drawn_state != SeatState.CHANNEL or not d.channel:
            continue
        name, colour, n = seen.get(d.channel, (d.channel_name or d.channel, d.fill, 0))
        seen[d.channel] = (name, colour, n + 1)
    return dict(sorted(seen.items()))


def _order(d: SeatDot) -> tuple[object, ...]:
    return (
        d.section,
        d.label,
        d.drawn_state,
        d.title,
        d.x if _finite(d.x) else math.inf,
        d.y if _finite(d.y) else math.inf,
        d.state,
        d.row,
        d.channel,
        d.channel_name,
        d.channel_colour,
    )


def _finite(v: float | None) -> bool:
    return v is not None and isinstance(v, int | float) and math.isfinite(v)


def _span(lo: float, hi: float) -> float:
    """``hi - lo`` without overflowing (halves first); 0 when they are equal."""
    return 2 * (hi / 2 - lo / 2)


def _unit(v: float, lo: float, hi: float) -> float:
    """Where ``v`` falls between ``lo`` and ``hi``, in [0, 1] (0.5 when they are equal)."""
    half = hi / 2 - lo / 2
    if half == 0:
        return 0.5
    return min(1.0, max(0.0, (v / 2 - lo / 2) / half))


def _radius(n: int, w: float, h: float) -> float:
    """A seat's radius: about a third of the spacing a regular grid of ``n`` seats would have."""
    spacing = math.sqrt(max(w * h, 1.0) / max(n, 1))
    return min(10.0, max(1.5, spacing * 0.35))


def _circle(d: SeatDot, cx: float, cy: float, r: float, *, unplaced: bool = False) -> str:
    state = d.drawn_state
    hover = d.title or d.label
    cls = "seat unplaced" if unplaced else "seat"
    paint = _paint(state, r) if d.fill == COLOURS[state] else f'fill="{d.fill}"'
    channel = f' data-channel="{_attr(d.channel)}"' if d.channel else ""
    return (
        f'<circle class="{cls}" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}" {paint} '
        f'data-state="{state}" data-label="{_attr(d.label)}" data-section="{_attr(d.section)}"'
        f"{channel}><title>{_text(hover)}</title></circle>"
    )


def _paint(state: str, r: float = 7.0) -> str:
    """A state's fill, and the strokes that tell states apart beyond colour: unknown dashed,
    conflict dark red, a bridge status ringed (a channel's colour from the venue's table may
    be close to the status colour)."""
    stroke = {
        "unknown": ' stroke="#555" stroke-dasharray="2 1"',
        "conflict": ' stroke="#7f0000"',
        "status": f' stroke="#ffffff" stroke-width="{_n(max(1.0, r * 0.45))}"',
    }
    return f'fill="{COLOURS[state]}"{stroke.get(state, "")}'


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _text(text: str) -> str:
    return escape(_clean(text), quote=False)


def _attr(text: str) -> str:
    # newlines and tabs in attributes are normalised to spaces by XML parsers: keep them as refs
    return (
        escape(_clean(text), quote=True)
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
        .replace("\t", "&#9;")
    )


def _n(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".") if math.isfinite(v) else "0"


def hover_text(seat: SeatFacts) -> str:
    """What ``seatbridge explain --seat`` says first, in a few lines: state, rule, holds,
    what seats.io should show and shows, whether the bridge owns it."""
    lines = [f"{seat.label or seat.seat_id}: {seat.state.value}", seat.rule]
    lines += [f"hold {h.mapping()}" for h in seat.holds]
    shows = str(seat.observed) if seat.observed is not None else "not read"
    lines.append(f"seats.io should show {seat.desired}; shows {shows}")
    lines.append("the bridge owns it (ledger)" if seat.owned else "not in the bridge's ledger")
    return "\n".join(lines)


def dots_of(facts: PerformanceFacts) -> list[SeatDot]:
    """The map's seats from :func:`bridge.core.explain.explain`'s facts."""
    return [_dot(f) for f in facts.seats]


def _dot(f: SeatFacts) -> SeatDot:
    """One seat's dot; a seat in a bridge channel names the channel its winning hold maps to
    (else what seats.io should show), with the hold-code row's name and colour."""
    key, name, colour = "", "", ""
    if f.state is SeatState.CHANNEL:
        rules = [h.rule for h in sorted(f.holds, key=lambda h: not h.wins) if h.rule is not None]
        channel_rules = [r for r in rules if r.action.value == "channel" and r.target]
        if f.desired.kind == "channel" and f.desired.target:
            key = f.desired.target
        elif f.observed is not None and f.observed.kind == "channel":
            key = f.observed.target
        elif channel_rules:
            key = channel_rules[0].target or ""
        same = [r for r in channel_rules if r.target == key]
        name = next((r.channel_name for r in same if r.channel_name), "") or ""
        colour = next((r.channel_color for r in same if r.channel_color), "") or ""
    return SeatDot(
        label=f.label or str(f.seat_id),
        x=f.x,
        y=f.y,
        section=f.section or "",
        state=f.state.value,
        title=hover_text(f),
        row=f.place.row if f.place else "",
        channel=key,
        channel_name=name,
        channel_colour=colour,
    )
