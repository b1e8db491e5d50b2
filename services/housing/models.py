"""Tables of the housing service (city-wide: no sites)."""
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
