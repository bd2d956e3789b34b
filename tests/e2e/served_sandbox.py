"""Both emulators served on ephemeral loopback ports and a config file pointing at them (the
set-up shared by the CLI tests, tests/e2e/test_cli_*.py), now in :mod:`bridge.testing.sandbox`;
re-exported here for the tests that import it by this name."""

from bridge.testing.sandbox import (
    lease_count,
    run,
    sandbox_config,
    served_sandbox,
    spawn,
    store_path,
)

__all__ = ["lease_count", "run", "sandbox_config", "served_sandbox", "spawn", "store_path"]
