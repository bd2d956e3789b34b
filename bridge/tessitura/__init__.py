"""The Tessitura side: an async client for TessituraService (JSON or XML) and its payload models."""

from bridge.http import RetryPolicy
from bridge.tessitura.client import TessituraClient
from bridge.tessitura.models import REMOVE_ALL_HOLDS, ReplaceMode, SeatHoldRequest

__all__ = ["REMOVE_ALL_HOLDS", "ReplaceMode", "RetryPolicy", "SeatHoldRequest", "TessituraClient"]
