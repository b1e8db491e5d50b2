"""Use cases of the grocery service; no Flask here."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.grocery.models import Site


def list_sites(session: Session) -> list[Site]:
    return list(session.scalars(select(Site).order_by(Site.name)))
