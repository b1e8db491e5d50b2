"""Runs last in the end-to-end suite: no personal data in any event or log line of the whole run.

Personal data = the e-mails and display names of every account that existed, the contact details
given in housing, and any e-mail or phone number at all in a log line."""
import json
import re

import psycopg
import pytest

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
# Not inside a longer word: request ids are hexadecimal and hold runs of digits.
PHONE = re.compile(r"(?<![\w.+])(?:\+33\s?|0)[1-9](?:[ .-]?\d{2}){4}(?![\w])")
DEMO_NAMES = ["Admin Coroutine", "Camille", "Sam (voisin)", "Dominique"]


def _values(url: str, query: str) -> set[str]:
    libpq = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(libpq) as conn:
        try:
            return {row[0] for row in conn.execute(query) if row[0]}
        except psycopg.Error:
            return set()


@pytest.fixture(scope="module")
def personal_values(system):
    values = set(DEMO_NAMES)
    values |= _values(system.database_urls["gateway"], "SELECT email FROM accounts")
    values |= {name for name in _values(system.database_urls["gateway"], "SELECT display_name FROM accounts")
               if len(name) >= 6}
    housing = system.database_urls["housing"]
    for table in ("requests", "offers"):
        values |= _values(housing, f"SELECT contact_email FROM {table}")
        values |= _values(housing, f"SELECT contact_phone FROM {table}")
    return values


def test_no_event_of_the_run_carries_personal_data(system, personal_values):
    events = system.audited_events()
    assert len(events) >= 10, "the audit queue saw too few events: is it bound?"
    leaks = []
    for event in events:
        text = json.dumps(event, ensure_ascii=False)
        found = [value for value in personal_values if value in text]
        if found:
            leaks.append((event["type"], found))
    assert not leaks, f"personal data in events: {leaks[:10]}"


def test_no_log_line_of_the_run_carries_personal_data(system, personal_values):
    lines = system.log_lines()
    assert len(lines) >= 50
    leaks = []
    for name, line in lines:
        if EMAIL.search(line) or PHONE.search(line) or any(value in line for value in personal_values):
            leaks.append((name, line[:300]))
    assert not leaks, f"personal data in log lines: {leaks[:10]}"
