"""The fake seats.io driven over loopback by the official seats.io Python SDK.

``seatsio`` (PyPI, pinned in the dev extras) points at any base URL through ``Region(url)``, as
its own test suite does (seatsio-python ``tests/seatsioClientTest.py``). Its tests run against
seats.io's real API, so where a test here repeats one of theirs (named in the docstring) the fake
answers as the real service does. Two parts: every call the bridge makes (``bridge/seatsio/*.py``)
goes through the SDK once; then the behaviours of issue 9, each with its source.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest
import requests
import seatsio
from seatsio import Category, ChannelCreationParams, ForSaleConfig, TableBookingConfig
from seatsio.events.objectProperties import ObjectProperties
from seatsio.events.statusChangeRequest import StatusChangeRequest
from seatsio.exceptions import RateLimitExceededException, SeatsioException
from seatsio_fixtures import clock_fixture, venue  # noqa: F401
from starlette.applications import Starlette

from bridge.errors import ForSaleLimitError, RateLimitedError
from bridge.sandbox import SEATSIO_SECRET_KEY
from bridge.sandbox.control import Faults
from bridge.sandbox.seatsio_app import create_seatsio_app
from bridge.sandbox.seatsio_clock import ManualClock
from bridge.sandbox.seatsio_workspace import WORKSPACE_KEY
from bridge.seatsio.translate import error_from_response

pytestmark = [
    pytest.mark.loopback,
    # the SDK's own serialiser warns about its next major version on every request
    pytest.mark.filterwarnings("ignore:keys will default to True:DeprecationWarning"),
]

CHART = "grand-hall-chart"
A1, A2, A3, B1 = "Orchestra-A-1", "Orchestra-A-2", "Orchestra-A-3", "Orchestra-B-1"
#: The sample venue's chart categories as seats.io shows them: numeric keys are numbers.
CHART_CATEGORIES = [
    Category(1, "Orchestra", "#2E86C1", False),
    Category(2, "Mezzanine", "#28B463", False),
    Category(3, "Balcony", "#D68910", False),
]
EDIT = "POST /events/{key}/actions/edit-for-sale-config"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """requests honours proxy variables; loopback must not go through one."""
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "http_proxy",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield


@pytest.fixture
def app(clock: ManualClock) -> Starlette:
    return create_seatsio_app(venue(), empty=True, clock=clock)


@pytest.fixture
def base_url(app: Starlette, loopback: Callable[[Any], str]) -> str:
    return loopback(app)


@pytest.fixture
def client(base_url: str) -> seatsio.Client:
    # no retries: a 429 is the answer under test, not something to sleep through
    return seatsio.Client(seatsio.Region(base_url), SEATSIO_SECRET_KEY, max_retries=0)


def raw(base_url: str, method: str, path: str, **kw: Any) -> requests.Response:
    """A request as the SDK sends it, for what the SDK hides (headers, status codes)."""
    return requests.request(method, base_url + path, auth=(SEATSIO_SECRET_KEY, ""), **kw)


def refusal(call: Callable[[], Any]) -> SeatsioException:
    with pytest.raises(SeatsioException) as info:
        call()
    return info.value


# ============================================================ every call the bridge makes


def test_create_retrieve_and_list_events(client: seatsio.Client) -> None:
    """bridge/seatsio/events.py: POST /events, GET /events/{key}, GET /events."""
    channel = ChannelCreationParams("house", "House", "#FF0000", 1, [A1, A2])
    created = client.events.create(
        CHART,
        event_key="e1",
        name="Gala",
        channels=[channel],
        for_sale_config=ForSaleConfig.create_new(False, [B1], {}, []),
    )
    assert (created.key, created.name, created.chart_key) == ("e1", "Gala", CHART)
    client.events.create(CHART, event_key="e2")

    event = client.events.retrieve("e1")
    assert event.id == created.id and not event.is_event_in_season
    assert event.table_booking_config == TableBookingConfig.inherit()
    assert event.supports_best_available is True and event.updated_on is None
    assert [(c.key, c.name, c.color, c.index, c.objects) for c in event.channels] == [
        ("house", "House", "#FF0000", 1, [A1, A2])
    ]
    assert event.for_sale_config == ForSaleConfig.create_new(False, [B1], {}, [])
    # docs "retrieve an event": not present outside a season; the SDK reads None
    assert event.partial_season_keys_for_event is None
    assert [e.key for e in client.events.list()] == ["e2", "e1"]  # newest first


def test_create_retrieve_and_update_a_season(client: seatsio.Client) -> None:
    """bridge/seatsio/seasons.py: POST /seasons, GET /events/{key}, POST /events/{key}."""
    season = client.seasons.create(
        CHART,
        key="s1",
        name="Season",
        event_keys=["s1-e1", "s1-e2"],
        channels=[ChannelCreationParams("subs", "Subscribers", "#00FF00", 1, [A1])],
        for_sale_config=ForSaleConfig.create_new(False, [A2], {}, []),
        for_sale_propagated=False,
    )
    # seatsio-python testCreateSeason.test_event_keys_is_optional: in the order given
    assert [e.key for e in season.events] == ["s1-e1", "s1-e2"]
    assert season.is_top_level_season and season.for_sale_propagated is False

    client.seasons.update(
        "s1",
        name="Renamed",
        for_sale_propagated=True,
        categories=[Category("subs", "Subscribers", "#123456")],
        object_categories={A1: "subs"},
    )
    retrieved = client.seasons.retrieve("s1")
    assert retrieved.name == "Renamed" and retrieved.for_sale_propagated is True
    assert retrieved.partial_season_keys == [] and retrieved.partial_season_keys_for_event is None
    assert retrieved.object_categories == {A1: "subs"}
    member = client.events.retrieve("s1-e1")
    assert member.is_event_in_season and member.top_level_season_key == "s1"
    assert member.partial_season_keys_for_event == []
    assert member.channels == []  # guessed: the season's channels live on the season
    assert client.events.retrieve_object_info("s1-e1", A1).channel == "subs"  # and apply here


def test_create_events_in_a_season(client: seatsio.Client) -> None:
    """bridge/seatsio/seasons.py: POST /seasons/{key}/actions/create-events."""
    client.seasons.create(CHART, key="s1")
    made = client.seasons.create_events("s1", number_of_events=2)
    assert len(made) == 2 and all(e.is_event_in_season for e in made)


def test_channel_calls(client: seatsio.Client) -> None:
    """bridge/seatsio/channels.py: add, add many, update, add/remove objects, remove, replace."""
    client.events.create(CHART, event_key="e1")
    channels = client.events.channels

    def shown() -> dict[str, list[str]]:
        return {c.key: c.objects for c in client.events.retrieve("e1").channels}

    channels.add("e1", "house", "House", "#FF0000", 1, [A1])
    channels.add_multiple(
        "e1",
        [
            ChannelCreationParams("press", "Press", "#00FF00", 2, [A2]),
            ChannelCreationParams("comps", "Comps", "#0000FF", 3, []),
        ],
    )
    assert shown() == {"house": [A1], "press": [A2], "comps": []}
    channels.update("e1", "house", name="House seats", objects=[A1, A3])
    channels.add_objects("e1", "comps", objects=[B1])
    channels.remove_objects("e1", "house", objects=[A3])
    assert shown() == {"house": [A1], "press": [A2], "comps": [B1]}
    channels.remove("e1", "press")
    assert shown() == {"house": [A1], "comps": [B1]}
    channels.replace("e1", [ChannelCreationParams("house", "House", "#FF0000", 1, [A2])])
    assert shown() == {"house": [A2]}


def test_for_sale_edits(client: seatsio.Client) -> None:
    """bridge/seatsio/for_sale.py: edit-for-sale-config for one event and for several."""
    client.events.create(CHART, event_key="e1")
    client.events.create(CHART, event_key="e2")
    one = client.events.edit_for_sale_config("e1", None, [{"object": A1}, {"object": A2}])
    assert (one.for_sale_config.for_sale, one.for_sale_config.objects) == (False, [A1, A2])
    # seatsio-python testEditForSaleConfig.test_rate_limit_info_is_returned
    assert one.rate_limit_info.rate_limit_remaining_calls == 9
    assert one.rate_limit_info.rate_limit_reset_date is not None

    many = client.events.edit_for_sale_config_for_events(
        {"e1": {"for_sale": [{"object": A1}]}, "e2": {"not_for_sale": [{"object": A3}]}}
    )
    assert many["e1"].for_sale_config.objects == [A2]
    assert many["e1"].rate_limit_info.rate_limit_remaining_calls == 9  # marking for sale is free
    assert many["e2"].for_sale_config.objects == [A3]
    assert client.events.retrieve_object_info("e2", A3).for_sale is False


def test_status_changes_on_events_and_in_batch(client: seatsio.Client) -> None:
    """bridge/seatsio/statuses.py: /events/groups/actions/change-object-status and the batch."""
    client.seasons.create(CHART, key="s1", event_keys=["s1-e1"])
    client.events.create(CHART, event_key="e1")
    result = client.events.change_object_status(
        ["e1"], [A1], "house-hold", allowed_previous_statuses=["free"], ignore_channels=True
    )
    assert result.objects[A1].status == "house-hold"
    results = client.events.change_object_status_in_batch(
        [
            StatusChangeRequest("e1", [A2], "press-hold", ignore_channels=True),
            StatusChangeRequest("s1", [A3], "comp", allowed_previous_statuses=["free"]),
            StatusChangeRequest("e1", [A1], type=StatusChangeRequest.RELEASE),
        ]
    )
    assert [list(r.objects) for r in results] == [[A2], [A3], [A1]]
    assert results[1].objects[A3].status == "comp" and results[2].objects[A1].status == "free"
    assert client.events.retrieve_object_info("s1-e1", A3).status == "comp"


def test_reads_of_object_state(client: seatsio.Client) -> None:
    """bridge/seatsio/reports.py: object infos, byStatus / byChannel / byLabel, status changes."""
    client.events.create(
        CHART, event_key="e1", channels=[ChannelCreationParams("house", "H", "#F00", 1, [A1])]
    )
    client.events.book("e1", [A2], order_id="o1")

    infos = client.events.retrieve_object_infos("e1", [A1, A2])
    assert (infos[A1].status, infos[A1].channel, infos[A2].status) == ("free", "house", "booked")
    by_status = client.events.reports.by_status("e1")
    assert [i.label for i in by_status.get("booked")] == [A2]
    assert [i.label for i in client.events.reports.by_status("e1", "booked")] == [A2]
    assert client.events.reports.by_status("e1", "nothing-here") == []
    assert [i.label for i in client.events.reports.by_channel("e1", "house")] == [A1]
    assert len(client.events.reports.by_channel("e1").get("NO_CHANNEL")) == 1999
    assert client.events.reports.by_label("e1", A2)[0].order_id == "o1"

    changes = list(client.events.status_changes("e1").list())
    assert [(c.object_label, c.status) for c in changes] == [(A2, "booked")]
    assert changes[0].origin.type == "API_CALL" and changes[0].is_present_on_chart
    assert list(client.events.status_changes("e1", filter="Orchestra-B").list()) == []


def test_a_workspace_key_is_accepted(base_url: str) -> None:
    """The bridge may send X-Workspace-Key (bridge/seatsio/connection.py)."""
    client = seatsio.Client(seatsio.Region(base_url), SEATSIO_SECRET_KEY, WORKSPACE_KEY)
    assert client.events.create(CHART, event_key="e1").key == "e1"
    other = seatsio.Client(seatsio.Region(base_url), SEATSIO_SECRET_KEY, "another-workspace")
    assert refusal(lambda: other.events.retrieve("e1")).errors is None  # 401, empty body


# ============================================================ 1. error items


def test_a_refused_status_change_is_exactly_code_and_message(client: seatsio.Client) -> None:
    """seatsio-python testChangeObjectStatus.test_allowed_previous_statuses and
    test_reject_previous_statuses: the items compare equal to exactly {code, message}."""
    client.events.create(CHART, event_key="e1")
    allowed = refusal(
        lambda: client.events.change_object_status(
            "e1", [A1], "lolzor", allowed_previous_statuses=["SomeOtherStatus"]
        )
    )
    assert allowed.errors == [
        {
            "code": "ILLEGAL_STATUS_CHANGE",
            "message": "Cannot change from [free] to [lolzor]: free is not in the list of "
            "allowed previous statuses",
        }
    ]
    assert allowed.requestId is not None
    rejected = refusal(
        lambda: client.events.change_object_status(
            "e1", [A1], "lolzor", rejected_previous_statuses=["free"]
        )
    )
    assert rejected.errors == [
        {
            "code": "ILLEGAL_STATUS_CHANGE",
            "message": "Cannot change from [free] to [lolzor]: free is in the list of "
            "rejected previous statuses",
        }
    ]
    batch = refusal(
        lambda: client.events.change_object_status_in_batch(
            [StatusChangeRequest("e1", [A1], "x", allowed_previous_statuses=["booked"])]
        )
    )
    assert batch.errors == [
        {
            "code": "ILLEGAL_STATUS_CHANGE",
            "message": "Cannot change from [free] to [x]: free is not in the list of "
            "allowed previous statuses",
        }
    ]


def test_the_documented_error_body_surrounds_the_items(base_url: str) -> None:
    """docs "error handling": status, messages, errors, warnings, requestId."""
    response = raw(base_url, "GET", "/events/nope")
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"status", "messages", "errors", "warnings", "requestId"}
    assert body["errors"] == [{"code": "EVENT_NOT_FOUND", "message": "Event not found: nope"}]
    assert (body["status"], body["messages"], body["warnings"]) == (
        404,
        ["Event not found: nope"],
        [],
    )


# ============================================================ 2. GET /events/{key}


def test_categories_are_the_charts_then_the_events(client: seatsio.Client) -> None:
    """seatsio-python testRetrieveEvent (the chart's three categories, numeric keys as numbers)
    and testCreateEvent.test_categories_is_optional (three plus the event's one)."""
    plain = client.events.create(CHART)
    assert client.events.retrieve(plain.key).categories == CHART_CATEGORIES
    own = Category(key="eventCategory", label="Event Level Category", color="#AAABBB")
    event = client.events.create(CHART, categories=[own])
    assert event.categories == [*CHART_CATEGORIES, own]
    client.events.remove_categories(event.key)  # seatsio-python testUpdateEvent
    assert client.events.retrieve(event.key).categories == CHART_CATEGORIES


def test_numeric_object_categories_are_accepted_and_echoed(client: seatsio.Client) -> None:
    """seatsio-python testCreateEvent.test_object_categories_is_optional and testUpdateEvent."""
    event = client.events.create(CHART, object_categories={A1: 2})
    assert event.object_categories == {A1: 2}
    assert client.events.retrieve_object_info(event.key, A1).category_label == "Mezzanine"
    client.events.update(event.key, object_categories={A2: 3})
    assert client.events.retrieve(event.key).object_categories == {A2: 3}
    client.events.remove_object_categories(event.key)
    assert client.events.retrieve(event.key).object_categories is None


def test_the_date_is_stored_and_returned(client: seatsio.Client, base_url: str) -> None:
    """seatsio-python testCreateEvent.test_date_is_optional and testUpdateEvent.test_updateDate."""
    event = client.events.create(CHART, date=date(2022, 1, 10))
    assert event.date == date(2022, 1, 10)
    client.events.update(event.key, date=date(2023, 1, 10))
    assert client.events.retrieve(event.key).date == date(2023, 1, 10)
    assert client.events.create(CHART).date is None
    # guessed, strict: a date that is not a calendar date fails loudly instead of being kept
    bad = raw(base_url, "POST", f"/events/{event.key}", json={"date": "10/01/2023"})
    assert bad.status_code == 400


def test_is_in_the_past_is_accepted_on_update(client: seatsio.Client) -> None:
    """seatsio-python testUpdateEvent.test_updateIsInThePast; docs "retrieve a season": only
    events in a season can be marked, seasons cannot."""
    client.seasons.create(CHART, key="s1", event_keys=["event1"])
    assert client.events.retrieve("event1").is_in_the_past is False
    client.events.update("event1", is_in_the_past=True)
    assert client.events.retrieve("event1").is_in_the_past is True
    assert refusal(lambda: client.events.update("s1", is_in_the_past=True)).errors


# ============================================================ 3. seasons, charts


def test_create_events_answers_newest_first(client: seatsio.Client) -> None:
    """seatsio-python testCreateEventsInSeason.test_event_keys."""
    season = client.seasons.create(CHART)
    events = client.seasons.create_events(season.key, event_keys=["event1", "event2"])
    assert [e.key for e in events] == ["event2", "event1"]
    # the season itself lists them in the order they were created
    assert [e.key for e in client.seasons.retrieve(season.key).events] == ["event1", "event2"]


def test_chart_not_found_names_the_workspace(client: seatsio.Client) -> None:
    """seatsio-python testErrorHandling.test_400."""
    error = refusal(lambda: client.charts.retrieve("unexistingChart"))
    assert "Chart not found: unexistingChart was not found in workspace" in error.message
    assert error.errors is not None and len(error.errors) == 1
    assert error.errors[0]["code"] == "CHART_NOT_FOUND"
    assert "was not found in workspace" in error.errors[0]["message"]
    assert error.requestId is not None
    created = refusal(lambda: client.events.create("unexistingChart"))
    assert created.errors is not None and created.errors[0]["code"] == "CHART_NOT_FOUND"
    assert "was not found in workspace" in created.message


# ============================================================ 4. status-change listing


@pytest.fixture
def four_bookings(client: seatsio.Client) -> str:
    """As seatsio-python testListStatusChanges: A-1, A-2, B-1, A-3 booked in one batch."""
    client.events.create(CHART, event_key="e1")
    client.events.change_object_status_in_batch(
        [StatusChangeRequest("e1", [label], "booked") for label in (A1, A2, B1, A3)]
    )
    return "e1"


def labels_of(changes: Any) -> list[str]:
    return [c.object_label for c in changes]


def test_status_changes_newest_first_by_default(client: seatsio.Client, four_bookings: str) -> None:
    changes = client.events.status_changes(four_bookings)
    assert labels_of(changes.list()) == [A3, B1, A2, A1]
    assert labels_of(client.events.status_changes(four_bookings, filter="A-").list()) == [
        A3,
        A2,
        A1,
    ]


def test_status_changes_sorted_by_label(client: seatsio.Client, four_bookings: str) -> None:
    """testListStatusChanges: test_sort_asc, test_sort_desc, test_sort_asc_page_before/after."""
    ascending = client.events.status_changes(four_bookings, sort_field="objectLabel")
    assert labels_of(ascending.list()) == [A1, A2, A3, B1]
    descending = client.events.status_changes(
        four_bookings, sort_field="objectLabel", sort_direction="desc"
    )
    assert labels_of(descending.list()) == [B1, A3, A2, A1]

    # a fresh lister per page, as in the SDK tests: the SDK's lister keeps its cursors
    lister = client.events.status_changes(four_bookings, sort_field="objectLabel")
    assert labels_of(lister.page_before(lister.list()[2].id, 2).items) == [A1, A2]
    lister = client.events.status_changes(four_bookings, sort_field="objectLabel")
    page = lister.page_after(lister.list()[0].id, 2)
    assert labels_of(page.items) == [A2, A3]
    assert page.next_page_starts_after is not None


def test_status_changes_sorted_by_date_and_status(
    client: seatsio.Client, clock: ManualClock, four_bookings: str
) -> None:
    clock.advance(60)
    client.events.release(four_bookings, [A2])
    assert labels_of(
        client.events.status_changes(four_bookings, sort_field="date", sort_direction="asc").list()
    ) == [
        A1,
        A2,
        B1,
        A3,
        A2,
    ]
    by_status = list(
        client.events.status_changes(
            four_bookings, sort_field="status", sort_direction="desc"
        ).list()
    )
    assert [c.status for c in by_status] == ["free", "booked", "booked", "booked", "booked"]


def test_an_unknown_sort_is_refused(client: seatsio.Client, four_bookings: str) -> None:
    """Guessed, strict: a misspelt sort would otherwise be ignored silently."""
    error = refusal(
        lambda: list(client.events.status_changes(four_bookings, sort_field="label").list())
    )
    assert error.errors is not None and error.errors[0]["code"] == "VALIDATION_ERROR"


# ============================================================ 5. summary reports


def test_summary_by_status(client: seatsio.Client) -> None:
    """seatsio-python testEventReportsSummary.test_summaryByStatus, on the sandbox's chart."""
    client.events.create(CHART, event_key="e1")
    client.events.book("e1", [ObjectProperties(A1, ticket_type="tt1")], order_id="order1")
    report = client.events.reports.summary_by_status("e1")
    assert set(report) == {"booked", "free"}
    booked = report["booked"]
    assert booked["count"] == 1
    assert booked["bySection"] == {"Orchestra": 1}
    assert booked["byCategoryKey"] == {"1": 1} and booked["byCategoryLabel"] == {"Orchestra": 1}
    assert booked["byChannel"] == {"NO_CHANNEL": 1}
    assert booked["byAvailability"] == {"not_available": 1}
    assert "byStatus" not in booked  # a group does not break down by its own dimension
    assert report["free"]["count"] == 1999


def test_summary_by_object_type_and_section(client: seatsio.Client) -> None:
    """testEventReportsSummary.test_summaryByObjectType (byStatus inside), test_summaryBySection
    (byZone inside), testChartReportsSummary (empty object types listed with count 0)."""
    client.events.create(CHART, event_key="e1")
    by_type = client.events.reports.summary_by_object_type("e1")
    assert by_type["seat"]["count"] == 2000 and by_type["seat"]["byStatus"] == {"free": 2000}
    assert by_type["table"]["count"] == 0 and by_type["booth"]["count"] == 0
    by_section = client.events.reports.summary_by_section("e1")
    assert by_section["Orchestra"]["byZone"] == {"NO_ZONE": by_section["Orchestra"]["count"]}
    charts = client.charts.reports.summary_by_object_type(CHART)
    assert charts["seat"]["count"] == 2000 and charts["seat"]["bySection"]["Balcony"] > 0


def test_deep_summary(client: seatsio.Client) -> None:
    """seatsio-python testEventReportsDeepSummary.test_deepSummaryByStatus."""
    client.events.create(CHART, event_key="e1")
    client.events.book("e1", [A1])
    report = client.events.reports.deep_summary_by_status("e1")
    section = report["booked"]["bySection"]["Orchestra"]
    assert report["booked"]["count"] == 1 and section["count"] == 1
    assert section["byAvailability"] == {"not_available": 1}
    assert "bySection" not in section and "byStatus" not in section


def test_a_summary_is_never_read_as_a_group_filter(client: seatsio.Client) -> None:
    """A summary answers its own shape or a 404, never ``{"summary": []}``."""
    client.events.create(CHART, event_key="e1")
    assert "summary" not in client.events.reports.summary_by_channel("e1")
    error = refusal(lambda: client.http_client.url("/reports/events/e1/byLabel/summary").get())
    assert error.errors is not None and error.errors[0]["code"] == "NOT_FOUND"


# ============================================================ 6. report items


def test_report_items_carry_the_documented_fields(client: seatsio.Client) -> None:
    """seatsio-python testEventReports.test_reportItemProperties, for a seat."""
    channel = ChannelCreationParams("channelKey1", "channel 1", "#00FF00", 1, [A1])
    client.events.create(CHART, event_key="e1", channels=[channel])
    client.events.book(
        "e1",
        [ObjectProperties(A1, ticket_type="tt1", extra_data={"foo": "bar"})],
        order_id="order1",
        ignore_channels=True,
    )
    item = client.events.reports.by_label("e1").get(A1)[0]
    assert (item.status, item.label, item.ticket_type, item.order_id) == (
        "booked",
        A1,
        "tt1",
        "order1",
    )
    assert (item.category_key, item.category_label, item.object_type) == ("1", "Orchestra", "seat")
    assert item.for_sale is True and item.is_available is False and item.channel == "channelKey1"
    assert item.extra_data == {"foo": "bar"}
    assert item.num_booked is None and item.capacity is None and item.book_as_a_whole is None
    flags = (
        item.is_accessible,
        item.is_companion_seat,
        item.has_lift_up_armrests,
        item.is_hearing_impaired,
        item.is_semi_ambulatory_seat,
        item.has_sign_language_interpretation,
        item.is_plus_size,
        item.has_restricted_view,
    )
    assert flags == (False,) * 8
    assert item.left_neighbour is None and item.right_neighbour == A2
    assert item.distance_to_focal_point is not None
    assert item.season_status_overridden_quantity == 0
    assert item.labels["own"] == {"label": "1", "type": "seat"}
    assert item.labels["parent"] == {"label": "A", "type": "row"}


def test_season_status_overridden_quantity(client: seatsio.Client) -> None:
    """seatsio-python testEventReports.test_seasonStatusOverriddenQuantity."""
    season = client.seasons.create(CHART, number_of_events=1)
    event = season.events[0]
    assert (
        client.events.reports.by_label(event.key).get(A1)[0].season_status_overridden_quantity == 0
    )
    client.events.override_season_object_status(event.key, [A1])
    item = client.events.reports.by_label(event.key).get(A1)[0]
    assert item.season_status_overridden_quantity == 1


def test_by_object_type_lists_empty_groups(client: seatsio.Client) -> None:
    """seatsio-python testEventReports.testByObjectType."""
    client.events.create(CHART, event_key="e1")
    report = client.events.reports.by_object_type("e1")
    assert len(report.get("seat")) == 2000
    assert report.get("table") == [] and report.get("booth") == []
    assert report.get("generalAdmission") == []


# ============================================================ 7. the two 429s


def test_the_daily_for_sale_limit_resets_at_a_calendar_boundary(
    client: seatsio.Client, clock: ManualClock, base_url: str
) -> None:
    """docs "mark all objects as not for sale": 10 calls per day per event, the example reset
    date 2021-10-01T23:00:00Z, 429 with Retry-After in seconds. The sandbox's clock reads
    2026-01-01 12:00 UTC."""
    client.events.create(CHART, event_key="e1")
    for n in range(10):
        result = client.events.edit_for_sale_config(
            "e1", None, [{"object": f"Orchestra-C-{n + 1}"}]
        )
    assert result.rate_limit_info.rate_limit_remaining_calls == 0
    assert result.rate_limit_info.rate_limit_reset_date == datetime(2026, 1, 1, 23, 0)

    with pytest.raises(RateLimitExceededException) as info:
        client.events.edit_for_sale_config("e1", None, [{"object": B1}])
    assert info.value.errors is not None
    assert info.value.errors[0]["code"] == "RATE_LIMIT_EXCEEDED"
    assert info.value.errors[0]["data"] == {
        "rateLimitRemainingCalls": 0,
        "rateLimitResetDate": "2026-01-01T23:00:00Z",
    }
    refused = raw(
        base_url,
        "POST",
        "/events/e1/actions/edit-for-sale-config",
        json={"notForSale": [{"object": B1}]},
    )
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, str(11 * 3600))

    clock.advance(timedelta(hours=11) - timedelta(seconds=1))  # 22:59:59: still spent
    with pytest.raises(RateLimitExceededException):
        client.events.edit_for_sale_config("e1", None, [{"object": B1}])
    clock.advance(1)  # 23:00: the day's ten calls are back at once
    again = client.events.edit_for_sale_config("e1", None, [{"object": B1}])
    assert again.rate_limit_info.rate_limit_remaining_calls == 9
    assert again.rate_limit_info.rate_limit_reset_date == datetime(2026, 1, 2, 23, 0)


def test_the_concurrency_429_carries_no_retry_after_and_no_rate_limit_info(
    app: Starlette, client: seatsio.Client, base_url: str
) -> None:
    """docs "rate limit": past 10 regular-lane requests in flight, a 429 and nothing more."""
    client.events.create(CHART, event_key="e1")
    app.state.control.set_faults(Faults(latency_s=0.5, path_pattern="^/events/e1$"))
    answers: list[requests.Response] = []
    sdk_errors: list[SeatsioException] = []

    def read(n: int) -> None:
        if n % 2:
            answers.append(raw(base_url, "GET", "/events/e1"))
            return
        try:
            client.events.retrieve("e1")
        except SeatsioException as exc:
            sdk_errors.append(exc)

    threads = [threading.Thread(target=read, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    refused = [a for a in answers if a.status_code == 429]
    assert refused and sdk_errors
    assert all(isinstance(e, RateLimitExceededException) for e in sdk_errors)
    for response in refused:
        assert "Retry-After" not in response.headers
        (item,) = response.json()["errors"]
        assert set(item) == {"code", "message"}  # no data, so no rate-limit info


def test_the_bridge_tells_the_two_429s_apart(
    app: Starlette, clock: ManualClock, base_url: str
) -> None:
    """Both refusals as the fake sends them, read by bridge/seatsio/translate.py: only the daily
    limit is a ForSaleLimitError."""
    body = {"notForSale": [{"object": A1}]}
    http = httpx.Client(base_url=base_url, auth=(SEATSIO_SECRET_KEY, ""))
    with http:
        assert http.post("/events", json={"chartKey": CHART, "eventKey": "e1"}).is_success
        for _ in range(10):
            assert http.post("/events/e1/actions/edit-for-sale-config", json=body).is_success
        daily = http.post("/events/e1/actions/edit-for-sale-config", json=body)
        app.state.control.set_faults(Faults(latency_s=0.3))
        lane: list[httpx.Response] = []

        def edit() -> None:
            with httpx.Client(base_url=base_url, auth=(SEATSIO_SECRET_KEY, "")) as own:
                lane.append(own.post("/events/e1/actions/edit-for-sale-config", json={}))

        threads = [threading.Thread(target=edit) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    daily_error = error_from_response(daily, EDIT)
    assert isinstance(daily_error, ForSaleLimitError) and daily_error.retry_after == 11 * 3600
    refused = [r for r in lane if r.status_code == 429]
    assert refused
    for response in refused:
        error = error_from_response(response, EDIT)
        assert isinstance(error, RateLimitedError) and not isinstance(error, ForSaleLimitError)


def test_a_429_whose_data_says_calls_are_left_is_not_the_daily_limit() -> None:
    """bridge/seatsio/translate.py reads the fake's rate-limit info as a marker against."""
    error = {"code": "RATE_LIMIT_EXCEEDED", "message": "Slow down"}
    for left, daily in ((0, True), (3, False)):
        data = {"rateLimitRemainingCalls": left, "rateLimitResetDate": "2026-01-01T23:00:00Z"}
        body = {"status": 429, "messages": ["Slow down"], "errors": [{**error, "data": data}]}
        response = httpx.Response(429, headers={"Retry-After": "60"}, json=body)
        assert isinstance(error_from_response(response, EDIT), ForSaleLimitError) is daily
