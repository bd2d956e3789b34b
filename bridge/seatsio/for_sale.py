"""Incremental for-sale edits, for one event or several (regular lane).

Every call that marks something not for sale spends one of the event's 10 restricting edits per
day, so an edit whose outcome is unknown is never repeated blindly (OutcomeUnknownError: re-read the
event's ``for_sale_config``), and a 429 whose Retry-After is beyond the retry policy's ceiling is
handed back as RateLimitedError at once. Splitting a large edit spends one budget unit per part.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import TypeAdapter

from bridge.seatsio._group import ApiGroup
from bridge.seatsio.chunking import split_for_sale
from bridge.seatsio.lanes import Lane
from bridge.seatsio.models import EditForSaleConfigResult
from bridge.seatsio.requests import ForSaleEdit

_ONE = "/events/{key}/actions/edit-for-sale-config"
_MANY = "/events/actions/edit-for-sale-config"
_Result = TypeAdapter(EditForSaleConfigResult)
_Results = TypeAdapter(dict[str, EditForSaleConfigResult])


class ForSaleApi(ApiGroup):
    """Mark places for sale or not for sale without touching the others."""

    async def edit(self, event_key: str, edit: ForSaleEdit) -> EditForSaleConfigResult | None:
        """Apply the edit; the result of the last part (config and budget left), None if empty."""
        result: EditForSaleConfigResult | None = None
        for part in split_for_sale({event_key: edit}, self._split.objects_per_request):
            result = await self._conn.call_parsed(
                _Result,
                "POST",
                _ONE,
                lane=Lane.REGULAR,
                repeatable=False,
                path={"key": event_key},
                body=part[event_key].to_json(),
            )
        return result

    async def edit_for_events(
        self, edits: Mapping[str, ForSaleEdit]
    ) -> dict[str, EditForSaleConfigResult]:
        """Edit several events in one call (or parts); the latest result per event."""
        results: dict[str, EditForSaleConfigResult] = {}
        for part in split_for_sale(edits, self._split.objects_per_request):
            body = {"events": {key: edit.to_json() for key, edit in part.items()}}
            answered = await self._conn.call_parsed(
                _Results, "POST", _MANY, lane=Lane.REGULAR, repeatable=False, body=body
            )
            results.update(answered)
        return results
