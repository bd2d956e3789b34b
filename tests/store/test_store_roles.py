"""The role protocols split StateStore whole: every method of it is in exactly one role, so a
caller annotated with roles never misses a method another backend has, and both backends play
every role (mypy proves the signatures; this keeps the split whole as methods are added)."""

from __future__ import annotations

from itertools import combinations
from typing import Generic, Protocol

from bridge.store import (
    ForSaleBudget,
    Health,
    Instances,
    Journal,
    LaneBudgets,
    Leases,
    Ledger,
    Notes,
    SeatTables,
    StateStore,
    StatusBoard,
    WritebackLedger,
)

ROLES: tuple[type, ...] = (
    Health,
    Ledger,
    WritebackLedger,
    Journal,
    StatusBoard,
    ForSaleBudget,
    SeatTables,
    Notes,
    Leases,
    Instances,
    LaneBudgets,
)

#: What StateStore adds to the roles: the tenant and the lifetime.
OWN = {"venue", "close"}


def members(protocol: type) -> set[str]:
    """The public methods and attributes ``protocol`` itself declares."""
    declared = set(vars(protocol)) | set(vars(protocol).get("__annotations__", {}))
    return {name for name in declared if not name.startswith("_")}


def test_every_method_of_the_store_is_in_exactly_one_role() -> None:
    for one, other in combinations(ROLES, 2):
        assert not members(one) & members(other), (one.__name__, other.__name__)
    assert set(StateStore.__mro__) - {StateStore, Protocol, Generic, object} == set(ROLES)
    assert members(StateStore) == OWN  # nothing else is declared outside a role


def test_both_backends_play_every_role(store: StateStore) -> None:
    for role in ROLES:
        missing = {name for name in members(role) if not hasattr(store, name)}
        assert not missing, (role.__name__, missing)
