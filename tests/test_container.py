"""The container build and its docs agree: one image name, one container name, a Containerfile that
exists and copies only what its ignore file lets in, and dependencies from the lock file."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONTAINERFILE = ROOT / "deploy" / "Containerfile"
IGNORE = ROOT / "deploy" / "Containerfile.dockerignore"
#: Where container commands are quoted: the docs, the README and the Containerfile's own comments.
QUOTING = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), CONTAINERFILE]


def command_lines(tool: str) -> list[tuple[str, list[str]]]:
    """Every quoted ``docker ...`` / ``podman ...`` command, as words: each line that starts with one
    (in a code block, or a Containerfile comment; continuation lines joined), and each inline code
    span of a `docker exec` (prose that names a bare `docker stop` quotes no container)."""
    verbs = r"(?:build|run|kill|exec|stop)\b"
    out = []
    for path in QUOTING:
        text = re.sub(r"\\\n#?\s*", " ", path.read_text(encoding="utf-8"))
        found = re.findall(rf"^(?:#\s*)?((?:{tool}) {verbs}.*)$", text, re.M)
        found += re.findall(rf"`((?:{tool}) exec [^`]*)`", text)
        for line in found:
            out.append((f"{path.name}: {line}", shlex.split(line, comments=True)))
    return out


def _option(words: list[str], *names: str) -> str | None:
    for i, word in enumerate(words):
        if word in names:
            return words[i + 1]
    return None


def test_the_docs_quote_builds_and_runs() -> None:
    verbs = {words[1] for _, words in command_lines("docker|podman")}
    assert {"build", "run"} <= verbs


def test_every_build_names_the_containerfile_and_one_image() -> None:
    tags = set()
    for where, words in command_lines("docker|podman"):
        if words[1] != "build":
            continue
        assert (ROOT / (_option(words, "-f", "--file") or "")).is_file(), where
        assert words[-1] == ".", f"{where}: not built from the repository root"
        ignore = _option(words, "--ignorefile")
        assert ignore is None or (ROOT / ignore) == IGNORE, where
        tags.add(_option(words, "-t", "--tag"))
    assert len(tags) == 1 and None not in tags, tags


def test_every_run_and_container_command_uses_that_image_and_one_container_name() -> None:
    (image,) = {
        _option(words, "-t", "--tag")
        for _, words in command_lines("docker|podman")
        if words[1] == "build"
    }
    names = set()
    for where, words in command_lines("docker|podman"):
        if words[1] == "run":
            assert words[-1] == image, f"{where}: runs {words[-1]!r}, the build makes {image!r}"
            names.add(_option(words, "--name"))
        elif words[1] in ("kill", "exec", "stop"):
            options_with_a_value = {"--signal", "-s", "-t", "--time", "-u", "--user", "-e"}
            rest = iter(words[2:])
            name = next(w for w in rest if not (w in options_with_a_value and next(rest)))
            names.add(name)
    assert len(names) == 1 and None not in names, names


def test_the_containerfile_copies_only_what_the_ignore_file_lets_in_and_what_exists() -> None:
    allowed = [
        line[1:] for line in IGNORE.read_text(encoding="utf-8").splitlines() if line.startswith("!")
    ]
    for line in CONTAINERFILE.read_text(encoding="utf-8").splitlines():
        if not line.startswith("COPY ") or "--from=" in line:
            continue
        for source in line.split()[1:-1]:
            assert (ROOT / source).exists(), f"COPY {source}: no such file"
            assert any(source == a or source.startswith(f"{a}/") for a in allowed), (
                f"COPY {source}: left out of the build context by {IGNORE.name}"
            )


def test_the_image_installs_its_dependencies_from_the_lock_file() -> None:
    text = re.sub(r"\\\n\s*", " ", CONTAINERFILE.read_text(encoding="utf-8"))
    installs = [
        line for line in text.splitlines() if line.startswith("RUN ") and "pip install" in line
    ]
    assert any("--require-hashes -r requirements.lock" in line for line in installs)
    (own,) = [line for line in installs if re.search(r"pip install [^&]* \.(\s|$)", line)]
    assert "--no-deps" in own, "seatbridge itself must not pull unpinned dependencies"


def test_the_packaged_sample_enters_the_build_context() -> None:
    """bridge/sandbox/sample links to config/ and mappings/: a link with nothing behind it in the
    context would build an image whose `seatbridge demo` fails."""
    lines = CONTAINERFILE.read_text(encoding="utf-8").splitlines()
    copied = " ".join(line for line in lines if line.startswith("COPY "))
    for needed in ("config/sandbox.toml", "config/sandbox-secrets", "mappings/sample"):
        assert needed in copied
