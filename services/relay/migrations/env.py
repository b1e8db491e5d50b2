"""Alembic environment of the relay service."""
from services.relay.models import Base
from shared.bus.tables import bus_metadata
from shared.migrations import run_env

run_env([Base.metadata, bus_metadata])
