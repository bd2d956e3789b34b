"""A command imports what it runs: `seatbridge reconcile`, started by cron for every pass, loads
neither the sandbox's web framework, nor the daemon's, nor the XML reader of a JSON bridge."""

from __future__ import annotations

import subprocess
import sys

NOT_FOR_RECONCILE = ("bridge.sandbox", "bridge.daemon.web", "starlette", "fastapi", "lxml")


def test_reconcile_loads_none_of_what_other_commands_need() -> None:
    code = (
        "import sys\n"
        "from bridge.cli import main\n"
        "try:\n"
        "    main(['reconcile', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in sys.modules if m.startswith({NOT_FOR_RECONCILE!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "reconcile [OPTIONS]" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"
