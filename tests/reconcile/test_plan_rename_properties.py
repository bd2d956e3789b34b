"""Renames converge, as properties: a configured channel whose key changed but whose name stayed
(seats.io keeps names unique per event, and the simulation refuses a duplicate as seats.io does)
is planned so that one strict run brings the event to the desired state and the next plan is empty;
the held objects are never out of a channel between two calls, and a partner's channel (one the
ledger never filled) is never touched."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from reconcile_world import PROPERTY

from bridge.core.observed import ObservedEvent
from bridge.core.plan import plan
from bridge.core.plan_model import OpKind
from bridge.core.policy import Policy
from bridge.core.simulate import simulate
from bridge.domain import Ownership
from bridge.mapping.model import ChannelSpec
from bridge.testing.worlds import desired_for, entry, event, ledger, obj

LABELS = [f"A-{i}" for i in range(1, 9)]
OLD = ChannelSpec("house", "House seats", "#B03A2E", 1)
NEW = ChannelSpec("house-seats", "House seats", "#B03A2E", 1)
PRESS = ChannelSpec("press", "Press", "#000000", 2)


@st.composite
def renames(draw: st.DrawFn) -> dict[str, object]:
    held = draw(st.sets(st.sampled_from(LABELS), min_size=1))
    # what the new config wants in the renamed channel: mostly the same seats, maybe more or fewer
    wanted = draw(st.sets(st.sampled_from(LABELS))) if draw(st.booleans()) else set(held)
    press = draw(st.sets(st.sampled_from(LABELS))) - held
    owns_all = draw(st.booleans())
    return {"held": held, "wanted": wanted - press, "press": press, "owns_all": owns_all}


@PROPERTY
@given(renames())
def test_a_key_renamed_with_its_name_kept_converges_in_one_strict_run(
    case: dict[str, object],
) -> None:
    held, wanted, press = case["held"], case["wanted"], case["press"]
    assert isinstance(held, set) and isinstance(wanted, set) and isinstance(press, set)
    key = "ev"
    policy = Policy(owns_all_channels=frozenset({key}) if case["owns_all"] else frozenset())
    objects = [obj(lbl, channel="house" if lbl in held else None) for lbl in LABELS]
    seen = {key: event(key, objects, channels=[OLD])}
    led = ledger(*(entry(key, lbl, Ownership.CHANNEL, "house") for lbl in held))
    channels = {"house-seats": wanted} if wanted else {}
    if press:
        channels["press"] = press
    desired = desired_for(key, channels=channels)
    specs = (NEW, PRESS)

    def still_held(_op: object, now: dict[str, ObservedEvent] | object) -> None:
        assert isinstance(now, dict)
        ev = now[key]
        out = {lbl for lbl in held & wanted if ev.objects[lbl].channel is None}
        assert not out, out

    first = plan(desired, seen, led, policy, specs)
    after, led2 = simulate(first, seen, led, strict=True, on_step=still_held)
    again = plan(desired, after, led2, policy, specs)
    assert again.is_empty, again.operations
    ev = after[key]
    for lbl in LABELS:
        expected = "house-seats" if lbl in wanted else "press" if lbl in press else None
        assert ev.objects[lbl].channel == expected


@PROPERTY
@given(st.sets(st.sampled_from(LABELS), min_size=1), st.booleans())
def test_a_partner_channel_with_the_name_is_never_touched(
    partner: set[str], owns_all: bool
) -> None:
    key = "ev"
    theirs = ChannelSpec("partner", "House seats", "#123456", 7)
    policy = Policy(owns_all_channels=frozenset({key}) if owns_all else frozenset())
    objects = [obj(lbl, channel="partner" if lbl in partner else None) for lbl in LABELS]
    seen = {key: event(key, objects, channels=[theirs])}
    free = [lbl for lbl in LABELS if lbl not in partner]
    desired = desired_for(key, channels={"house-seats": free[:1]} if free else {})
    p = plan(desired, seen, {}, policy, (NEW,))
    for op in p.api_operations:
        assert not (op.kind is OpKind.UPDATE_CHANNEL and op.target == "partner"), op
        for spec, labels in op.channels:
            if spec.key == "partner":
                assert (spec.name, set(labels)) == ("House seats", partner), op
