"""Text from either vendor never reaches the terminal raw: a hold-code description, a performance
name or an error quoting a vendor's body that carries escape sequences (``ESC[2J ESC[H`` clears
the screen and homes the cursor; 0x9b is a one-byte CSI) shows them as ``\\u001b`` in `explain`,
`status` and `seasons sync`, and the --json outputs stay valid JSON holding the text as it was.

Every command writes through :mod:`bridge.commands.render` (``echo``, ``terminal``), which passes
all text through :func:`bridge.redact.printable`; the last test keeps it the only door."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bridge.cli import main
from bridge.commands.render import terminal
from bridge.redact import printable
from bridge.sandbox import Sandbox
from bridge.sandbox.control import Override
from bridge.store import open_store
from bridge.store.base import PerformanceStatus, SyncOutcome
from bridge.testing.sandbox import served_sandbox, store_path

HOSTILE = "\x1b[2J\x1b[H\x9b31mGONE\x07\x08\r"
#: Anything a terminal acts on: C0 but tab and newline, DEL, C1.
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    with served_sandbox(tmp_path, floor=0) as both:
        yield both


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    with served_sandbox(tmp_path, seatsio_empty=True) as both:
        yield both


def invoke(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "--config", str(config)], env={"COLUMNS": "100"})


def shown_escaped(out: str) -> None:
    assert RAW.search(out) is None, repr(out)
    assert "\\u001b[2J\\u001b[H\\u009b31mGONE" in "".join(out.split()), out


def test_printable_escapes_what_moves_a_cursor_and_keeps_newlines_and_tabs() -> None:
    assert printable("a\tb\nc") == "a\tb\nc"
    assert printable("x" + HOSTILE) == ("x\\u001b[2J\\u001b[H\\u009b31mGONE\\u0007\\u0008\\u000d")
    assert RAW.search(printable("".join(map(chr, range(0xA0))))) is None


def test_a_hold_code_description_with_escapes_is_shown_escaped_in_explain(
    served: tuple[Sandbox, Path],
) -> None:
    box, config = served
    box.tessitura_control.add_override(
        Override(r"HoldCodes/1$", {"Description": f"House{HOSTILE}"})
    )
    result = invoke(config, "explain", "--performance", "201", "--seat", "Orchestra-A-5")
    assert result.exit_code == 0, result.output
    assert "held by code 1 (House" in result.stdout
    shown_escaped(result.stdout)

    as_json = invoke(config, "explain", "--performance", "201", "--seat", "Orchestra-A-5", "--json")
    (seat,) = json.loads(as_json.stdout)["seats"]  # valid JSON, the text as Tessitura gave it
    descriptions = {h["description"] for h in seat["holds"]}
    assert f"House{HOSTILE}".rstrip() in descriptions  # (Tessitura text is read stripped)
    assert RAW.search(as_json.stdout) is None


def test_a_last_error_quoting_a_vendor_body_is_shown_escaped_in_status(
    served: tuple[Sandbox, Path],
) -> None:
    _, config = served
    error = f"performance 203: cannot read holds: tessitura HTTP 400: {HOSTILE}"
    with open_store(store_path(config)) as store:
        store.set_performance_status(
            PerformanceStatus(
                performance_id=203,
                last_sync=datetime(2026, 11, 21, 19, 30, 5, tzinfo=UTC),
                outcome=SyncOutcome.ERROR,
                event_key="perf-203",
                errors=1,
                last_error=error,
            )
        )
    result = invoke(config, "status")
    assert result.exit_code == 0, result.output
    shown_escaped(result.stdout)
    rows = json.loads(invoke(config, "status", "--json").stdout)
    assert rows[0]["last_error"] == error


def test_a_performance_name_with_escapes_is_shown_escaped_by_seasons_sync(
    empty: tuple[Sandbox, Path],
) -> None:
    box, config = empty
    box.tessitura_control.add_override(
        Override(r"Performances/Search$", {"PerformanceDescription": f"Gala{HOSTILE}"})
    )
    result = invoke(config, "seasons", "sync", "--dry-run")
    assert result.exit_code == 2, result.output
    shown_escaped(result.stdout)
    as_json = invoke(config, "seasons", "sync", "--dry-run", "--json")
    # valid JSON (written with ensure_ascii=False: the escapes are JSON's own \\u form)
    assert f"Gala{HOSTILE}".rstrip() in strings(json.loads(as_json.stdout))


def strings(data: object) -> set[str]:
    """Every string value in decoded JSON."""
    if isinstance(data, dict):
        return set().union(*map(strings, data.values())) if data else set()
    if isinstance(data, list):
        return set().union(*map(strings, data)) if data else set()
    return {data} if isinstance(data, str) else set()


def test_a_rich_console_prints_vendor_text_escaped_and_keeps_its_own_colours() -> None:
    console = terminal(force_terminal=True, color_system="standard", width=80)
    with console.capture() as captured:
        console.print(f"[red]error[/red] {HOSTILE}", highlight=False)
    out = captured.get()
    assert "\x1b[31merror" in out  # rich's own colour
    assert "\\u001b[2J" in out and "\x1b[2J" not in out and "\x9b" not in out


def test_every_command_writes_through_the_render_layer() -> None:
    """No print path around :func:`printable`: commands use render's ``echo`` and ``terminal``."""
    offenders = []
    for path in [CHECKOUT / "bridge" / "cli.py", *(CHECKOUT / "bridge" / "commands").glob("*.py")]:
        if path.name in ("render.py", "pipes.py"):  # the door, and the console class it builds on
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(
                r"click\.echo\(|click\.secho\(|(?<![\w.])print\(|(?<![\w.])Console\(|"
                r"sys\.(stdout|stderr)\.write",
                line,
            ):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert offenders == []


def test_a_finding_detail_is_text_never_rich_markup_or_raw_escapes() -> None:
    from bridge.commands.render import findings_table
    from bridge.core.findings import Finding, FindingKind

    finding = Finding(
        FindingKind.UNMAPPED_PERFORMANCE,
        performance_id=201,
        detail=f"[link=https://evil.test]click[/link] [conceal]hidden[/conceal]{HOSTILE}",
    )
    console = terminal(force_terminal=True, color_system="standard", width=200)
    with console.capture() as captured:
        console.print(findings_table([finding]))
    out = captured.get()
    assert "\x1b]8;" not in out and "\x1b[8m" not in out  # no hyperlink, nothing concealed
    assert "[link=https://evil.test]click[/link]" in out and "\\u001b[2J" in out
    assert "\x9b" not in out and "\x07" not in out
