"""Tables of the housing service (city-wide: no sites)."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from shared.db import UTCDateTime


class Base(DeclarativeBase):
    pass


class HousingRequest(Base):
    """A newcomer's request; contact details are the ones its author agreed to share."""

    __tablename__ = "requests"
    __table_args__ = (Index("ix_requests_status_expires", "status", "expires_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | expired
    arrival_date: Mapped[date] = mapped_column(Date)
    stay_months: Mapped[int] = mapped_column(Integer)
    max_budget_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    areas: Mapped[list] = mapped_column(JSON, default=list)
    household_size: Mapped[int] = mapped_column(Integer, default=1)
    kind_wanted: Mapped[str] = mapped_column(String(16), default="any")
    languages: Mapped[list] = mapped_column(JSON, default=list)
    smoker: Mapped[bool] = mapped_column(Boolean, default=False)
    has_pets: Mapped[bool] = mapped_column(Boolean, default=False)
    hours: Mapped[str] = mapped_column(String(16), default="flexible")
    accessibility_needs: Mapped[list] = mapped_column(JSON, default=list)
    max_roommates: Mapped[int] = mapped_column(Integer, default=0)
    about: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    contact_phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Offer(Base):
    """A host's room or flat; published only after a veilleur's review."""

    __tablename__ = "offers"
    __table_args__ = (Index("ix_offers_status_total", "status", "total_cents"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner_id: Mapped[str] = mapped_column(String(80), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | published | rejected
    kind: Mapped[str] = mapped_column(String(16))
    rent_cents: Mapped[int] = mapped_column(Integer)
    charges_cents: Mapped[int] = mapped_column(Integer, default=0)
    total_cents: Mapped[int] = mapped_column(Integer)  # rent + charges, what the budget is compared with
    deposit_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    available_from: Mapped[date] = mapped_column(Date)
    available_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    area: Mapped[str] = mapped_column(String(40))
    max_occupants: Mapped[int] = mapped_column(Integer, default=1)
    furnished: Mapped[bool] = mapped_column(Boolean, default=False)
    languages: Mapped[list] = mapped_column(JSON, default=list)
    smoking_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    pets_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    hours: Mapped[str] = mapped_column(String(16), default="flexible")
    accessibility: Mapped[list] = mapped_column(JSON, default=list)
    house_rules: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    contact_phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    rejection_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OfferReport(Base):
    """Someone signed in reported an offer (scam, already let...): it goes back to review."""

    __tablename__ = "offer_reports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[str] = mapped_column(String(80), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RoommateGroup(Base):
    """Newcomers proposed to rent together; `formed` once every member agreed."""

    __tablename__ = "roommate_groups"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="proposed")  # proposed | formed
    score: Mapped[int] = mapped_column(Integer, default=0)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    formed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    members: Mapped[list["GroupMember"]] = relationship(back_populates="group", cascade="all, delete-orphan",
                                                        order_by="GroupMember.request_id")


class GroupMember(Base):
    __tablename__ = "group_members"

    group_id: Mapped[str] = mapped_column(ForeignKey("roommate_groups.id", ondelete="CASCADE"), primary_key=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True,
                                            unique=True)  # one group at a time per request
    agreed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    group: Mapped[RoommateGroup] = relationship(back_populates="members")


class RoommateVeto(Base):
    """A request declined a proposed group: it is not proposed with those requests again."""

    __tablename__ = "roommate_vetoes"

    request_id: Mapped[str] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True)
    other_request_id: Mapped[str] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"),
                                                  primary_key=True)


class Match(Base):
    """The consent state between a seeker (a request, or a formed group) and an offer.

    Rankings are computed on read; a row exists only once someone answered or wrote.
    """

    __tablename__ = "matches"
    __table_args__ = (UniqueConstraint("seeker_id", "offer_id", name="uq_matches_seeker_offer"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    seeker_kind: Mapped[str] = mapped_column(String(8))  # request | group
    seeker_id: Mapped[str] = mapped_column(String(36), index=True)
    offer_id: Mapped[str] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    # interested | declined | withdrawn; for a group, the group's answer (every member interested)
    seeker_answer: Mapped[str | None] = mapped_column(String(12), nullable=True)
    member_answers: Mapped[dict] = mapped_column(JSON, default=dict)  # group: {request_id: answer}
    host_answer: Mapped[str | None] = mapped_column(String(12), nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    @property
    def mutual(self) -> bool:
        return self.seeker_answer == "interested" and self.host_answer == "interested"


class Message(Base):
    """A message between the two sides of a match, written before or after consent."""

    __tablename__ = "messages"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    match_id: Mapped[str] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[str] = mapped_column(String(80), index=True)
    sender_side: Mapped[str] = mapped_column(String(8))  # seeker | host
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
