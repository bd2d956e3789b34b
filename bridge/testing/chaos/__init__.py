"""The chaos suite's machinery: fault schedules (:mod:`.schedule`), playing one against the
sandbox and `seatbridge run` (:mod:`.runner`), what must never happen (:mod:`.invariants`), and
the soak and replay command (``python -m bridge.testing.chaos``, :mod:`.soak`)."""
