"""The pure core: what the box office holds becomes what seats.io should show (``desired``),
that and what seats.io shows become a plan (``plan``), a plan's results become how a unit ended
(``outcome``). Plain values in, plain values out: no I/O, no clock, no logging (the import
contracts in ``pyproject.toml`` hold it so). Everything that talks to a vendor or the store is in
:mod:`bridge.reconcile` and below."""
