"""The long-running daemon (``seatbridge run``): scheduling, reloads, metrics and HTTP endpoints."""
