"""Splitting requests: never more than the limit, nothing lost or reordered, same input same parts."""

from __future__ import annotations

from urllib.parse import quote_plus

from hypothesis import given
from hypothesis import strategies as st

from bridge.seatsio import ForSaleEdit, ObjectRef, StatusChangeRequest
from bridge.seatsio.chunking import (
    SplitLimits,
    chunked,
    label_reads,
    pack_batch,
    split_for_sale,
    split_status_change,
)

labels = st.lists(st.integers(1, 999).map(lambda n: f"A-{n}"), max_size=60)
sizes = st.integers(min_value=1, max_value=17)


@given(labels, sizes)
def test_chunks_respect_the_size_and_concatenate_back_to_the_input(
    items: list[str], size: int
) -> None:
    parts = chunked(items, size)
    assert all(len(p) <= size for p in parts)
    assert [x for p in parts for x in p] == items
    assert chunked(items, size) == parts


#: any text a chart may use as a label: spaces, non-ASCII, characters that need escaping
any_labels = st.lists(st.text(min_size=1, max_size=40), max_size=80)


@given(any_labels, st.integers(1, 30), st.integers(1, 600))
def test_label_reads_bound_count_and_query_bytes_and_lose_nothing(
    items: list[str], count: int, query_bytes: int
) -> None:
    limits = SplitLimits(labels_per_read=count, query_bytes_per_read=query_bytes)
    reads = label_reads(items, limits)
    assert [x for r in reads for x in r] == items
    for read in reads:
        encoded = sum(len(quote_plus(label)) + len("label=&") for label in read)
        assert len(read) <= count
        # only a label too long for any read is sent alone, over the bound
        assert encoded <= query_bytes or len(read) == 1
    assert label_reads(items, limits) == reads


def test_short_labels_fill_a_read_long_ones_split_early() -> None:
    limits = SplitLimits()
    assert len(label_reads([f"A-{n}" for n in range(500)], limits)) == 1
    long = [f"Grand Tier Left-AA-{n}" for n in range(500)]
    assert len(label_reads(long, limits)) == 3  # 29 bytes each: 241 a read


@given(labels.filter(bool), sizes)
def test_split_status_change_keeps_every_event_in_every_part(items: list[str], size: int) -> None:
    change = StatusChangeRequest.change_to("held", ["e1", "e2"], items)
    parts = split_status_change(change, size)
    assert all(p.events == ("e1", "e2") and 0 < len(p.objects) <= size for p in parts)
    assert [o.label for p in parts for o in p.objects] == items


@given(st.lists(labels, max_size=6), sizes)
def test_pack_batch_fills_requests_up_to_the_size_in_order(
    groups: list[list[str]], size: int
) -> None:
    changes = [StatusChangeRequest.change_to("held", [f"e{i}"], g) for i, g in enumerate(groups)]
    requests = pack_batch(changes, size)
    assert all(0 < sum(len(c.objects) for _, c in r) <= size for r in requests)
    flat = [(i, o.label) for r in requests for i, c in r for o in c.objects]
    assert flat == [(i, label) for i, g in enumerate(groups) for label in g]
    # Greedy: every request but the last is full.
    assert all(sum(len(c.objects) for _, c in r) == size for r in requests[:-1])


@given(st.dictionaries(st.sampled_from(["e1", "e2", "e3"]), st.tuples(labels, labels)), sizes)
def test_split_for_sale_keeps_each_event_s_places_and_respects_the_size(
    edits: dict[str, tuple[list[str], list[str]]], size: int
) -> None:
    given_edits = {k: ForSaleEdit.of(f, n) for k, (f, n) in edits.items()}
    parts = split_for_sale(given_edits, size)
    assert all(0 < sum(e.size for e in p.values()) <= size for p in parts)
    for key, (for_sale, not_for_sale) in edits.items():
        assert [o.label for p in parts if key in p for o in p[key].for_sale] == for_sale
        assert [o.label for p in parts if key in p for o in p[key].not_for_sale] == not_for_sale


def test_pack_batch_drops_changes_without_objects() -> None:
    changes = [
        StatusChangeRequest.release(["e1"], []),
        StatusChangeRequest.release(["e2"], [ObjectRef("A-1")]),
    ]
    assert [[i for i, _ in r] for r in pack_batch(changes, 10)] == [[1]]
