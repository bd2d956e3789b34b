"""The Tessitura side: an async client for TessituraService (JSON or XML) and its payload models."""

from bridge.tessitura.client import TessituraClient
from bridge.tessitura.models import REMOVE_ALL_HOLDS, ReplaceMode, SeatHoldRequest
from bridge.tessitura.retry import RetryPolicy

__all__ = ["REMOVE_ALL_HOLDS", "ReplaceMode", "RetryPolicy", "SeatHoldRequest", "TessituraClient"]
