"""`seatbridge config check`: validate the config and every table it names, offline or online.

Also home of :func:`config_option`, the ``--config PATH`` option every command that reads the
config shares (``SEATBRIDGE_CONFIG`` is its environment fallback).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from bridge.commands.render import echo
from bridge.config import (
    CONFIG_ENV,
    DEFAULT_CONFIG_PATH,
    BridgeConfig,
    load_config,
    redact,
)
from bridge.errors import BridgeError, ConfigError, InvalidConfigError, Problem
from bridge.mapping.model import Action
from bridge.mapping.problems import display_path
from bridge.redact import redact_url

F = TypeVar("F", bound=Callable[..., object])


def config_option(func: F) -> F:
    """``--config PATH``, falling back to ``$SEATBRIDGE_CONFIG``, then config/bridge.toml."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar=CONFIG_ENV,
        default=DEFAULT_CONFIG_PATH,
        show_default=True,
        show_envvar=True,
        help="The configuration file.",
    )(func)


def report_problems(exc: ConfigError) -> None:
    """Print every problem to stderr, one a line, so editors can jump to file:line:column (a
    count first when there are several). Secrets are masked, whatever a message quotes."""
    if isinstance(exc, InvalidConfigError):
        n = len(exc.problems)
        if n != 1:
            echo(f"{n} problems:", err=True)
        for problem in exc.problems:
            echo(redact(str(problem)), err=True)
    else:
        echo(redact(str(exc)), err=True)


def load_or_exit(path: Path, *, require_secrets: bool = True) -> BridgeConfig:
    """The loaded config, or every problem on stderr and exit status 1."""
    try:
        return load_config(path, require_secrets=require_secrets)
    except ConfigError as exc:
        report_problems(exc)
        sys.exit(1)


def describe(cfg: BridgeConfig) -> list[str]:
    """A few lines saying what was loaded, so a clean check still shows it read the right files."""
    t = cfg.tables
    by_action: dict[str, int] = {}
    for rule in t.hold_rules.values():
        by_action[rule.action.value] = by_action.get(rule.action.value, 0) + 1
    actions = ", ".join(f"{n} {a}" for a, n in sorted(by_action.items()))
    template = f" + rule {t.event_key_template!r}" if t.event_key_template else ""
    seats = ", ".join(
        f"seat map {sm}: {len(table.labels)} seats" for sm, table in sorted(t.seat_tables.items())
    )
    return [
        f"{display_path(cfg.path)}: OK",
        f"  hold codes: {len(t.hold_rules)} ({actions}); channels: "
        + (", ".join(c.key for c in t.channels) or "none"),
        f"  performances: {len(t.performances)} listed{template}",
        f"  seat tables: {seats}",
        f"  tessitura: {redact_url(cfg.tessitura.base_url)} as {cfg.tessitura.username}"
        f" ({cfg.tessitura.user_group}, {cfg.tessitura.location})",
        f"  seats.io: {redact_url(cfg.seatsio.api_url)}",
        f"  store: {display_path(cfg.store.path)}",
        f"  discovery: {_discovery(cfg)}",
        f"  write-back: {_writeback(cfg)}",
    ]


def _discovery(cfg: BridgeConfig) -> str:
    d = cfg.discovery
    if not (d.facility_ids or d.season_ids):
        return "off (no facility_ids or season_ids): the performance table only"
    zone = d.time_zone or "UTC (discovery.time_zone not set)"
    return f"{d.horizon_days} days ahead, counted in {zone}"


def _writeback(cfg: BridgeConfig) -> str:
    """The write-back's mode, hold code and statuses (the table has no hold-code descriptions:
    `config check --online` checks the code exists in Tessitura)."""
    w = cfg.writeback
    if not w.on:
        return "off"
    until = f", held {w.hold_hours:g} h ahead" if w.hold_hours is not None else ""
    return f"{w.mode}, hold code {w.hold_code}, statuses {', '.join(w.statuses)}{until}"


def warnings(cfg: BridgeConfig) -> list[str]:
    """What is valid but probably not meant; printed on stderr, the exit status stays 0."""
    out: list[str] = []
    d = cfg.discovery
    if (d.facility_ids or d.season_ids) and d.time_zone is None:
        out.append(
            f'{display_path(cfg.path)}: warning: discovery.time_zone is not set: "today" is '
            "counted in UTC (a day of margin still finds tonight's shows); set the venue's "
            'IANA zone, e.g. time_zone = "America/Los_Angeles"'
        )
    t = cfg.tables
    if any(target.season_key for target in t.performances.values()):
        bare = sorted(
            r.hold_code_id
            for r in t.hold_rules.values()
            if r.action is Action.CHANNEL and not r.fallback_status
        )
        if bare:
            out.append(
                f"{display_path(cfg.path)}: warning: channel hold code(s) "
                + ", ".join(map(str, bare))
                + " have no fallback_status: where a season's performances disagree, their seats "
                "are held per event as not for sale, which spends seats.io's 10 restricting "
                "for-sale edits per event per day; a fallback status costs nothing"
            )
    return out


@click.group("config")
def config() -> None:
    """Check the configuration file and the mapping tables it names."""


@config.command("check")
@config_option
@click.option(
    "--online",
    is_flag=True,
    help="Also ask Tessitura and seats.io: hold codes, events, seasons and labels exist.",
)
@click.option(
    "--no-secrets",
    is_flag=True,
    help="Do not require the Tessitura password and seats.io secret key (offline checks only).",
)
def check(config_path: Path, online: bool, no_secrets: bool) -> None:
    """Validate the config and tables, every problem on stderr as file:line:col.

    \b
    Exit codes:
      0   clean (warnings, if any, on stderr)
      1   problems (or, with --online, an API could not be asked)
      64  usage error
    """
    if online and no_secrets:
        raise click.UsageError("--online needs the secrets; drop --no-secrets")
    cfg = load_or_exit(config_path, require_secrets=not no_secrets)
    if online:
        from bridge.logs import configure

        configure(cfg.log.level, cfg.log.format)
        try:
            problems = asyncio.run(_check_online(cfg))
        except BridgeError as exc:
            echo(f"error: {redact(str(exc))}", err=True)
            sys.exit(1)
        if problems:
            report_problems(InvalidConfigError(problems))
            sys.exit(1)
    for line in describe(cfg):
        echo(line)
    for line in warnings(cfg):
        echo(line, err=True)
    if online:
        echo("  online: hold codes, events, seasons and labels all found")


async def _check_online(cfg: BridgeConfig) -> list[Problem]:
    """:func:`bridge.mapping.online.check_online` against the real APIs."""
    from bridge.mapping.online import check_online
    from bridge.runtime import open_sources

    async with open_sources(cfg) as (tessitura, seatsio):
        return await check_online(cfg.tables, cfg.mappings, tessitura, seatsio)
