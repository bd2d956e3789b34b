"""The sandbox for tests: the sample venue on a fixed day, the fake Tessitura's credentials, and
both fakes served on ephemeral loopback ports with a config file pointing at them (for tests that
run the CLI as a child process, as tests/e2e/test_cli_*.py do).

In-process use needs none of this: :class:`bridge.sandbox.Sandbox` wires httpx clients to both
fakes over ``httpx.ASGITransport``; :mod:`bridge.testing.fixtures` has it as pytest fixtures.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date
from functools import cache
from pathlib import Path

from bridge.sandbox import (
    SERVED_MAX_DELAY_S,
    TESSITURA_LOCATION,
    TESSITURA_PASSWORD,
    TESSITURA_USER,
    TESSITURA_USER_GROUP,
    Sandbox,
)
from bridge.sandbox.serve import serve_in_thread
from bridge.sandbox.venue import Venue, load_venue
from bridge.store import open_store
from bridge.store.base import StateStore
from bridge.store.postgres import open_postgres

#: The checkout this package runs from (the child processes' working directory).
CHECKOUT = Path(__file__).resolve().parents[2]
#: The config the served sandbox's config is made from: config/sandbox.toml of this checkout.
SANDBOX_CONFIG = CHECKOUT / "config" / "sandbox.toml"

#: The day the test venue's dates are relative to, so that tests do not depend on the calendar.
TODAY = date(2026, 11, 21)
#: The fake Tessitura's fixed, public credentials: user, user group, location, password.
CREDENTIALS = (TESSITURA_USER, TESSITURA_USER_GROUP, TESSITURA_LOCATION, TESSITURA_PASSWORD)


@cache
def venue() -> Venue:
    """The sample venue with its dates relative to :data:`TODAY` (built once; do not mutate)."""
    return load_venue(today=TODAY)


def basic(*parts: str) -> str:
    """A Basic ``Authorization`` header value for ``parts`` joined by colons (Tessitura's form:
    ``basic(*CREDENTIALS)``)."""
    return "Basic " + base64.b64encode(":".join(parts).encode()).decode()


def sandbox_config(
    tmp_path: Path,
    tessitura: str,
    seatsio: str,
    *,
    floor: int | None = None,
    template: Path = SANDBOX_CONFIG,
) -> Path:
    """``template`` (config/sandbox.toml) pointed at the fakes at base URLs ``tessitura`` and
    ``seatsio``, its files at absolute paths and its store in ``tmp_path``, written to
    ``tmp_path/bridge.toml``; ``floor`` replaces the mass-release floor."""
    base = template.parent
    text = template.read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:7801", tessitura).replace(
        "http://127.0.0.1:7802", seatsio
    )
    text = re.sub(
        r'"(\.\./mappings/[^"]+|sandbox-secrets/[^"]+)"',
        lambda m: f'"{base / m[1]}"',
        text,
    )
    text = text.replace(
        'path = "state/seatbridge.sqlite3"', f'path = "{tmp_path / "state.sqlite3"}"'
    )
    if floor is not None:
        text = text.replace("mass_release_floor = 50", f"mass_release_floor = {floor}")
    config = tmp_path / "bridge.toml"
    config.write_text(text, encoding="utf-8")
    return config


@contextmanager
def served_sandbox(
    tmp_path: Path,
    *,
    floor: int | None = None,
    seatsio_empty: bool = False,
    seatsio_max_delay_s: float = SERVED_MAX_DELAY_S,
) -> Iterator[tuple[Sandbox, Path]]:
    """A fresh sandbox with both fakes on loopback (real TCP, ephemeral ports) for as long as the
    block lasts, and a config file pointing at them (see :func:`sandbox_config`);
    ``seatsio_empty``: seats.io has the chart but no events or seasons; ``seatsio_max_delay_s``:
    the longest seats.io takes to list a status change, as served (``seatbridge sandbox serve``)."""
    box = Sandbox(seatsio_empty=seatsio_empty, seatsio_max_delay_s=seatsio_max_delay_s)
    with ExitStack() as stack:
        tessitura = stack.enter_context(serve_in_thread(box.tessitura_app))
        seatsio = stack.enter_context(serve_in_thread(box.seatsio_app))
        yield box, sandbox_config(tmp_path, tessitura, seatsio, floor=floor)


def store_path(config: Path) -> Path:
    """The state store a config from :func:`sandbox_config` points at."""
    return config.parent / "state.sqlite3"


def config_store(config: Path) -> StateStore:
    """The store a config from :func:`sandbox_config` names, opened: its PostgreSQL ``[store]
    url`` and venue when :func:`with_shared_store` set one, else its SQLite file."""
    store = tomllib.loads(config.read_text(encoding="utf-8")).get("store", {})
    if store.get("url"):
        return open_postgres(store["url"], venue=store.get("venue", "default"), pool_size=1)
    return open_store(store_path(config))


def with_shared_store(config: Path, url: str, venue: str) -> Path:
    """``config`` rewritten in place to keep its state in the PostgreSQL database ``url`` as
    ``venue`` (a user name in the URL is fine; a password never goes there)."""
    text = config.read_text(encoding="utf-8")
    text = re.sub(
        r"(?m)^\[store\]\n(path = .*\n)?",
        f'[store]\nurl = "{url}"\nvenue = "{venue}"\n',
        text,
    )
    config.write_text(text, encoding="utf-8")
    return config


def lease_count(config: Path) -> int:
    """How many leases the store of a config from :func:`sandbox_config` holds."""
    with config_store(config) as store:
        return len(store.leases())


def _command(config: Path, args: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    """``python -m bridge ARGS --config CONFIG`` with no SEATBRIDGE_ variable of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEATBRIDGE_")}
    return [sys.executable, "-m", "bridge", *args, "--config", str(config)], env


def spawn(config: Path, *args: str, log: Path | None = None) -> subprocess.Popen[str]:
    """The CLI as a child process, its output piped; or, with ``log``, its stderr appended to
    that file (a long-running daemon's log would fill a pipe nobody reads) and stdout dropped."""
    argv, env = _command(config, args)
    if log is None:
        return subprocess.Popen(
            argv, cwd=CHECKOUT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    with log.open("a", encoding="utf-8") as sink:
        return subprocess.Popen(
            argv, cwd=CHECKOUT, env=env, stdout=subprocess.DEVNULL, stderr=sink, text=True
        )


def run(config: Path, *args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
    """The CLI as a child process, to its end (``timeout_s`` guards against a hang)."""
    argv, env = _command(config, args)
    return subprocess.run(
        argv, cwd=CHECKOUT, env=env, capture_output=True, text=True, timeout=timeout_s
    )


__all__ = [
    "CHECKOUT",
    "CREDENTIALS",
    "SANDBOX_CONFIG",
    "TODAY",
    "basic",
    "config_store",
    "lease_count",
    "run",
    "sandbox_config",
    "served_sandbox",
    "spawn",
    "store_path",
    "venue",
    "with_shared_store",
]
