"""`make admin EMAIL=...`: the first admin of a deployment, made on the command line, signs in on the pages."""
import io

import pytest
from sqlalchemy import select

from gateway.admin_cli import main
from gateway.models import Account
from gateway.service import authenticate


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def typed(*answers):
    """getpass as a person at a terminal answers it, one answer per prompt."""
    given = iter(answers)
    prompts = []

    def ask(prompt):
        prompts.append(prompt)
        return next(given)
    ask.prompts = prompts
    return ask


@pytest.fixture
def gateway_db(sqlite_database):
    return sqlite_database("gateway")


def account(db, email):
    with db.transaction() as session:
        found = session.scalars(select(Account).where(Account.email == email)).first()
        return None if found is None else {"roles": list(found.roles), "name": found.display_name}


def test_the_password_asked_twice_on_a_terminal_makes_an_admin_who_signs_in(gateway_db, capsys):
    ask = typed("une phrase assez longue", "une phrase assez longue")
    assert main(["Camille@Example.org", "--name", "Camille"], stdin=Terminal(), db=gateway_db, ask=ask) == 0
    assert len(ask.prompts) == 2
    assert account(gateway_db, "camille@example.org") == {"roles": ["neighbour", "admin"], "name": "Camille"}
    with gateway_db.transaction() as session:
        assert authenticate(session, "camille@example.org", "une phrase assez longue").email == "camille@example.org"
    assert "is created" in capsys.readouterr().out


def test_two_different_passwords_make_nothing(gateway_db, capsys):
    code = main(["camille@example.org"], stdin=Terminal(), db=gateway_db,
                ask=typed("une phrase assez longue", "une autre phrase longue"))
    assert code == 1 and account(gateway_db, "camille@example.org") is None
    assert "the two passwords differ" in capsys.readouterr().err


def test_the_password_is_read_from_stdin_when_it_is_not_a_terminal(gateway_db):
    never = typed()
    assert main(["camille@example.org"], stdin=io.StringIO("une phrase assez longue\n"), db=gateway_db,
                ask=never) == 0
    assert never.prompts == []
    assert account(gateway_db, "camille@example.org") == {"roles": ["neighbour", "admin"], "name": "camille"}


@pytest.mark.parametrize("given, reason", [("", "no password on stdin"), ("court\n", "use at least 10 characters")])
def test_no_password_or_a_weak_one_makes_nothing(gateway_db, capsys, given, reason):
    assert main(["camille@example.org"], stdin=io.StringIO(given), db=gateway_db) == 1
    assert account(gateway_db, "camille@example.org") is None
    assert reason in capsys.readouterr().err


def test_an_existing_account_is_made_admin_without_asking_or_changing_its_password(gateway_db):
    assert main(["camille@example.org"], stdin=io.StringIO("une phrase assez longue\n"), db=gateway_db) == 0
    with gateway_db.transaction() as session:
        found = session.scalars(select(Account).where(Account.email == "camille@example.org")).one()
        found.roles = ["neighbour"]
    never = typed()
    assert main(["camille@example.org"], stdin=Terminal(), db=gateway_db, ask=never) == 0
    assert never.prompts == [] and account(gateway_db, "camille@example.org")["roles"] == ["admin", "neighbour"]
    with gateway_db.transaction() as session:
        assert authenticate(session, "camille@example.org", "une phrase assez longue")


def test_an_address_without_at_sign_is_refused(gateway_db, capsys):
    assert main(["camille"], stdin=io.StringIO("une phrase assez longue\n"), db=gateway_db) == 1
    assert "is not an e-mail address" in capsys.readouterr().err


def test_make_admin_runs_the_module_with_the_address_and_refuses_without_one():
    import subprocess

    from shared.config import ROOT

    planned = subprocess.run(["make", "-n", "admin", "EMAIL=camille@example.org"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    assert 'gateway.admin_cli "camille@example.org"' in planned
    refused = subprocess.run(["make", "admin"], cwd=ROOT, capture_output=True, text=True)
    assert refused.returncode != 0 and "usage: make admin EMAIL=" in refused.stderr
