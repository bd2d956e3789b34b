"""The operator's mapping tables: the value (:mod:`.model`), loading and validation
(:mod:`.tables`), the seat-table generator (:mod:`.seat_table`) and the online checks
(:mod:`.online`)."""
