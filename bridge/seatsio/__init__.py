"""The seats.io adapter: an async client with typed payloads, shared lanes and safe retries."""

from bridge.http import RetryPolicy
from bridge.seatsio.chunking import SplitLimits
from bridge.seatsio.client import REGIONS, SeatsioClient, region_url
from bridge.seatsio.lanes import Lane, LaneLimits
from bridge.seatsio.models import (
    ChangeObjectStatusResult,
    Channel,
    EditForSaleConfigResult,
    Event,
    EventObjectInfo,
    ForSaleConfig,
    Page,
    RateLimitInfo,
    Season,
    StatusChangeEntry,
)
from bridge.seatsio.requests import (
    Category,
    ChannelSpec,
    ForSaleEdit,
    ObjectRef,
    StatusChangeRequest,
    StatusChangeType,
)
from bridge.seatsio.stats import CallStats

__all__ = [
    "REGIONS",
    "CallStats",
    "Category",
    "ChangeObjectStatusResult",
    "Channel",
    "ChannelSpec",
    "EditForSaleConfigResult",
    "Event",
    "EventObjectInfo",
    "ForSaleConfig",
    "ForSaleEdit",
    "Lane",
    "LaneLimits",
    "ObjectRef",
    "Page",
    "RateLimitInfo",
    "RetryPolicy",
    "Season",
    "SeatsioClient",
    "SplitLimits",
    "StatusChangeEntry",
    "StatusChangeRequest",
    "StatusChangeType",
    "region_url",
]
