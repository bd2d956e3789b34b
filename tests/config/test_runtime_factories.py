"""Clients and the store are built from a config in one place, bridge.runtime; the config
package itself builds none (and imports no vendor client)."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from bridge.config import load_config
from bridge.errors import ConfigError, InvalidConfigError
from bridge.errors import InvalidConfigError as FromProblems
from bridge.runtime import seatsio_client, state_store, tessitura_client
from bridge.seatsio.client import SeatsioClient

NO_ENV: dict[str, str] = {}
ROOT = Path(__file__).resolve().parents[2]


async def test_clients_come_from_the_config_settings(sandbox_copy: Path) -> None:
    cfg = load_config(sandbox_copy, environ=NO_ENV)
    async with tessitura_client(cfg) as tess, seatsio_client(cfg) as sio:
        assert tess.base_url == cfg.tessitura.base_url
        assert isinstance(sio, SeatsioClient)


def test_a_client_without_its_secret_is_a_config_error(sandbox_copy: Path) -> None:
    cfg = load_config(sandbox_copy, environ=NO_ENV)
    with pytest.raises(ConfigError, match="no Tessitura password"):
        tessitura_client(dataclasses.replace(cfg, tessitura_password=None))
    with pytest.raises(ConfigError, match=r"no seats\.io secret key"):
        seatsio_client(dataclasses.replace(cfg, seatsio_secret_key=None))


def test_the_store_is_the_one_the_config_names(sandbox_copy: Path) -> None:
    cfg = load_config(sandbox_copy, environ=NO_ENV)
    store = state_store(cfg)
    try:
        assert cfg.store.path.exists()
    finally:
        store.close()


def test_invalid_config_error_is_one_class_in_the_error_tree() -> None:
    assert FromProblems is InvalidConfigError
    assert issubclass(InvalidConfigError, ConfigError)


def _bridge_imports(folder: Path) -> set[str]:
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
    return {".".join(m.split(".")[:2]) for m in found if m.startswith("bridge.")}


def test_config_imports_no_vendor_client_and_nothing_above_it() -> None:
    above = {"bridge.seatsio", "bridge.tessitura", "bridge.reconcile", "bridge.runtime"}
    assert not _bridge_imports(ROOT / "bridge" / "config") & above


def test_mapping_imports_nothing_from_the_config() -> None:
    above = {"bridge.config", "bridge.reconcile", "bridge.runtime", "bridge.commands"}
    assert not _bridge_imports(ROOT / "bridge" / "mapping") & above


def test_reconcile_imports_nothing_above_it() -> None:
    # the runtime builds the reconciler; explain goes through the reconciler, not the runtime
    above = {"bridge.runtime", "bridge.commands", "bridge.daemon"}
    assert not _bridge_imports(ROOT / "bridge" / "reconcile") & above
