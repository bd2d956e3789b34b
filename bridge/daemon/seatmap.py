"""A seat map as SVG: one circle per seat, coloured by what the seat is, with a legend.

Pure: :func:`render_seatmap` takes :class:`SeatDot` values (a position from Tessitura's
``XPosition``/``YPosition``, a label, a section, a state and a hover text) and returns SVG text,
fit to inline in an HTML page. Every seat appears exactly once: a seat without a usable position
(none, NaN or infinite) is drawn in a row below the map, under "no position", never dropped.
Positions are scaled to fit, whatever their range (huge coordinates included); the output does
not depend on the order of the input. Every text is escaped, and characters XML cannot carry
are replaced, so a label can never break the page.
"""

from __future__ import annotations

import math
import re
from collections import Counter
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

    @property
    def placed(self) -> bool:
        return _finite(self.x) and _finite(self.y)

    @property
    def drawn_state(self) -> str:
        return self.state if self.state in COLOURS else "unknown"


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
    # the legend: one row of swatches, wrapping
    legend_items = [s for s in STATES if counts[s]] or ["unknown"]
    per_row = max(1, int(inner // _LEGEND_COLUMN))
    for i, state in enumerate(legend_items):
        lx = _MARGIN + (i % per_row) * _LEGEND_COLUMN
        ly = _MARGIN + (i // per_row) * _LEGEND_ROW
        parts.append(
            f'<g class="legend-item" data-state="{state}">'
            f'<circle cx="{_n(lx + 7)}" cy="{_n(ly + 7)}" r="7" {_paint(state)}/>'
            f'<text x="{_n(lx + 20)}" y="{_n(ly + 12)}">'
            f"{_text(LEGEND[state])} ({counts[state]})</text></g>"
        )
    top = _MARGIN + math.ceil(len(legend_items) / per_row) * _LEGEND_ROW + 8

    # the placed seats, scaled into the inner box; the aspect ratio kept within reason
    height = 0.0
    if placed:
        xs = [float(d.x) for d in placed if d.x is not None]
        ys = [float(d.y) for d in placed if d.y is not None]
        x_lo, x_hi, y_lo, y_hi = min(xs), max(xs), min(ys), max(ys)
        x_span, y_span = _span(x_lo, x_hi), _span(y_lo, y_hi)
        aspect = 1.0 if x_span == 0 else min(1.5, max(0.2, y_span / x_span))
        if x_span == 0 and y_span == 0:
            aspect = 0.2
        height = inner * aspect
        radius = _radius(len(placed), inner, height)
        box_w, box_h = inner - 2 * radius, height - 2 * radius
        for d in placed:
            assert d.x is not None and d.y is not None
            cx = _MARGIN + radius + _unit(float(d.x), x_lo, x_hi) * box_w
            cy = top + radius + _unit(float(d.y), y_lo, y_hi) * box_h
            parts.append(_circle(d, cx, cy, radius))
    y = top + height

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


def _order(d: SeatDot) -> tuple[object, ...]:
    return (
        d.section,
        d.label,
        d.drawn_state,
        d.title,
        d.x if _finite(d.x) else math.inf,
        d.y if _finite(d.y) else math.inf,
        d.state,
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
    return (
        f'<circle class="{cls}" cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}" {_paint(state)} '
        f'data-state="{state}" data-label="{_attr(d.label)}" data-section="{_attr(d.section)}">'
        f"<title>{_text(hover)}</title></circle>"
    )


def _paint(state: str) -> str:
    stroke = {"unknown": ' stroke="#555" stroke-dasharray="2 1"', "conflict": ' stroke="#7f0000"'}
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
    return [
        SeatDot(
            label=f.label or str(f.seat_id),
            x=f.x,
            y=f.y,
            section=f.section or "",
            state=f.state.value,
            title=hover_text(f),
        )
        for f in facts.seats
    ]
