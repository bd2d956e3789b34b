"""The docs keep up with the commands, in the spirit of sqlite-utils' test_docs: every command and
option has help and is documented (README.md or the generated docs/cli.md), docs/cli.md is what
the commands generate, and every `seatbridge ...` line the docs and example configs quote parses."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import warnings
from pathlib import Path

import click
import pytest

from bridge.cli import main
from bridge.reference import reference

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CLI_MD = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")

#: A word standing for a value in a quoted command line: ID, FILE, <file>, {key}.
PLACEHOLDER = re.compile(r"[A-Z][A-Z0-9_]*|<[^<>]+>|\{[^{}]+\}")


def walk(group: click.Group, prefix: str = "seatbridge") -> list[tuple[str, click.Command]]:
    """Every command under ``group``, groups included, by its command line."""
    out: list[tuple[str, click.Command]] = []
    for name, cmd in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        out.append((path, cmd))
        if isinstance(cmd, click.Group):
            out += walk(cmd, path)
    return out


def commands(group: click.Group, prefix: str = "seatbridge") -> list[str]:
    return [path for path, cmd in walk(group, prefix) if not isinstance(cmd, click.Group)]


def options() -> list[tuple[str, click.Option]]:
    out = []
    for path, cmd in [("seatbridge", main), *walk(main)]:
        out += [(path, p) for p in cmd.params if isinstance(p, click.Option)]
    return out


def test_every_command_is_in_the_readme() -> None:
    missing = [c for c in commands(main) if c not in README]
    assert not missing, f"undocumented commands: {missing}"


def test_readme_quick_start_has_the_two_commands() -> None:
    assert "make demo" in README and "make test" in README


@pytest.mark.parametrize("path", ["seatbridge", *[p for p, _ in walk(main)]])
def test_every_command_has_help(path: str) -> None:
    cmd = dict(walk(main)).get(path, main)
    assert (cmd.help or "").strip(), f"{path} has no help text"


@pytest.mark.parametrize(("path", "option"), options(), ids=lambda v: getattr(v, "name", v))
def test_every_option_has_help_and_is_documented(path: str, option: click.Option) -> None:
    assert (option.help or "").strip(), f"{path} {option.opts[0]} has no help text"
    section = CLI_MD.split(f"## {path}\n", 1)[1].split("\n## ", 1)[0]
    for opt in option.opts:
        assert opt in section or f"{path} {opt}" in README, f"{path} {opt} undocumented"


def test_the_cli_reference_is_generated_from_the_commands() -> None:
    assert reference() == CLI_MD, "docs/cli.md is stale: python -m bridge.reference > docs/cli.md"


# ------------------------------------------------------------------ quoted command lines


def _from(text: str) -> str | None:
    """The command line from the word `seatbridge` on (a path before it dropped), if any."""
    m = re.search(r"(?:^|\s|bin/)(seatbridge(?=\s|$).*)", text)
    return m.group(1) if m else None


def quoted_lines() -> list[tuple[str, str]]:
    """``(where, line)`` for every `seatbridge ...` the docs and example configs quote: in code
    spans and fenced blocks of README.md and docs/*.md (docs/cli.md aside: click wrote it), and
    in TOML comments as code spans, indented examples or a parenthesis."""
    found: list[tuple[str, str]] = []
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for path in [d for d in docs if d.name != "cli.md"]:
        fenced = False
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{n}"
            if line.lstrip().startswith("```"):
                fenced = not fenced
                continue
            spans = [line] if fenced else re.findall(r"`([^`]+)`", line)
            found += [(where, c) for c in map(_from, spans) if c is not None]
    for path in sorted((ROOT / "config").glob("*.toml")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{n}"
            comment = line.partition("#")[2] if line.lstrip().startswith("#") else ""
            spans = re.findall(r"`([^`]+)`", comment) + re.findall(
                r"\((seatbridge [^)]*)\)", comment
            )
            if re.match(r"\s{2,}seatbridge ", comment):
                spans.append(comment)
            found += [(where, c) for c in map(_from, spans) if c is not None]
    return found


def tokens(line: str) -> list[str]:
    """A quoted line as argv: comments, pipes and `&` cut off, synopsis brackets and `a | b`
    alternatives opened, `VALUE ...` (repeatable) dropped, `--opt ...` given a value."""
    line = line.replace("\\|", " ")
    line = re.split(r"\s(?:#|\||&|;|\()", line + " ", maxsplit=1)[0]
    out: list[str] = []
    for tok in shlex.split(line.replace("[", " ").replace("]", " ")):
        if tok == "...":
            if out and out[-1].startswith("-"):
                out.append("VALUE")
            continue
        out.append(tok)
    return out[1:]  # without "seatbridge"


def parse(argv: list[str]) -> None:
    """Parse ``argv`` as `seatbridge` would, down to the command and its options and arguments
    (types, choices and required ones checked), without running anything; raises what click
    does. A value that is a placeholder (ID, FILE, <file>) passes its type check, and a synopsis
    may leave out a required parameter: those are checked by a parse ended by `--help`."""
    cmd: click.Command = main
    name, args, parent = "seatbridge", argv, None
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Context.protected_args
        while isinstance(cmd, click.Group):
            if not args:
                return  # a group named alone: it prints its help
            ctx = cmd.make_context(name, list(args), parent=parent, resilient_parsing=False)
            rest = [*ctx.protected_args, *ctx.args]
            if not rest:
                return
            sub = cmd.get_command(ctx, rest[0])
            if sub is None:
                raise click.UsageError(f"no such command {rest[0]!r} under {ctx.command_path}")
            cmd, name, args, parent = sub, rest[0], rest[1:], ctx
        try:
            cmd.make_context(name, list(args), parent=parent, resilient_parsing=False)
            return
        except click.MissingParameter:
            pass  # a synopsis naming some parameters only
        except click.BadParameter as exc:
            if not (exc.param is not None and _placeholder(cmd, parent, args, exc.param)):
                raise
        try:
            cmd.make_context(name, [*args, "--help"], parent=parent)
        except click.exceptions.Exit as done:
            assert done.exit_code == 0
            return
    raise AssertionError(f"{argv}: --help did not end the parse")


def _placeholder(
    cmd: click.Command, parent: click.Context | None, args: list[str], param: click.Parameter
) -> bool:
    """Whether every value ``args`` give ``param`` is a placeholder."""
    ctx = click.Context(cmd, parent=parent, resilient_parsing=True)
    values, _, _ = cmd.make_parser(ctx).parse_args(list(args))
    value = values.get(param.name) if param.name else None
    given = value if isinstance(value, list | tuple) else [value]
    return all(isinstance(v, str) and PLACEHOLDER.fullmatch(v) for v in given)


def test_the_docs_quote_many_command_lines() -> None:
    lines = quoted_lines()
    assert len(lines) >= 15, lines  # the extractor finds what is there
    assert any(w.startswith("config/") for w, _ in lines)


@pytest.mark.parametrize(("where", "line"), quoted_lines(), ids=lambda v: v)
def test_every_quoted_command_line_parses(where: str, line: str) -> None:
    try:
        parse(tokens(line))
    except click.ClickException as exc:
        pytest.fail(f"{where}: `{line}` does not parse: {exc.format_message()}")


@pytest.mark.parametrize(
    "line",
    [
        "seatbridge plan --bogus",
        "seatbridge nothing",
        "seatbridge seasons sync --bogus",
        "seatbridge config check --performance 1",
        "seatbridge --log-format jsno plan --all",
        "seatbridge plan --performance twelve",
        "seatbridge plan --performance",
    ],
)
def test_a_wrong_command_line_is_caught(line: str) -> None:
    with pytest.raises(click.ClickException):
        parse(tokens(line))


@pytest.mark.parametrize(
    "line",
    ["seatbridge plan --performance ID ...", "seatbridge plan --performance <id> --json"],
)
def test_a_placeholder_stands_for_a_value(line: str) -> None:
    parse(tokens(line))


def _code_map() -> str:
    start = README.index("## How it is built")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_every_package_and_top_level_module_is_in_the_readme_code_map() -> None:
    """A newcomer finds each part of ``bridge/`` in the README's map; a new package that is not
    there fails here, as does a map entry whose package is gone."""
    code_map = _code_map()
    pkg = ROOT / "bridge"
    parts = [f"bridge/{p.name}/" for p in sorted(pkg.iterdir()) if (p / "__init__.py").is_file()]
    parts += [f"bridge/{p.name}" for p in sorted(pkg.glob("*.py")) if p.name not in {"__init__.py"}]
    missing = [p for p in parts if f"`{p}`" not in code_map]
    assert not missing, f"not in the README's code map (## How it is built): {missing}"
    named = set(re.findall(r"`(bridge/[\w/]+(?:\.py|/))`", code_map))
    gone = sorted(p for p in named if not (ROOT / p).exists())
    assert not gone, f"the README's code map names what is not there: {gone}"
