"""When a kept read may stand in for a full read (bridge.core.freshness), and kept reads as store
notes (bridge.reconcile.kept_reads): properties over drawn reads, garbage notes included."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bridge.core.freshness import FEED_UNREAD, KeptRead, SeenObject, why_read_again
from bridge.reconcile import kept_reads
from bridge.store import open_store

T0 = datetime(2026, 12, 8, 9, tzinfo=UTC)
labels = st.text(min_size=1, max_size=6)
seen = st.builds(
    SeenObject,
    st.none() | st.sampled_from(["free", "booked", "held-press", "weird"]),
    st.none() | st.text(max_size=4),
    st.none() | st.booleans(),
)
cursors = st.none() | st.integers(min_value=0, max_value=50)


@st.composite
def kept(draw: st.DrawFn) -> KeptRead:
    objects = draw(st.dictionaries(labels, seen, max_size=6))
    asked = draw(st.sets(labels, max_size=6)) | set(objects)
    return KeptRead(
        key=draw(st.text(alphabet="perf-0123456789", min_size=1, max_size=8)),
        cursor=draw(cursors),
        read_at=T0 + timedelta(seconds=draw(st.integers(-10, 10))),
        digest=draw(st.sampled_from(["a", "b"])),
        labels=frozenset(asked),
        objects=objects,
    )


@given(
    kept=st.none() | kept(),
    head=cursors | st.just(FEED_UNREAD),
    digest=st.sampled_from(["a", "b"]),
    wanted=st.sets(labels, max_size=4),
    age_s=st.floats(-100, 1000, allow_nan=False),
    max_age_s=st.floats(1, 600),
)
def test_a_kept_read_stands_exactly_when_nothing_could_have_changed(
    kept: KeptRead | None,
    head: int | None,
    digest: str,
    wanted: set[str],
    age_s: float,
    max_age_s: float,
) -> None:
    now = (kept.read_at if kept else T0) + timedelta(seconds=age_s)
    why = why_read_again(
        kept, head=head, digest=digest, wanted=wanted, now=now, max_age_s=max_age_s
    )
    stands = (
        kept is not None
        and head != FEED_UNREAD
        and head == kept.cursor
        and digest == kept.digest
        and wanted <= kept.labels
        and 0 <= (now - kept.read_at).total_seconds() < max_age_s
    )
    assert (why is None) == stands


@given(read=kept())
def test_a_kept_read_comes_back_from_the_store_as_it_went_in(read: KeptRead) -> None:
    store = open_store(":memory:")
    kept_reads.save(store, [read])
    assert kept_reads.load(store, [read.key]) == {read.key: read}
    kept_reads.drop(store, [read.key])
    assert kept_reads.load(store, [read.key]) == {}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=12,
)


@given(
    value=st.text(max_size=40)
    | json_values.map(json.dumps)
    | st.fixed_dictionaries(
        {
            "cursor": json_values,
            "read_at": st.sampled_from(["2026-12-08T09:00:00+00:00", "yesterday", 5]),
            "digest": json_values,
            "labels": json_values,
            "objects": json_values,
        }
    ).map(json.dumps)
)
def test_a_garbled_note_is_no_kept_read_and_never_an_error(value: str) -> None:
    store = open_store(":memory:")
    store.put_note(kept_reads.PREFIX + "perf-201", value)
    found = kept_reads.load(store, ["perf-201"])
    for read in found.values():  # whatever decodes is well formed
        assert read.cursor is None or (type(read.cursor) is int and read.cursor >= 0)
        assert all(isinstance(label, str) for label in read.labels)
        assert all(isinstance(s, SeenObject) for s in read.objects.values())


def test_a_longer_key_is_not_mistaken_for_the_event() -> None:
    store = open_store(":memory:")
    read = KeptRead("perf-2010", 3, T0, "a", frozenset({"A-1"}), {})
    kept_reads.save(store, [read])
    assert kept_reads.load(store, ["perf-201"]) == {}
