"""Both emulators served on ephemeral loopback ports and a config file pointing at them: the
set-up shared by the CLI tests (tests/e2e/test_cli_*.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bridge.sandbox import Sandbox
from bridge.sandbox.serve import serve_in_thread
from bridge.store import open_store

REPO = Path(__file__).resolve().parents[2]


def sandbox_config(
    tmp_path: Path, tessitura: str, seatsio: str, *, floor: int | None = None
) -> Path:
    """config/sandbox.toml pointed at the served emulators and a store in ``tmp_path``; ``floor``
    replaces the mass-release floor."""
    text = (REPO / "config" / "sandbox.toml").read_text()
    text = text.replace("http://127.0.0.1:7801", tessitura).replace(
        "http://127.0.0.1:7802", seatsio
    )
    text = re.sub(
        r'"(\.\./mappings/[^"]+|sandbox-secrets/[^"]+)"',
        lambda m: f'"{REPO / "config" / m[1]}"',
        text,
    )
    text = text.replace(
        'path = "state/seatbridge.sqlite3"', f'path = "{tmp_path / "state.sqlite3"}"'
    )
    if floor is not None:
        text = text.replace("mass_release_floor = 50", f"mass_release_floor = {floor}")
    config = tmp_path / "bridge.toml"
    config.write_text(text)
    return config


@contextmanager
def served_sandbox(tmp_path: Path, *, floor: int | None = None) -> Iterator[tuple[Sandbox, Path]]:
    """A fresh sandbox on loopback for as long as the block lasts, and its config file."""
    box = Sandbox()
    with ExitStack() as stack:
        tessitura = stack.enter_context(serve_in_thread(box.tessitura_app))
        seatsio = stack.enter_context(serve_in_thread(box.seatsio_app))
        yield box, sandbox_config(tmp_path, tessitura, seatsio, floor=floor)


def store_path(config: Path) -> Path:
    """The state store a config from :func:`sandbox_config` points at."""
    return config.parent / "state.sqlite3"


def lease_count(config: Path) -> int:
    with open_store(store_path(config)) as store:
        return len(store.leases())


def _command(config: Path, args: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    """``python -m bridge ARGS --config CONFIG`` with no SEATBRIDGE_ variable of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEATBRIDGE_")}
    return [sys.executable, "-m", "bridge", *args, "--config", str(config)], env


def spawn(config: Path, *args: str) -> subprocess.Popen[str]:
    """The CLI as a child process, its output piped."""
    argv, env = _command(config, args)
    return subprocess.Popen(
        argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def run(config: Path, *args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
    """The CLI as a child process, to its end (``timeout_s`` guards against a hang)."""
    argv, env = _command(config, args)
    return subprocess.run(
        argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout_s
    )
