"""HTTP API of the housing service."""

blueprints: list = []
