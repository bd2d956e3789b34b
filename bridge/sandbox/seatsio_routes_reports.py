"""The fake seats.io's read-only views: event and chart reports, and the chart itself.

Reports are built from the world's object views and never change it; their shapes are in
:mod:`bridge.sandbox.seatsio_payloads`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bridge.sandbox.seatsio_http import RouteTable, path_key
from bridge.sandbox.seatsio_payloads import chart_report, chart_summary, event_report, event_summary
from bridge.sandbox.seatsio_world import SeatsioWorld


async def event_report_route(request: Request, world: SeatsioWorld) -> Response:
    only = request.path_params.get("filter")
    report = path_key(request, "report")
    # a by-status report of one status needs the views of that status only (same answer)
    narrowed = only if report == "byStatus" else None
    views = world.object_views(path_key(request), narrowed)
    return JSONResponse(event_report(views, report, only))


async def event_summary_route(request: Request, world: SeatsioWorld) -> Response:
    views = world.object_views(path_key(request))
    return JSONResponse(event_summary(views, path_key(request, "report")))


async def event_deep_summary_route(request: Request, world: SeatsioWorld) -> Response:
    views = world.object_views(path_key(request))
    return JSONResponse(event_summary(views, path_key(request, "report"), deep=True))


async def chart_summary_route(request: Request, world: SeatsioWorld) -> Response:
    chart = world.chart(path_key(request))
    return JSONResponse(chart_summary(list(chart.objects.values()), path_key(request, "report")))


async def chart_report_route(request: Request, world: SeatsioWorld) -> Response:
    chart = world.chart(path_key(request))
    only = request.path_params.get("filter")
    return JSONResponse(
        chart_report(list(chart.objects.values()), path_key(request, "report"), only)
    )


async def retrieve_chart(request: Request, world: SeatsioWorld) -> Response:
    chart = world.chart(path_key(request))
    return JSONResponse(
        {
            "key": chart.key,
            "name": chart.name,
            "status": "PUBLISHED",
            "tags": [],
            "archived": False,
            "categories": [
                {"key": c.key, "label": c.label, "color": c.color, "accessible": c.accessible}
                for c in chart.categories
            ],
        }
    )


async def list_chart_categories(request: Request, world: SeatsioWorld) -> Response:
    """``GET /charts/{key}/categories``: the chart's categories, as the SDKs' list_categories."""
    chart = world.chart(path_key(request))
    return JSONResponse(
        {
            "categories": [
                {"key": c.key, "label": c.label, "color": c.color, "accessible": c.accessible}
                for c in chart.categories
            ]
        }
    )


ROUTES: RouteTable = [
    ("/reports/events/{key}/{report}", event_report_route, "GET"),
    # the summaries before the filtered report, which would read "summary" as a group
    ("/reports/events/{key}/{report}/summary", event_summary_route, "GET"),
    ("/reports/events/{key}/{report}/summary/deep", event_deep_summary_route, "GET"),
    ("/reports/events/{key}/{report}/{filter}", event_report_route, "GET"),
    ("/reports/charts/{key}/{report}", chart_report_route, "GET"),
    ("/reports/charts/{key}/{report}/summary", chart_summary_route, "GET"),
    ("/reports/charts/{key}/{report}/{filter}", chart_report_route, "GET"),
    ("/charts/{key}", retrieve_chart, "GET"),
    ("/charts/{key}/categories", list_chart_categories, "GET"),
]
