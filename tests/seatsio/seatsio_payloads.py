"""Response bodies from the seats.io notes (docs/api-seatsio.md and reference/), for mock servers."""

from __future__ import annotations

from typing import Any

EVENT: dict[str, Any] = {
    "id": 168,
    "key": "evt1",
    "chartKey": "4150dd",
    "supportsBestAvailable": True,
    "tableBookingConfig": {"mode": "INHERIT"},
    "forSaleConfig": {
        "forSale": False,
        "objects": ["section1"],
        "areaPlaces": {},
        "categories": [],
    },
    "channels": [
        {
            "id": "ch-id-1",
            "key": "8950dd",
            "name": "Channel 1",
            "color": "#aaaaaa",
            "index": 1,
            "objects": ["A-1", "A-2"],
            "areaPlaces": {},
        }
    ],
    "isEventInSeason": False,
    "createdOn": "2017-03-05T10:58:44.715Z",
    "updatedOn": None,
    "somethingNew": {"added": "next year"},
}

EVENT_IN_SEASON: dict[str, Any] = {
    "id": 170,
    "key": "event1",
    "chartKey": "4150dd",
    "forSaleConfig": None,
    "channels": [],
    "isEventInSeason": True,
    "topLevelSeasonKey": "aSeason",
    "partialSeasonKeysForEvent": ["p1"],
    "season": {"forSaleConfig": {"forSale": False, "objects": ["A-9"], "categories": []}},
}

# The create-season page answers with ``eventKey`` rather than ``key``.
SEASON: dict[str, Any] = {
    "id": 169,
    "eventKey": "aSeason",
    "chartKey": "4150dd",
    "tableBookingConfig": {"mode": "CUSTOM", "tables": {"T1": "BY_TABLE"}},
    "supportsBestAvailable": True,
    "createdOn": "2017-05-05T10:58:44.715Z",
    "events": [EVENT_IN_SEASON],
    "categories": [{"key": 1, "label": "Category 1", "color": "#aaaaaa", "accessible": True}],
    "partialSeasonKeys": [],
    "isSeason": True,
    "isTopLevelSeason": True,
    "isPartialSeason": False,
    "isEventInSeason": False,
    "forSalePropagated": True,
    "forSaleConfig": {
        "forSale": False,
        "objects": ["section1", "section2"],
        "areaPlaces": {"GA1": 3},
        "categories": ["eventCategory1"],
    },
}


def object_info(label: str, status: str = "free", **extra: Any) -> dict[str, Any]:
    info: dict[str, Any] = {
        "label": label,
        "labels": {"own": {"label": label.split("-")[-1], "type": "seat"}},
        "status": status,
        "categoryLabel": "Cat1",
        "categoryKey": "9",
        "forSale": True,
        "objectType": "seat",
        "isAvailable": status == "free",
        "channel": None,
        "orderId": None,
        "ticketType": None,
        "holdToken": None,
        "extraData": None,
    }
    info.update(extra)
    return info


def rate_limited_result(remaining: int = 9) -> dict[str, Any]:
    return {
        "forSaleConfig": {
            "forSale": False,
            "objects": ["A-1"],
            "areaPlaces": {"GA1": 5},
            "categories": [],
        },
        "rateLimitInfo": {
            "rateLimitRemainingCalls": remaining,
            "rateLimitResetDate": "2026-10-01T23:00:00Z",
        },
    }


STATUS_CHANGE: dict[str, Any] = {
    "id": 169,
    "eventId": 12,
    "status": "booked",
    "quantity": 1,
    "objectLabel": "A-1",
    "date": "2017-05-05T10:58:44.715Z",
    "orderId": "anOrder",
    "extraData": {"userId": "123"},
    "holdToken": None,
    "origin": {"type": "API_CALL", "ip": "10.4.32.67"},
    "isPresentOnChart": True,
}
