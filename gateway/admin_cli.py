"""`python -m gateway.admin_cli EMAIL`: make the first admin of a deployment from the command line.

The password is asked twice on a terminal, or read from the first line of stdin when stdin is not a terminal
(`printf '%s\\n' "$PASSWORD" | make admin EMAIL=...`). There is no default password. An existing account with
this address is made admin as it is: its password is neither asked nor changed.
"""
from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from typing import TextIO

from sqlalchemy import select

from gateway import service
from gateway.models import Account
from shared.config import database_url
from shared.db import Database
from shared.problems import Problem

ADMIN = "admin"


class Refused(Exception):
    """Nothing was changed, for the reason given."""


def read_password(stdin: TextIO, ask: Callable[[str], str] = getpass.getpass) -> str:
    """Twice on a terminal (they must match), else the first line of stdin."""
    if stdin.isatty():
        first = ask("Password for the new admin: ")
        if ask("The same password again: ") != first:
            raise Refused("the two passwords differ")
        return first
    line = stdin.readline()
    if not line:
        raise Refused("no password on stdin")
    return line.rstrip("\r\n")


def make_admin(db: Database, email: str, display_name: str, password: Callable[[], str]) -> tuple[Account, bool]:
    """(account, created): a new admin account, or the existing account of this address made admin."""
    address = service.normalise_email(email)
    if "@" not in address.strip("@"):
        raise Refused(f"{email!r} is not an e-mail address")
    with db.transaction() as session:
        account = session.scalars(select(Account).where(Account.email == address)).first()
        if account is not None:
            if ADMIN not in (account.roles or []):
                service.administer_account(session, account.id, {"roles": [*(account.roles or []), ADMIN]})
            return account, False
        try:
            account = service.register_account(session, address, password(), display_name or address.split("@")[0],
                                               "fr", roles=("neighbour", ADMIN))
        except Problem as problem:
            messages = [m for found in (problem.errors or {}).values() for m in found]
            raise Refused("; ".join(messages) or problem.detail or problem.title) from None
        return account, True


def main(argv: list[str] | None = None, stdin: TextIO | None = None, db: Database | None = None,
         ask: Callable[[str], str] = getpass.getpass) -> int:
    parser = argparse.ArgumentParser(prog="python -m gateway.admin_cli", description=__doc__.splitlines()[0])
    parser.add_argument("email", help="the admin's e-mail address, used to sign in")
    parser.add_argument("--name", default="", help="the name shown to others (default: before the @)")
    args = parser.parse_args(argv)
    stdin = stdin if stdin is not None else sys.stdin
    db = db or Database(database_url("gateway"))
    try:
        account, created = make_admin(db, args.email, args.name.strip(), lambda: read_password(stdin, ask))
    except Refused as refused:
        print(f"No admin made: {refused}.", file=sys.stderr)
        return 1
    if created:
        print(f"The admin {account.email} is created: sign in at /signin.")
    else:
        print(f"The account {account.email} already existed: it is admin now (its password is unchanged).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
