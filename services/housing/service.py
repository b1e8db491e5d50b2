"""Use cases of the housing service; no Flask here."""
