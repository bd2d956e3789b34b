"""`seatbridge init DIR`: a starter config and the sample's tables, ready for `config check`.

The config is the production template (``config/production.example.toml``, every setting
explained) with the settings a first run needs taken from the sample's sandbox config: it points at
the tables written beside it and at the local sandbox (`seatbridge sandbox serve`), whose public
credentials go in secret files. So `config check` passes at once and `plan` runs against the
sandbox; for a venue, the operator edits [tessitura], [seatsio], the secret files and the tables.
Both sources ship in the package (:data:`bridge.sandbox.SAMPLE`): one copy each, no template here.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from bridge.commands.render import echo
from bridge.sandbox import SAMPLE, SAMPLE_CONFIG

#: The config file init writes, in DIR.
CONFIG_NAME = "seatbridge.toml"
#: The sample's tables, copied to DIR/mappings/.
SAMPLE_TABLES = SAMPLE / "mappings" / "sample"
#: The production template the config is made from.
TEMPLATE = SAMPLE / "config" / "production.example.toml"

HEADER = """\
# seatbridge configuration, written by `seatbridge init` from the production template: every
# setting is explained below and in docs/configuration.md.
#
# As written it runs against the built-in sandbox (`seatbridge sandbox serve` on 127.0.0.1:7801
# and :7802) with the sample venue's tables in mappings/ and the sandbox's public credentials in
# secrets/. For your venue: set [tessitura] and [seatsio] (region or base_url), put the real
# password and secret key in the files under secrets/ (or in SEATBRIDGE_TESSITURA_PASSWORD and
# SEATBRIDGE_SEATSIO_SECRET_KEY, which win), replace the tables (`seatbridge mappings seats` writes
# a seat table), then `seatbridge config check --online`.
#
"""


@dataclass(frozen=True)
class Starter:
    """What init writes: file (relative to DIR) -> its text, and which of them are secrets."""

    files: dict[str, str]
    secrets: frozenset[str]


def starter() -> Starter:
    """The starter config, the sample's tables and the sandbox's secret files."""
    sandbox = tomllib.loads(SAMPLE_CONFIG.read_text(encoding="utf-8"))
    tables = sorted(p for p in SAMPLE_TABLES.iterdir() if p.is_file())
    files = {f"mappings/{p.name}": p.read_text(encoding="utf-8") for p in tables}
    secrets: dict[str, str] = {}
    for section, key, name in (
        ("tessitura", "password_file", "secrets/tessitura-password"),
        ("seatsio", "secret_key_file", "secrets/seatsio-secret-key"),
    ):
        secret = SAMPLE_CONFIG.parent / sandbox[section][key]
        secrets[name] = secret.read_text(encoding="utf-8")
    files[CONFIG_NAME] = starter_config(TEMPLATE.read_text(encoding="utf-8"), sandbox)
    return Starter({**files, **secrets}, frozenset(secrets))


def starter_config(template: str, sandbox: dict[str, Any]) -> str:
    """``template`` with the header of :data:`HEADER` and the sandbox's endpoints, login, venue
    and tables, the tables and secrets at the paths init writes them to."""
    tessitura, seatsio = sandbox["tessitura"], sandbox["seatsio"]
    mappings, discovery = sandbox["mappings"], sandbox["discovery"]

    def local(path: str) -> str:  # "../mappings/sample/x.csv" -> "mappings/x.csv"
        return f"mappings/{Path(path).name}"

    edits: list[tuple[str, str, Any]] = [
        *(
            ("tessitura", k, tessitura[k])
            for k in ("base_url", "username", "user_group", "location")
        ),
        ("tessitura", "password_file", "secrets/tessitura-password"),
        ("seatsio", "region", None),
        ("seatsio", "base_url", seatsio["base_url"]),
        ("seatsio", "secret_key_file", "secrets/seatsio-secret-key"),
        *(("mappings", k, local(mappings[k])) for k in ("hold_codes", "performances", "seasons")),
        ("mappings", "event_key_template", mappings["event_key_template"]),
        ("discovery", "facility_ids", discovery["facility_ids"]),
        ("discovery", "time_zone", discovery["time_zone"]),
        ("store", "path", sandbox["store"]["path"]),
    ]
    text = HEADER + template[_body(template) :]
    for section, key, value in edits:
        text = set_key(text, section, key, value)
    for name in ("seat_tables", "facility_charts"):
        text = set_table(
            text,
            f"mappings.{name}",
            {k: local(v) if name == "seat_tables" else v for k, v in mappings[name].items()},
        )
    return text


def _body(template: str) -> int:
    """Where the template's opening paragraph (what to do with it) ends; its rules stay."""
    return template.index("\n#\n") + 3


