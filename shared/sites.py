"""Each service's own copy of the sites, kept current from `platform.site.*` events."""
from __future__ import annotations

from datetime import datetime

from marshmallow import EXCLUDE, Schema, fields
from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from shared.bus.contracts import reads
from shared.db import UTCDateTime

SITE_EVENTS = ("platform.site.created", "platform.site.updated")


@reads(*SITE_EVENTS)
class SiteData(Schema):
    class Meta:
        unknown = EXCLUDE

    site_id = fields.String(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)
    timezone = fields.String(required=True)
    opening_hours = fields.Dict(required=True)
    version = fields.Integer(required=True)


class SiteReplica:
    """Mixin for a service's `sites` table; the gateway owns the sites."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    opening_hours: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


def site_handlers(site_model) -> dict:
    """Handlers that upsert the site; an older version arriving late changes nothing."""

    def on_site_changed(session: Session, event: dict) -> None:
        data = SiteData().load(event["data"])
        site = session.get(site_model, data["site_id"])
        if site is None:
            existing = session.scalars(select(site_model).where(site_model.slug == data["slug"])).first()
            if existing is not None:
                session.delete(existing)
                session.flush()
            site = site_model(id=data["site_id"])
            session.add(site)
        elif site.version >= data["version"]:
            return
        site.slug, site.name, site.timezone = data["slug"], data["name"], data["timezone"]
        site.opening_hours, site.version = data["opening_hours"], data["version"]

    return {name: on_site_changed for name in SITE_EVENTS}
