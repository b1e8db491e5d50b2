"""Event types the housing service publishes and consumes."""
SOURCE = "housing"
PUBLISHED: tuple[str, ...] = ()
CONSUMED: tuple[str, ...] = ()
