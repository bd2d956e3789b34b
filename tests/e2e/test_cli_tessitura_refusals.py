"""Tessitura refusing the configured user group (403), as an operator meets it: a real `seatbridge`
process against the sandbox on loopback ends the pass with one line on stderr and exit 1, as a 401
does (tests/e2e/test_cli_leases.py), and leaves no lease behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from served_sandbox import lease_count, run, served_sandbox

from bridge.sandbox import TESSITURA_USER_GROUP, Sandbox
from bridge.sandbox.control import Faults
from bridge.sandbox.tessitura_app import forbidden
from bridge.sandbox.tessitura_world import NO_RIGHTS_USER_GROUP, Permission

#: The fifth of the sample venue's five units (a season, 201-204): with four running at once it
#: starts only once another has applied its writes.
LAST_UNIT = 204


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Sandbox, Path]]:
    with served_sandbox(tmp_path) as both:
        yield both


def forbidden_body() -> list[dict[str, str]]:
    """The body the fake answers a user group without the View right on performances."""
    code, description = forbidden(TESSITURA_USER_GROUP, "TXN/Performances", Permission.VIEW)
    return [{"Code": code, "Description": description}]


@pytest.mark.slow  # over 2 s: `make test-slow` (CI runs it)
def test_a_403_read_mid_run_ends_the_run_with_one_line_and_no_lease_left(
    served: tuple[Sandbox, Path],
) -> None:
    box, config = served
    box.tessitura_control.set_faults(
        Faults(
            error_rate=1.0,
            error_status=403,
            error_body=forbidden_body(),
            method="GET",
            path_pattern=f"Performances/{LAST_UNIT}/Seats/Holds",
            # answered late, so that the other units (read 8 at a time) have written by then
            latency_s=1.5,
        )
    )
    done = run(config, "reconcile", "--all", "--json")
    err = done.stderr
    assert done.returncode == 1, err
    assert "Traceback" not in err and "closed database" not in err
    assert len(err.splitlines()) == 1, err
    assert "403" in err and "user group" in err and "View rights" in err
    # mid-run: other performances were read and written before the refusal
    assert any(
        e.endpoint.startswith("GET") and "Seats/Holds" in e.endpoint and e.status == 200
        for e in box.tessitura_control.log.entries
    )
    assert any(
        e.endpoint.startswith("POST") and e.status < 300 for e in box.seatsio_control.log.entries
    )
    assert lease_count(config) == 0


def test_a_user_group_without_rights_fails_plan_with_one_line(
    served: tuple[Sandbox, Path],
) -> None:
    _, config = served
    text = config.read_text().replace(
        f'user_group = "{TESSITURA_USER_GROUP}"', f'user_group = "{NO_RIGHTS_USER_GROUP}"'
    )
    assert NO_RIGHTS_USER_GROUP in text
    config.write_text(text)
    done = run(config, "plan", "--all")
    assert done.returncode == 1, done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
    assert "tessitura HTTP 403" in done.stderr and "user group" in done.stderr
    assert "Traceback" not in done.stderr
    assert "Nothing to do" not in done.stdout
