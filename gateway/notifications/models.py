"""Tables of the notifier, in the gateway's database: the log, the mails waiting, decisions, tokens, preferences."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.models import Base
from shared.db import UTCDateTime


class Notification(Base):
    """One message decided for one person: its status, never its content nor the address."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_due", "next_attempt_at", postgresql_where=text("status = 'queued'"),
              sqlite_where=text("status = 'queued'")),
        Index("ix_notifications_status_created", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))                  # e.g. rooms.approved
    topic: Mapped[str] = mapped_column(String(20))                 # security, amap, rooms, ...
    account_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    # What makes it unique: the same key is never decided twice (event id or job occurrence + person).
    dedup_key: Mapped[str] = mapped_column(String(250), unique=True)
    status: Mapped[str] = mapped_column(String(10))                # queued, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # An SMTP code and a short reason, never an address.
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OutgoingMail(Base):
    """The rendered message of a queued notification; deleted as soon as it is sent or has failed."""

    __tablename__ = "notification_mails"

    notification_id: Mapped[str] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"),
                                                 primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    message: Mapped[bytes] = mapped_column(LargeBinary)


class Decision(Base):
    """An event (or an occurrence of a job, such as a reminder) still to turn into notifications.

    The consumer only records it; the notifier decides it later, fetching what it needs from the
    services and retrying with a growing delay while one of them is away. Each is decided once."""

    __tablename__ = "notification_decisions"
    __table_args__ = (
        Index("ix_notification_decisions_pending", "next_attempt_at", postgresql_where=text("decided_at IS NULL"),
              sqlite_where=text("decided_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # event id, or a job's occurrence key
    type: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str | None] = mapped_column(String(120), nullable=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)         # events carry no personal data
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(200), nullable=True)


class DigestItem(Base):
    """Something to tell in the next grouped message (requests to approve, new housing messages)."""

    __tablename__ = "notification_digest_items"
    __table_args__ = (Index("ix_notification_digest_pending", "digest", "group_key", "created_at"),)

    id: Mapped[str] = mapped_column(String(200), primary_key=True)  # the decision it comes from
    digest: Mapped[str] = mapped_column(String(60))                 # e.g. rooms.requested
    group_key: Mapped[str] = mapped_column(String(120))             # a site id, an account id
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Preference(Base):
    """Whether an account wants the messages of a topic; no row means yes."""

    __tablename__ = "notification_preferences"

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    topic: Mapped[str] = mapped_column(String(20), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConfirmedAddress(Base):
    """The address an account proved it receives mail at (a link it followed)."""

    __tablename__ = "confirmed_addresses"

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AccountToken(Base):
    """A single-use link sent by mail: password reset, address confirmation, invitation. Only its hash is kept."""

    __tablename__ = "account_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))               # password_reset, confirmation, invitation
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
