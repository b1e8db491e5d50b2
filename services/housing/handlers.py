"""Handlers of the events the housing service consumes; each is idempotent."""
HANDLERS: dict = {}
