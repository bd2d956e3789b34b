"""The shared state machine: skip follow-ups after a refusal, stop after an unknown outcome."""

from __future__ import annotations

from bridge.core.apply_rules import REFUSED_EARLIER, ApplyRules, Outcome
from bridge.core.plan_model import Operation, OpKind
from bridge.domain import Ownership

ADD = Operation(OpKind.ADD_TO_CHANNEL, ("e1",), ("A-1", "A-2"), "press")
LIFT_A = Operation(OpKind.MARK_FOR_SALE, ("e2",), ("A-2",))
LIFT_B = Operation(OpKind.MARK_FOR_SALE, ("e1",), ("B-1",))
STATUS = Operation(OpKind.CHANGE_STATUS, ("e1",), ("A-1",), "house", allowed_previous=("free",))
CLAIM = Operation(OpKind.LEDGER_CLAIM, ("e1",), ("A-1",), "house", ownership=Ownership.STATUS)
FORGET = Operation(OpKind.LEDGER_FORGET, ("e1",), ("A-1",), "house", ownership=Ownership.STATUS)


def test_everything_runs_while_nothing_went_wrong() -> None:
    rules = ApplyRules()
    for op in (ADD, STATUS, LIFT_A, LIFT_B, CLAIM, FORGET):
        assert rules.decide(op).run
        rules.record((op,), Outcome.DONE)


def test_a_refusal_skips_follow_ups_on_its_objects_only() -> None:
    rules = ApplyRules()
    rules.record((ADD,), Outcome.REFUSED)
    assert rules.decide(LIFT_A).skip == REFUSED_EARLIER  # same label, other key
    assert rules.decide(CLAIM).skip == REFUSED_EARLIER
    assert rules.decide(STATUS).run  # not a follow-up
    assert rules.decide(LIFT_B).run  # other objects
    assert rules.decide(FORGET).run


def test_an_unknown_outcome_stops_every_call_and_claim() -> None:
    rules = ApplyRules()
    rules.record((ADD, STATUS), Outcome.UNKNOWN)
    reason = "an earlier operation (add_to_channel,change_status) has an unknown outcome"
    for op in (LIFT_B, STATUS, CLAIM):
        assert rules.decide(op).skip == reason
    assert rules.decide(FORGET).run  # ledger upkeep only


def test_a_move_skipped_after_a_refusal_holds_back_the_lifts_of_what_it_would_have_moved() -> None:
    """Found by the deep profile: A-3 was to go from a channel to not for sale, A-4 the other way,
    in one REPLACE_CHANNELS. The mark of A-3 is refused, so the replace is skipped; A-4 never
    reached the channel, so lifting its not-for-sale mark would make it buyable."""
    from bridge.core.apply_rules import ApplyRules, Outcome
    from bridge.core.plan_model import Operation, OpKind
    from bridge.mapping.model import ChannelSpec

    vip = ChannelSpec("vip", "VIP", "#aa0000", 1)
    mark = Operation(OpKind.MARK_NOT_FOR_SALE, ("ev-2",), ("A-3",))
    move = Operation(
        OpKind.REPLACE_CHANNELS, ("ev-2",), ("A-3", "A-4"), channels=((vip, ("A-4",)),)
    )
    unmark = Operation(OpKind.MARK_FOR_SALE, ("ev-2",), ("A-4",))
    rules = ApplyRules()
    assert rules.decide(mark).run
    rules.record([mark], Outcome.REFUSED)
    assert not rules.decide(move).run
    assert not rules.decide(unmark).run
