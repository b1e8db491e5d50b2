"""Alembic environment of the housing service."""
from services.housing.models import Base
from shared.bus.tables import bus_metadata
from shared.migrations import run_env

run_env([Base.metadata, bus_metadata])
