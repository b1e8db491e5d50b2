"""Tables of the booking service."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime
from shared.sites import SiteReplica

# Outside organisations wait for a veilleur; people of the place (no organisation) are confirmed at once.
DEFAULT_APPROVAL_FOR = ["association", "citizen_group", "public_body", "company"]
ACTIVE_STATUSES = ("requested", "confirmed")
# What a room is for; a coworking room has desks, and a reservation there takes some or all of them.
ROOM_KINDS = ("meeting", "event", "workshop", "coworking")


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
    kind: Mapped[str] = mapped_column(String(20), default="meeting")
    desks: Mapped[int] = mapped_column(Integer, default=0)
    equipment: Mapped[list] = mapped_column(JSON, default=list)
    accessibility: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    # {organisation kind: {"hour": cents, "half_day": cents, "day": cents, "money_box": bool}}
    rates: Mapped[dict] = mapped_column(JSON, default=dict)
    # Booking policy: who waits for a veilleur's approval (rate kinds), durations, horizon, buffer.
    approval_required_for: Mapped[list] = mapped_column(JSON, default=lambda: list(DEFAULT_APPROVAL_FOR))
    min_duration_minutes: Mapped[int] = mapped_column(Integer, default=30)
    max_duration_minutes: Mapped[int] = mapped_column(Integer, default=720)
    horizon_days: Mapped[int] = mapped_column(Integer, default=180)
    buffer_minutes: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def status(self) -> str:
        return "retired" if self.retired_at else "active"


class ReservationSeries(Base):
    __tablename__ = "reservation_series"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id"), index=True)
    frequency: Mapped[str] = mapped_column(String(20))  # weekly | biweekly | monthly_by_weekday
    until: Mapped[date | None] = mapped_column(Date, nullable=True)
    count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    requester_id: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    organisation_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Reservation(Base):
    __tablename__ = "reservations"
    __table_args__ = (Index("ix_reservations_room_span", "room_id", "starts_at", "blocked_until"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    room_id: Mapped[str] = mapped_column(ForeignKey("rooms.id"))
    site_id: Mapped[str] = mapped_column(String(36), index=True)
    series_id: Mapped[str | None] = mapped_column(ForeignKey("reservation_series.id"), nullable=True, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # End of the span the room is held: ends_at plus the room's buffer at booking time.
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    attendees: Mapped[int] = mapped_column(Integer)
    # Coworking desks it takes from coworkers (0 in a room without desks).
    desks: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str | None] = mapped_column(String(200), nullable=True)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    requester_id: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    organisation_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    rate_kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))  # requested | confirmed | declined | cancelled
    decline_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    confirm_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    list_price_cents: Mapped[int] = mapped_column(Integer, default=0)
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    price_breakdown: Mapped[list] = mapped_column(JSON, default=list)
    money_box: Mapped[bool] = mapped_column(Boolean, default=False)
    price_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    contribution_cents: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Closure(Base):
    """A site, or one room of it, closed for a while (holidays, works): nothing can be booked there then."""

    __tablename__ = "closures"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"), index=True)
    # None: the whole site.
    room_id: Mapped[str | None] = mapped_column(ForeignKey("rooms.id"), nullable=True, index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarToken(Base):
    """The secret of an organisation's private calendar feed, stored as a SHA-256 digest."""

    __tablename__ = "calendar_tokens"

    organisation_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    rotated_at: Mapped[datetime] = mapped_column(UTCDateTime())
