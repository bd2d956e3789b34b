"""Object status changes for one or many events, and in batch (priority lane).

Only conditional changes (``allowed_previous_statuses``) are repeated after a 5xx or a timeout:
seats.io refuses a repeat that would overwrite anything else, so a repeat cannot clobber a sale.
An unconditional change whose outcome is unknown raises OutcomeUnknownError instead.

Changes carrying more objects than the split limit go out in parts (see :mod:`.chunking`): a
multi-event change stays all-or-nothing across its events within each part, not across parts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, TypeAdapter

from bridge.errors import MalformedResponseError
from bridge.seatsio._group import ApiGroup
from bridge.seatsio.chunking import pack_batch, split_status_change
from bridge.seatsio.lanes import Lane
from bridge.seatsio.models import ChangeObjectStatusResult, EventObjectInfo
from bridge.seatsio.requests import StatusChangeRequest
from bridge.seatsio.translate import VENDOR

_GROUP = "/events/groups/actions/change-object-status"
_BATCH = "/events/actions/change-object-status"
_Result = TypeAdapter(ChangeObjectStatusResult)


class _BatchResults(BaseModel):
    results: list[ChangeObjectStatusResult] = []


_Batch = TypeAdapter(_BatchResults)


def _expand(expand: bool) -> dict[str, Any]:
    return {"expand": "objects"} if expand else {}


class StatusesApi(ApiGroup):
    """Status changes; with ``expand`` the results list each object as it is afterwards."""

    @property
    def objects_per_request(self) -> int:
        """The most objects one status request carries (the split limit)."""
        return self._split.objects_per_request

    def requests_for(self, change: StatusChangeRequest) -> int:
        """How many requests :meth:`change` sends for ``change``: more than one means the change
        is split, all or nothing across its events within each request but not across them."""
        if not change.objects:
            return 0
        return len(split_status_change(change, self._split.objects_per_request))

    def batch_requests_for(self, changes: Sequence[StatusChangeRequest]) -> int:
        """How many requests :meth:`change_in_batch` sends (one transaction each)."""
        return len(pack_batch(changes, self._split.objects_per_request))

    async def change(
        self, change: StatusChangeRequest, *, expand: bool = True
    ) -> ChangeObjectStatusResult:
        """Apply one change to all its events at once (all or nothing per part)."""
        objects: dict[str, EventObjectInfo] = {}
        if not change.objects:
            return ChangeObjectStatusResult()
        for part in split_status_change(change, self._split.objects_per_request):
            if expand:
                result = await self._conn.call_parsed(
                    _Result,
                    "POST",
                    _GROUP,
                    lane=Lane.PRIORITY,
                    repeatable=part.is_conditional,
                    params=_expand(expand),
                    body=part.to_json(),
                )
                objects.update(result.objects)
            else:
                await self._conn.call(
                    "POST",
                    _GROUP,
                    lane=Lane.PRIORITY,
                    repeatable=part.is_conditional,
                    body=part.to_json(),
                )
        return ChangeObjectStatusResult(objects=objects)

    async def change_in_batch(
        self, changes: Sequence[StatusChangeRequest], *, expand: bool = True
    ) -> list[ChangeObjectStatusResult]:
        """Independent single-event changes, applied in order, one transaction per request.

        Returns one result per change, in order; a change split across requests has its parts'
        objects merged.
        """
        merged: list[dict[str, EventObjectInfo]] = [{} for _ in changes]
        for request in pack_batch(changes, self._split.objects_per_request):
            body = {"statusChanges": [change.to_json(batch=True) for _, change in request]}
            repeatable = all(change.is_conditional for _, change in request)
            if not expand:
                await self._conn.call(
                    "POST", _BATCH, lane=Lane.PRIORITY, repeatable=repeatable, body=body
                )
                continue
            batch = await self._conn.call_parsed(
                _Batch,
                "POST",
                _BATCH,
                lane=Lane.PRIORITY,
                repeatable=repeatable,
                params=_expand(expand),
                body=body,
            )
            results = batch.results
            if len(results) != len(request):
                sent = self._conn.describe("POST", _BATCH, params=_expand(expand))
                raise MalformedResponseError(
                    f"{sent}: {len(results)} results for {len(request)} changes; "
                    "the changes were applied",
                    vendor=VENDOR,
                    body=batch.model_dump_json()[:4000],
                )
            for (index, _), result in zip(request, results, strict=True):
                merged[index].update(result.objects)
        return [ChangeObjectStatusResult(objects=objects) for objects in merged]
