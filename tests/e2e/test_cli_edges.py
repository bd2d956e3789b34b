"""CLI edges found on the way (issue 25): a selection that is neither or both is a usage error;
a summary never says "matches" above a conflict; a reader that leaves early (`| head -1`) is no
error; a port in use is one line and exit 1; exit 75 is documented where the others are."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from rich.console import Console

from bridge.cli import main
from bridge.commands.render import print_plan
from bridge.core.findings import Finding, FindingKind
from bridge.core.plan_model import Plan
from bridge.testing.sandbox import CHECKOUT, SANDBOX_CONFIG, sandbox_config

README = (CHECKOUT / "README.md").read_text(encoding="utf-8")


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={})


def one_line(result: Result) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ["plan"],
        ["plan", "--all", "--performance", "201"],
        ["reconcile"],
        ["reconcile", "--all", "--performance", "201"],
    ],
)
def test_neither_or_both_of_performance_and_all_is_a_usage_error(args: list[str]) -> None:
    result = invoke(*args, "--config", str(SANDBOX_CONFIG))
    assert result.exit_code == 64
    assert one_line(result) == "Error: give --performance ID (repeatable) or --all, not both"


def test_an_empty_plan_with_a_conflict_never_says_it_matches() -> None:
    conflict = Finding(FindingKind.CONFLICT, 203, "perf-203", "Orchestra-A-5", detail="sold")
    console = Console(record=True, width=120)
    print_plan(console, Plan(operations=(), findings=(conflict,)))
    text = console.export_text()
    assert "matches" not in text and "Nothing to do" not in text
    assert text.startswith("No changes to make, but seats.io does not match Tessitura: 1 conflict")
    clean = Console(record=True, width=120)
    print_plan(clean, Plan(operations=(), findings=()))
    assert clean.export_text().startswith("Nothing to do: seats.io matches Tessitura.")


def _reader_gone(*args: str) -> tuple[int, str]:
    """The CLI with its stdout's reader gone before it writes (as `| head -1` once it has its
    line): its exit code and stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEATBRIDGE_")}
    env["PYTHONPATH"] = str(CHECKOUT)
    read, write = os.pipe()
    os.close(read)  # the reader left: every write to the pipe is EPIPE
    try:
        done = subprocess.run(
            [sys.executable, "-m", "bridge", *args],
            cwd=CHECKOUT,
            env=env,
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write)
    return done.returncode, done.stderr


def test_the_demo_piped_into_a_reader_that_leaves_exits_0_quietly() -> None:
    code, err = _reader_gone("demo")
    assert (code, err) == (0, "")


def test_status_piped_into_a_reader_that_leaves_exits_0_quietly(tmp_path: Path) -> None:
    config = sandbox_config(tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9")
    code, err = _reader_gone("status", "--config", str(config))
    assert (code, err) == (0, "")


def test_the_usage_error_still_counts_when_the_reader_left() -> None:
    code, err = _reader_gone("plan", "--config", str(SANDBOX_CONFIG))
    assert code == 64 and "Traceback" not in err


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_sandbox_serve_on_a_port_in_use_is_one_line_and_exit_1(busy_port: int) -> None:
    result = invoke("sandbox", "serve", "--tessitura-port", "0", "--seatsio-port", str(busy_port))
    assert result.exit_code == 1
    assert one_line(result) == (
        f"Error: --seatsio-port {busy_port}: cannot listen on 127.0.0.1: Address already in use"
    )
    assert result.stdout == ""  # nothing printed as if it served


def test_demo_live_on_a_port_in_use_is_one_line_and_exit_1(busy_port: int) -> None:
    result = invoke("demo", "--live", "--port", str(busy_port), "--config", str(SANDBOX_CONFIG))
    assert result.exit_code == 1
    assert one_line(result) == (
        f"error: --port {busy_port}: cannot listen on 127.0.0.1: Address already in use"
    )
    assert result.stdout == ""


def test_exit_75_is_in_every_exit_code_table() -> None:
    assert "| 75 | try again later (EX_TEMPFAIL)" in README
    assert "75 `--no-standby` and another daemon active" in README
    assert "75  run --no-standby" in invoke("--help").output
    assert "75  --no-standby and another daemon is active" in invoke("run", "--help").output
