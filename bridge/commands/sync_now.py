"""`seatbridge sync --performance ID`: sync one performance now, through the running daemon.

It asks the daemon on ``[http] listen`` (``POST /performances/{id}/sync``, with the config's
bearer token when one is set; a listen on port 0 is looked up in the store's role notes, where
the daemon recorded the port it bound). A standby, or an instance that does not run the unit,
answers with the daemon that does, which is asked once in turn. When no daemon answers (nothing
listens, no answer within :data:`ASK_TIMEOUT_S`, a standby that knows no active daemon, a server
that has no sync), it reconciles the performance once here, as `seatbridge reconcile
--performance ID` would, and says so; ``--no-fallback`` refuses instead.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import click
import httpx

from bridge.commands.config import config_option, load_or_exit
from bridge.commands.render import echo, print_report, terminal
from bridge.commands.sync import EXIT_ERROR, EXIT_OK, exit_code, reconcile_once
from bridge.config import BridgeConfig, redact
from bridge.daemon import notes
from bridge.errors import BridgeError

#: Seconds to wait for the daemon's answer: it answers at once (the run itself is not awaited).
ASK_TIMEOUT_S = 5.0
#: What a wildcard listen address is reached at from this host.
WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}


@dataclass(frozen=True, slots=True)
class Asked:
    """What the daemon at ``listen`` said: its JSON answer and HTTP status, or ``gone``: why
    no daemon that can sync answered there."""

    listen: str
    status: int = 0
    answer: dict[str, object] | None = None
    gone: str | None = None


def url_of(listen: str, pid: int) -> str:
    """The sync URL of a daemon listening on ``listen`` (``host:port``, ``[v6]:port``), reached
    from this host: a wildcard address means loopback."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    host = WILDCARDS.get(host, host)
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/performances/{pid}/sync"


def ask(listen: str, pid: int, token: str | None, timeout_s: float = ASK_TIMEOUT_S) -> Asked:
    """POST the sync request to the daemon on ``listen``."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        r = httpx.post(url_of(listen, pid), headers=headers, timeout=timeout_s)
    except httpx.TimeoutException:
        return Asked(listen, gone=f"no answer within {timeout_s:g} s")
    except httpx.TransportError as exc:
        return Asked(listen, gone=_why(exc))
    try:
        body = r.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or "result" not in body:
        if r.status_code in (401, 403):
            return Asked(listen, r.status_code, {"message": r.text.strip()[:200]})
        error = body.get("error") if isinstance(body, dict) else None  # e.g. a stuck loop's 503
        why = f"HTTP {r.status_code}: {error}" if error else f"HTTP {r.status_code}: no sync there"
        return Asked(listen, r.status_code, gone=redact(str(why))[:300])
    return Asked(listen, r.status_code, body)


def _why(exc: httpx.TransportError) -> str:
    text = str(exc).lower()
    if "refused" in text:
        return "connection refused"
    return type(exc).__name__


def daemon_listen(cfg: BridgeConfig) -> str:
    """Where the daemon of this config listens: ``[http] listen``, or, when that says port 0,
    the port a live daemon on the store recorded (the config's when none did)."""
    listen = cfg.http.listen
    if not listen.endswith(":0"):
        return listen
    if cfg.store.url is None and not cfg.store.path.exists():
        return listen
    from bridge.runtime import state_store

    try:
        with state_store(cfg) as store:
            view = notes.read(store)
    except BridgeError:
        return listen
    live = [d for d in view.daemons if d.live and d.listen]
    live.sort(key=lambda d: d.role != "active")  # an active one first
    return live[0].listen if live else listen


@click.command(name="sync")
@config_option
@click.option(
    "--performance", type=int, required=True, metavar="ID", help="A Tessitura performance id."
)
@click.option(
    "--no-fallback",
    is_flag=True,
    help="When no daemon answers, fail (exit 1) instead of reconciling once here.",
)
def sync_now(config_path: Path, performance: int, no_fallback: bool) -> None:
    """Sync one performance now: the running daemon runs its unit at once.

    Asks the daemon on [http] listen (with the config's HTTP token); a standby points at the
    active daemon, which is asked in turn. When no daemon answers, the performance is
    reconciled once here, as `seatbridge reconcile --performance ID` does (--no-fallback:
    exit 1 instead).

    \b
    Exit codes:
      0   the daemon accepted (its run goes on in the daemon: see `seatbridge status`),
          or the one-shot reconcile converged
      3   the one-shot reconcile converged except for conflicts
      1   error: the daemon does not schedule the performance, refused the request
          (a token missing or wrong), no daemon with --no-fallback, a failed one-shot
      64  usage error
    """
    pid = performance
    cfg = load_or_exit(config_path, require_secrets=False)
    token = cfg.http_token.get_secret_value() if cfg.http_token else None
    asked = ask(daemon_listen(cfg), pid, token)
    answer = asked.answer or {}
    elsewhere = answer.get("listen")
    # a standby (or an instance that does not run the unit) names the one that does: ask it once
    if answer.get("result") == "not_here" and isinstance(elsewhere, str) and elsewhere:
        asked = ask(elsewhere, pid, token) if elsewhere != asked.listen else asked
        answer = asked.answer or {}
    if answer.get("accepted") is True:
        unit = answer.get("unit")
        tail = "; it runs right after the run in flight" if answer.get("in_flight") else ""
        echo(f"performance {pid}: sync requested from the running daemon (unit {unit}){tail}")
        if answer.get("result") == "waits_for_config":
            echo(f"note: {answer.get('message')}", err=True)
        sys.exit(EXIT_OK)
    if asked.gone is None and answer.get("result") != "not_here":
        echo(f"error: the daemon on {asked.listen}: {_refusal(asked)}", err=True)
        sys.exit(EXIT_ERROR)
    why = asked.gone or str(answer.get("message") or "no daemon runs it")
    if no_fallback:
        echo(f"error: performance {pid}: no daemon synced it ({asked.listen}: {why})", err=True)
        sys.exit(EXIT_ERROR)
    echo(
        f"performance {pid}: no daemon synced it ({asked.listen}: {why}); reconciling it once here",
        err=True,
    )
    report = reconcile_once(config_path, pid)
    print_report(terminal(), report)
    sys.exit(exit_code(report))


def _refusal(asked: Asked) -> str:
    answer = asked.answer or {}
    if asked.status == 401:
        return (
            "a bearer token is required or was refused: the config's [http] token_file (or "
            "SEATBRIDGE_HTTP_TOKEN) must hold the token the daemon was started with"
        )
    if answer.get("result") == "not_scheduled":
        return (
            f"{answer.get('message')}; `seatbridge reconcile --performance "
            f"{answer.get('performance_id')}` reconciles it once anyway"
        )
    return redact(str(answer.get("message") or f"HTTP {asked.status}"))
