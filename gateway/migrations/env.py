"""Alembic environment of the gateway."""
import gateway.notifications.models  # noqa: F401 - the notifier's tables live in the gateway's database
from gateway.models import Base
from shared.bus.tables import bus_metadata
from shared.migrations import run_env

run_env([Base.metadata, bus_metadata])
