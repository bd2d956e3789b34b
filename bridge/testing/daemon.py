"""Helpers for driving ``seatbridge run`` as a child process against a served sandbox.

:data:`FAST` cadences (1 s) and :func:`fast_config` make a daemon act within seconds;
:func:`eventually` is the one bounded poll every such test waits with (it never asserts how long
anything took); :func:`converged` and :func:`role_of` read what the daemon wrote to its store.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import TypeVar

from bridge.clock import SYSTEM
from bridge.testing.sandbox import config_store, venue

T = TypeVar("T")

#: A generous bound for anything a daemon on :data:`FAST` cadences should do.
PATIENCE_S = 45.0


def fast_settings(
    *,
    reload_poll_s: float,
    stop_grace_s: float,
    backoff_base_s: float,
    backoff_cap_s: float,
    takeover_wait_s: float | None = None,
) -> str:
    """The ``[schedule]`` and ``[daemon]`` TOML of a daemon that acts within seconds: 1 s
    cadences, discovery every 2 s, a 4 s run timeout and a 3 s writer lease; the rest as given
    (``takeover_wait_s`` None: the config's default)."""
    takeover = "" if takeover_wait_s is None else f"takeover_wait_s = {takeover_wait_s:g}\n"
    return f"""
[schedule]
discovery_every_s = 2
default_every_s = 1
cadences = [{{ within_hours = 24, every_s = 1 }}]

[daemon]
run_timeout_s = 4
reload_poll_s = {reload_poll_s:g}
writer_lease_ttl_s = 3
stop_grace_s = {stop_grace_s:g}
backoff_base_s = {backoff_base_s:g}
backoff_cap_s = {backoff_cap_s:g}
{takeover}"""


#: 1 s cadences, a short run timeout, quick reloads, a short writer lease and takeover wait.
FAST = fast_settings(
    reload_poll_s=0.5, stop_grace_s=5, backoff_base_s=0.5, backoff_cap_s=2, takeover_wait_s=1
)


def with_daemon_settings(config: Path, settings: str, port: int = 0) -> Path:
    """``config`` rewritten in place: its ``[schedule]`` and ``[daemon]`` replaced by
    ``settings`` (TOML text), ``[http] listen`` on ``127.0.0.1:port`` (0: any free port)."""
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"(?ms)^\[(schedule|daemon)\].*?(?=^\[|\Z)", "", text)
    text = re.sub(r'(?m)^listen = ".*"$', f'listen = "127.0.0.1:{port}"', text)
    config.write_text(text + settings, encoding="utf-8")
    return config


def fast_config(config: Path) -> Path:
    """A config from :func:`bridge.testing.sandbox.sandbox_config` rewritten in place with
    :data:`FAST` and ``[http] listen`` on a free loopback port."""
    return with_daemon_settings(config, FAST)


def eventually(what: str, probe: Callable[[], T | None], timeout_s: float = PATIENCE_S) -> T:
    """Poll ``probe`` until it returns something truthy; an AssertionError naming ``what``
    after ``timeout_s``."""
    deadline = SYSTEM.monotonic() + timeout_s
    while True:
        got = probe()
        if got:
            return got
        if SYSTEM.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:g} s: {what}")
        time.sleep(0.2)


def converged(config: Path, performances: Collection[int] | None = None) -> bool:
    """Whether every one of ``performances`` (default: the sample venue's) has a converged (or
    converged-but-for-conflicts) status in the store of ``config``."""
    with config_store(config) as store:
        statuses = store.performance_statuses()
    done = {s.performance_id for s in statuses if s.outcome.value in ("converged", "conflicts")}
    want = set(performances) if performances is not None else {p.id for p in venue().performances}
    return want <= done


def role_of(config: Path, pid: int) -> dict[str, object] | None:
    """The role note (role, listen address, ...) of the daemon with process id ``pid``."""
    with config_store(config) as store:
        for n in store.notes("daemon.role:"):
            if f":{pid}:" in n.key:
                note: dict[str, object] = json.loads(n.value)
                return note
    return None
