"""Provisioning: the seats.io seasons and events the Tessitura performances need
(`seatbridge seasons sync`). :mod:`.plan` is the pure planner, :mod:`.sync` its shell."""
