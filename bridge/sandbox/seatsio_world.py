"""The fake seats.io workspace: one object that answers every call, composed of one part per idea.

Pure and in memory, with no HTTP in sight, so the rules can be tested directly and the HTTP layer
(:mod:`bridge.sandbox.seatsio_app`) stays thin. Every refusal is a
:class:`~bridge.sandbox.seatsio_errors.SeatsioApiError` carrying the status and code seats.io
would answer. The guesses behind the rules are listed in :mod:`bridge.sandbox.seatsio_app`.

The rules live in the parts: :mod:`~bridge.sandbox.seatsio_workspace` (charts and events),
:mod:`~bridge.sandbox.seatsio_events`, :mod:`~bridge.sandbox.seatsio_seasons`,
:mod:`~bridge.sandbox.seatsio_channels`, :mod:`~bridge.sandbox.seatsio_forsale_configs`,
:mod:`~bridge.sandbox.seatsio_hold_tokens` and :mod:`~bridge.sandbox.seatsio_status_changes`.
This facade keeps the one flat API the app, the seed, the CLI and the tests call.
"""

from __future__ import annotations

from datetime import timedelta

from bridge.sandbox.seatsio_channels import Channels
from bridge.sandbox.seatsio_clock import Clock, utc_now
from bridge.sandbox.seatsio_events import Events
from bridge.sandbox.seatsio_forsale_configs import ForSaleConfigs
from bridge.sandbox.seatsio_hold_tokens import HoldTokens
from bridge.sandbox.seatsio_model import Chart
from bridge.sandbox.seatsio_seasons import Seasons
from bridge.sandbox.seatsio_status_changes import ObjectStatuses
from bridge.sandbox.seatsio_workspace import WORKSPACE_KEY, Workspace

__all__ = [
    "SeatsioWorld",
]


class SeatsioWorld:
    """One seats.io workspace in memory. ``clock`` is injectable so tests can move time.

    ``max_delay``: the longest a status change takes to show in the status-change listings (each
    change draws its own delay in ``[0, max_delay]`` from an RNG seeded with ``feed_seed``); 0, the
    default, shows every change at once. Object infos and reports are never delayed.

    Each call is a method of the part that owns its idea, exposed here under its usual name.
    """

    def __init__(
        self,
        chart: Chart,
        *,
        clock: Clock = utc_now,
        workspace_key: str = WORKSPACE_KEY,
        max_delay: timedelta = timedelta(0),
        feed_seed: int = 0,
    ) -> None:
        workspace = Workspace(chart, clock=clock, workspace_key=workspace_key)
        channels = Channels(workspace)
        for_sale = ForSaleConfigs(workspace)
        self._hold_tokens = tokens = HoldTokens(clock)
        events = Events(workspace, channels, for_sale)
        seasons = Seasons(workspace, channels, for_sale)
        self._statuses = statuses = ObjectStatuses(
            workspace, channels, for_sale, tokens, max_delay=max_delay, seed=feed_seed
        )

        self.charts = workspace.charts
        self.clock = clock
        self.workspace_key = workspace_key
        self.budget = for_sale.budget

        # lookup
        self.chart = workspace.chart
        self.event = workspace.event
        self.events = workspace.events
        self.season = seasons.season
        self.by_id = workspace.by_id
        self.top_season = workspace.top_season
        self.members = workspace.members
        self.partial_seasons = workspace.partial_seasons
        self.partial_seasons_of = workspace.partial_seasons_of

        # events and seasons
        self.create_event = events.create_event
        self.update_event = events.update_event
        self.create_season = seasons.create_season
        self.create_events_in_season = seasons.create_events_in_season
        self.create_partial_season = seasons.create_partial_season
        self.add_events_to_partial_season = seasons.add_events_to_partial_season
        self.remove_event_from_partial_season = seasons.remove_event_from_partial_season

        # channels
        self.channels = channels.channels
        self.channel_of = channels.channel_of
        self.add_channels = channels.add_channels
        self.replace_channels = channels.replace_channels
        self.update_channel = channels.update_channel
        self.remove_channel = channels.remove_channel
        self.add_channel_objects = channels.add_channel_objects
        self.remove_channel_objects = channels.remove_channel_objects

        # for sale
        self.is_for_sale = for_sale.is_for_sale
        self.rate_limit_info = for_sale.rate_limit_info
        self.edit_for_sale_config = for_sale.edit_for_sale_config
        self.edit_for_sale_configs = for_sale.edit_for_sale_configs
        self.mark_as_not_for_sale = for_sale.mark_as_not_for_sale
        self.mark_as_for_sale = for_sale.mark_as_for_sale
        self.mark_everything_as_for_sale = for_sale.mark_everything_as_for_sale
        self.mark_everything_as_not_for_sale = for_sale.mark_everything_as_not_for_sale

        # hold tokens
        self.create_hold_token = tokens.create_hold_token
        self.hold_token = tokens.hold_token

        # object statuses
        self.change_status = statuses.change_status
        self.book = statuses.book
        self.release = statuses.release
        self.hold = statuses.hold
        self.set_status = statuses.set_status
        self.object_status = statuses.object_status
        self.object_view = statuses.object_view
        self.object_views = statuses.object_views
        self.status_changes = statuses.status_changes

    @property
    def max_delay(self) -> timedelta:
        """The longest a status change takes to show in the status-change listings."""
        return self._statuses.max_delay

    @max_delay.setter
    def max_delay(self, delay: timedelta) -> None:
        """Changes made from now on draw their delays in ``[0, delay]``; earlier ones keep theirs."""
        if delay < timedelta(0):
            raise ValueError(f"max_delay must not be negative, not {delay}")
        self._statuses.max_delay = delay

    @property
    def hold_token_ttl(self) -> timedelta:
        """How long a hold token lives when created without ``expiresInMinutes``."""
        return self._hold_tokens.ttl

    @hold_token_ttl.setter
    def hold_token_ttl(self, ttl: timedelta) -> None:
        self._hold_tokens.ttl = ttl
