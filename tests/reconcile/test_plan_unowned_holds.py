"""A store lost or replaced leaves the bridge's holds in seats.io with no ledger entry: the
bridge cannot prove they are its own, so it never releases them, and it says so as an error
(the performance is not converged) instead of reading them as sales or someone else's."""

from __future__ import annotations

from reconcile_world import SPECS, desired_for, event, obj

from bridge.core.findings import FindingKind, Severity
from bridge.core.plan import plan
from bridge.core.policy import Policy

#: the hold-code table gives the bridge the status "held"
POLICY = Policy(bridge_statuses=frozenset({"held"}))


def test_a_bridge_status_without_a_ledger_entry_is_left_held_and_reported_as_an_error() -> None:
    p = plan(desired_for("ev"), {"ev": event("ev", [obj("A-1", "held")])}, {}, POLICY, SPECS)
    assert not p.api_operations  # unproven: never released
    (found,) = p.findings
    assert (found.kind, found.label, found.severity) == (
        FindingKind.UNOWNED_BRIDGE_STATUS,
        "A-1",
        Severity.ERROR,
    )
    assert "ledger has no entry" in found.detail


def test_a_status_the_bridge_does_not_use_is_still_read_as_someone_elses() -> None:
    p = plan(desired_for("ev"), {"ev": event("ev", [obj("A-1", "booked")])}, {}, POLICY, SPECS)
    assert not p.api_operations and not p.findings


def test_a_bridge_channel_object_without_a_ledger_entry_is_an_error_not_converged() -> None:
    p = plan(
        desired_for("ev"),
        {"ev": event("ev", [obj("A-2", channel="vip")], channels=SPECS)},
        {},
        Policy(),
        SPECS,
    )
    assert not p.api_operations
    (found,) = p.findings
    assert (found.kind, found.severity) == (FindingKind.UNOWNED_IN_BRIDGE_CHANNEL, Severity.ERROR)
