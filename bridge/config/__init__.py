"""The operator's configuration file, validated into one immutable :class:`BridgeConfig`.

One idea per module:

- :mod:`bridge.config.settings`: the section models and :class:`BridgeConfig` itself;
- :mod:`bridge.config.loading`: :func:`load_config` (every problem at once, file:line:col) and
  :func:`resolve_config_path`;
- :mod:`bridge.config.secrets`: where secrets come from, and :func:`redact` (what else a URL or a
  message may not show: :mod:`bridge.redact`);
- :mod:`bridge.config.positions`: line and column of a key path in TOML text.

This package builds no client: :mod:`bridge.runtime` turns a config into live clients and a store.
Reference: ``docs/configuration.md``.
"""

from __future__ import annotations

from bridge.config.loading import (
    CONFIG_ENV,
    DEFAULT_CONFIG_PATH,
    load_config,
    resolve_config_path,
)
from bridge.config.secrets import (
    HTTP_TOKEN_ENV,
    SEATSIO_SECRET_ENV,
    STORE_PASSWORD_ENV,
    TESSITURA_PASSWORD_ENV,
    redact,
)
from bridge.config.settings import (
    SECTION_MODELS,
    BridgeConfig,
    Cadence,
    DaemonSettings,
    DiscoverySettings,
    HttpSettings,
    LogSettings,
    MappingSettings,
    SafetySettings,
    ScheduleSettings,
    SeatsioSettings,
    StoreSettings,
    TessituraSettings,
    TestingSettings,
    WritebackSettings,
)
from bridge.errors import InvalidConfigError, Problem

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_PATH",
    "HTTP_TOKEN_ENV",
    "SEATSIO_SECRET_ENV",
    "SECTION_MODELS",
    "STORE_PASSWORD_ENV",
    "TESSITURA_PASSWORD_ENV",
    "BridgeConfig",
    "Cadence",
    "DaemonSettings",
    "DiscoverySettings",
    "HttpSettings",
    "InvalidConfigError",
    "LogSettings",
    "MappingSettings",
    "Problem",
    "SafetySettings",
    "ScheduleSettings",
    "SeatsioSettings",
    "StoreSettings",
    "TessituraSettings",
    "TestingSettings",
    "WritebackSettings",
    "load_config",
    "redact",
    "resolve_config_path",
]
