"""A first run outside a checkout: the built wheel alone, in an empty directory, runs the demo and
`init` + `config check` (the issue's "first run anywhere").

The wheel is built from the files the container build copies, into a fresh venv that sees the
dev venv's installed dependencies through a path line in a ``.pth`` file (no network install); a
path line does not run that folder's own ``.pth`` files, so the checkout's editable install is not
seen: ``bridge`` is imported from the wheel, which the test checks.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from bridge.sandbox import SAMPLE

ROOT = Path(__file__).resolve().parents[1]
#: What the wheel is built from: the files deploy/Containerfile copies (its build context).
SOURCES = ["pyproject.toml", "README.md", "bridge", "config", "mappings"]


def test_the_packaged_sample_is_the_checkouts_config_and_mappings() -> None:
    """One copy: the package's sample is the top-level config/ and mappings/ of the checkout."""
    for name in ("config", "mappings"):
        packaged, top = SAMPLE / name, ROOT / name
        assert packaged.resolve() == top.resolve(), f"{packaged} is not a link to {top}"
        compared = filecmp.dircmp(packaged, top)
        assert not (compared.left_only or compared.right_only or compared.diff_files)


#: This process's environment without PYTHONPATH (which may name the checkout: never seen below).
CLEAN_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _run(
    args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the built wheel installed (its dependencies seen from the dev venv)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "state", "*.sqlite3*")
            shutil.copytree(ROOT / name, src / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, src / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    built = _run(
        [
            *pip,
            "wheel",
            str(src),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp / "dist"),
        ],
        tmp,
        CLEAN_ENV,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp / "dist").glob("seatbridge-*.whl")
    venv = tmp / "v"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp, CLEAN_ENV)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            tmp,
            {},
        ).stdout.strip()
    )
    (site / "dev-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = _run(
        [*pip, "--python", str(python), "install", "--no-deps", "--no-index", str(wheel)],
        tmp,
        CLEAN_ENV,
    )
    assert installed.returncode == 0, installed.stderr
    return venv


@pytest.mark.slow
def test_the_wheel_alone_runs_the_demo_and_init_in_an_empty_directory(
    wheel_venv: Path, tmp_path: Path
) -> None:
    empty, home = tmp_path / "empty", tmp_path / "home"
    empty.mkdir()
    home.mkdir()
    env = {"PATH": f"{wheel_venv / 'bin'}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    seatbridge = str(wheel_venv / "bin" / "seatbridge")

    where = _run(
        [str(wheel_venv / "bin" / "python"), "-c", "import bridge; print(bridge.__file__)"],
        empty,
        env,
    )
    assert Path(where.stdout.strip()).is_relative_to(wheel_venv), where.stdout + where.stderr

    version = _run([seatbridge, "--version"], empty, env)
    assert version.returncode == 0 and version.stdout.startswith("seatbridge, version "), version

    demo = _run([seatbridge, "demo"], empty, env)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "Minimal plan" in demo.stdout and "A third plan: nothing to do" in demo.stdout
    assert list(empty.iterdir()) == [], "the demo left files behind"

    init = _run([seatbridge, "init", "site"], empty, env)
    assert init.returncode == 0, init.stdout + init.stderr
    assert "seatbridge config check --config site/seatbridge.toml" in init.stdout
    check = _run([seatbridge, "config", "check", "--config", "site/seatbridge.toml"], empty, env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.startswith("site/seatbridge.toml: OK"), check.stdout