def set_key(text: str, section: str, key: str, value: Any) -> str:
    """``text`` with ``key``'s line in ``[section]`` (set or commented out) set to ``value``, or
    commented out when ``value`` is None; a key the template lacks is an error, never skipped."""
    start, end = _section(text, section)
    line = re.compile(rf"^(# )?{re.escape(key)} = .*$", re.M)
    found = line.search(text, start, end)
    if found is None:
        raise LookupError(f"the template has no {key} in [{section}]")
    new = f"# {found[0].removeprefix('# ')}" if value is None else f"{key} = {_toml(value)}"
    return text[: found.start()] + new + text[found.end() :]


def set_table(text: str, section: str, rows: dict[str, Any]) -> str:
    """``text`` with the key lines of ``[section]`` (a table of ids) replaced by ``rows``."""
    start, end = _section(text, section)
    body = text[start:end]
    keys = re.compile(r"^\S+ = .*\n", re.M)
    first = keys.search(body)
    if first is None:
        raise LookupError(f"the template has no rows in [{section}]")
    lines = "".join(f"{k} = {_toml(v)}\n" for k, v in rows.items())
    body = body[: first.start()] + lines + keys.sub("", body[first.start() :])
    return text[:start] + body + text[end:]


def _section(text: str, section: str) -> tuple[int, int]:
    """The span of ``[section]``'s body (after its header, up to the next header)."""
    header = re.search(rf"^\[{re.escape(section)}\]\n", text, re.M)
    if header is None:
        raise LookupError(f"the template has no [{section}]")
    after = re.search(r"^\[", text[header.end() :], re.M)
    return header.end(), header.end() + after.start() if after else len(text)


def _toml(value: Any) -> str:
    """A TOML literal of a string, a whole number or a list of them (JSON writes them alike)."""
    return json.dumps(value)


@click.command("init")
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(folder: Path, force: bool) -> None:
    """Write a starter config (DIR/seatbridge.toml, pointed at the built-in sandbox) and the
    sample's mapping tables to edit, then say what to run next.

    \b
    Exit codes:
      0   written
      1   a file exists (nothing written; --force overwrites) or DIR cannot be written
      64  usage error
    """
    plan = starter()
    there = [
        name for name in plan.files if (folder / name).is_symlink() or (folder / name).exists()
    ]
    if there and not force:
        more = f" (and {len(there) - 1} more)" if len(there) > 1 else ""
        raise click.ClickException(
            f"{folder / there[0]} exists{more}: nothing written; pass --force to overwrite"
        )
    try:
        for name, text in plan.files.items():
            _write(folder / name, text, secret=name in plan.secrets)
    except OSError as exc:
        raise click.ClickException(f"cannot write in {folder}: {exc.strerror or exc}") from None
    for name in plan.files:
        echo(f"wrote {folder / name}")
    config = folder / CONFIG_NAME
    echo(
        "\nNext steps:\n"
        f"  seatbridge config check --config {config}\n"
        "  seatbridge sandbox serve        # in another terminal: Tessitura :7801, seats.io :7802\n"
        f"  seatbridge plan --config {config} --all\n"
        f"Then edit {config} for your venue (its header says what), and check it with\n"
        f"  seatbridge config check --config {config} --online"
    )


def _write(path: Path, text: str, *, secret: bool) -> None:
    """``text`` to ``path``; a secret readable by its owner only, in a folder only they enter.

    A symlink in the way is replaced, never written through: ``--force`` must not overwrite,
    or chmod, a file elsewhere that a link points at. The file is written beside its name and
    renamed over it, so a failure halfway leaves the old file (or none), never a torn one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if secret else 0o777)
    if secret:
        path.parent.chmod(0o700)
    part = path.with_name(f".{path.name}.part")
    part.unlink(missing_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(part, flags, 0o600 if secret else 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(part, path)  # replaces a link itself, not its target
    except BaseException:
        part.unlink(missing_ok=True)
        raise
