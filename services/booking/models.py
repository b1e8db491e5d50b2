"""Tables of the booking service."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from shared.db import UTCDateTime
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.sites import SiteReplica


class Base(DeclarativeBase):
    pass


class Site(SiteReplica, Base):
    __tablename__ = "sites"


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int] = mapped_column(Integer)
    equipment: Mapped[list] = mapped_column(JSON, default=list)
    accessibility: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # {organisation kind: {"hour": cents, "half_day": cents, "day": cents, "money_box": bool}}
    rates: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def status(self) -> str:
        return "retired" if self.retired_at else "active"
