"""Who may call every mutating operation of the platform: the expected outcome per role, written down.

`python -m tests.e2e.authorization_matrix` prints docs/authorization.md from this table;
tests/e2e/test_authorization_matrix.py checks it against the running platform, cell by cell.
"""
from __future__ import annotations

from dataclasses import dataclass

ANONYMOUS, NEIGHBOUR, MEMBER, VEILLEUR, ADMIN, PROGRAM = (
    "anonymous", "neighbour", "association member", "veilleur", "admin", "program")
ROLES = (ANONYMOUS, NEIGHBOUR, MEMBER, VEILLEUR, ADMIN, PROGRAM)
PEOPLE = (NEIGHBOUR, MEMBER, VEILLEUR, ADMIN)
WHO = {
    ANONYMOUS: "no credentials",
    NEIGHBOUR: "`voisin@coroutine.test` (neighbour)",
    MEMBER: "`asso@coroutine.test` (neighbour, member of an association)",
    VEILLEUR: "`veilleur@coroutine.test` (veilleur, neighbour)",
    ADMIN: "`admin@coroutine.test` (admin, veilleur)",
    PROGRAM: "an API key created by the admin with `roles: []` (a program such as the coworking app)",
}

# What a cell means, and how the test checks it.
ALLOWED = "allowed"      # a valid request succeeds (2xx)
UNAUTHENTICATED = "401"  # refused: sign in first
FORBIDDEN = "403"        # refused: signed in without the right
HIDDEN = "404-hidden"    # refused by hiding: someone else's resource answers 404, as if it did not exist
OWN_ONLY = "own-only"    # allowed on one's own resource (2xx); someone else's is refused (404, or 403 if said)
OUTCOMES = {
    ALLOWED: "a valid request succeeds (2xx)",
    UNAUTHENTICATED: "refused: no (or bad) credentials",
    FORBIDDEN: "refused: signed in, but without the right",
    HIDDEN: "refused by hiding: someone else's resource is a 404, as if it did not exist",
    OWN_ONLY: "allowed on one's own resource; someone else's is refused (404, or 403 where the reason is given)",
}


@dataclass(frozen=True)
class Cell:
    expected: str
    reason: str = ""
    actual: str = ""  # set for a known defect: what the platform answers today instead of `expected`
    others: str = HIDDEN  # for own-only: the answer on someone else's resource

    @property
    def defect(self) -> bool:
        return bool(self.actual)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    what: str
    cells: dict

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


def cell(value) -> Cell:
    return value if isinstance(value, Cell) else Cell(value)


def op(method: str, path: str, what: str, *, anonymous=UNAUTHENTICATED, neighbour=FORBIDDEN,
       member=None, veilleur=FORBIDDEN, admin=None, program=FORBIDDEN) -> Operation:
    """One row; the member defaults to the neighbour's cell and the admin to the veilleur's."""
    member = neighbour if member is None else member
    admin = veilleur if admin is None else admin
    cells = dict(zip(ROLES, (anonymous, neighbour, member, veilleur, admin, program)))
    return Operation(method, path, what, {role: cell(value) for role, value in cells.items()})


def staff(method, path, what, **overrides) -> Operation:
    """Veilleurs and admins only."""
    return op(method, path, what, **{"veilleur": ALLOWED, **overrides})


def admin_only(method, path, what, **overrides) -> Operation:
    return op(method, path, what, **{"admin": ALLOWED, **overrides})


def people(method, path, what, program=FORBIDDEN, **overrides) -> Operation:
    """Any person signed in; programs are refused."""
    return op(method, path, what, **{"neighbour": ALLOWED, "veilleur": ALLOWED, "program": program, **overrides})


def owners(method, path, what, program=None, **overrides) -> Operation:
    """Each person on their own resource; nobody on someone else's (not even a veilleur)."""
    program = Cell(HIDDEN, "a program owns no such resource") if program is None else program
    return op(method, path, what, **{"neighbour": OWN_ONLY, "veilleur": OWN_ONLY, "program": program,
                                     **overrides})


PEOPLE_ONLY = "for a person's account, not an API key"
# A program's key is not a person: issue 3 says "signed-in accounts request" and issue 6 "newcomers and hosts
# are ordinary accounts", like the relay and the gateway, which refuse programs with a 403.
PROGRAM_BOOKS = Cell(FORBIDDEN, "issue 3: signed-in *accounts* request; a program is no requester")
PROGRAM_HOUSING = Cell(FORBIDDEN, "issue 6: newcomers and hosts are ordinary accounts")
PROGRAM_REPORTS = Cell(FORBIDDEN, "a report is a person's word (one open report per person)")
PROGRAM_RELAY = Cell(FORBIDDEN, PEOPLE_ONLY)

OPERATIONS = [
    # -- gateway: identity, organisations, API keys, sites ---------------------------------------------
    op("POST", "/api/auth/token", "sign in (e-mail and password for a token)",
       **{role: Cell(ALLOWED, "the credentials are in the body") for role in ("anonymous", "program")},
       neighbour=ALLOWED, veilleur=ALLOWED),
    op("POST", "/api/accounts", "sign up as a neighbour",
       anonymous=Cell(ALLOWED, "anyone may sign up"), neighbour=ALLOWED, veilleur=ALLOWED, program=ALLOWED),
    op("PATCH", "/api/accounts/me", "change my name, language or password",
       neighbour=Cell(ALLOWED, "always one's own account"), veilleur=ALLOWED,
       program=Cell(FORBIDDEN, "a program has no account")),
    op("DELETE", "/api/accounts/me", "delete my account (tested with throwaway accounts of each role)",
       neighbour=Cell(ALLOWED, "always one's own account"), veilleur=ALLOWED,
       program=Cell(FORBIDDEN, "a program has no account")),
    admin_only("PATCH", "/api/accounts/{account_id}", "set an account's roles or organisation"),
    op("POST", "/api/auth/password-reset", "ask for a password reset link (202 whether or not the address is known)",
       **{role: Cell(ALLOWED, "anyone may ask; the link goes to the address only")
          for role in ("anonymous", "program")}, neighbour=ALLOWED, veilleur=ALLOWED),
    op("POST", "/api/auth/password-reset/confirm", "set a new password with the link's token",
       **{role: Cell(ALLOWED, "the token from the mail is the authority") for role in ("anonymous", "program")},
       neighbour=ALLOWED, veilleur=ALLOWED),
    op("POST", "/api/auth/email-confirmation", "send me the address confirmation link again",
       neighbour=Cell(ALLOWED, "always one's own account"), veilleur=ALLOWED,
       program=Cell(FORBIDDEN, "a program has no account")),
    op("POST", "/api/auth/email-confirmation/confirm", "confirm an address with the link's token",
       **{role: Cell(ALLOWED, "the token from the mail is the authority") for role in ("anonymous", "program")},
       neighbour=ALLOWED, veilleur=ALLOWED),
    op("PATCH", "/api/accounts/me/notifications", "turn kinds of e-mail on or off",
       neighbour=Cell(ALLOWED, "always one's own account"), veilleur=ALLOWED,
       program=Cell(FORBIDDEN, "a program has no account")),
    admin_only("POST", "/api/organisations", "create an organisation"),
    admin_only("POST", "/api/api-keys", "create an API key for a program"),
    admin_only("DELETE", "/api/api-keys/{key_id}", "revoke an API key"),
    admin_only("POST", "/api/sites", "create a site"),
    admin_only("PATCH", "/api/sites/{site_ref}", "change a site"),

    # -- booking -----------------------------------------------------------------------------------------
    staff("POST", "/api/booking/rooms", "create a room"),
    staff("PATCH", "/api/booking/rooms/{room_id}", "change a room"),
    staff("POST", "/api/booking/rooms/{room_id}/retire", "retire a room"),
    people("POST", "/api/booking/reservations", "request a reservation", program=PROGRAM_BOOKS),
    staff("POST", "/api/booking/reservations/{reservation_id}/confirm", "confirm a requested reservation"),
    staff("POST", "/api/booking/reservations/{reservation_id}/decline", "decline a requested reservation"),
    op("POST", "/api/booking/reservations/{reservation_id}/cancel", "cancel a reservation",
       neighbour=Cell(OWN_ONLY, "the requester cancels; someone else's reservation is a 404"),
       veilleur=Cell(ALLOWED, "any reservation"), program=HIDDEN),
    staff("POST", "/api/booking/reservations/{reservation_id}/price", "waive or reduce the price"),
    staff("POST", "/api/booking/reservations/{reservation_id}/contribution", "record a pay-what-you-can gift"),
    people("POST", "/api/booking/reservation-series", "request a recurring series", program=PROGRAM_BOOKS),
    op("POST", "/api/booking/reservation-series/{series_id}/cancel", "cancel the rest of a series",
       neighbour=Cell(OWN_ONLY, "the requester cancels; someone else's series is a 404"),
       veilleur=Cell(ALLOWED, "any series"), program=HIDDEN),
    staff("POST", "/api/booking/closures", "close a site for a while"),
    staff("DELETE", "/api/booking/closures/{closure_id}", "remove a closure"),
    op("POST", "/api/booking/calendars/organisations/{organisation_id}/token",
       "make or rotate the secret of an organisation's private feed",
       neighbour=Cell(FORBIDDEN, "member of no organisation"),
       member=Cell(OWN_ONLY, "their own organisation's; another organisation's is a 403", others=FORBIDDEN),
       veilleur=Cell(ALLOWED, "any organisation")),

    # -- relay ---------------------------------------------------------------------------------------------
    staff("POST", "/api/relay/producers", "register a producer"),
    staff("PATCH", "/api/relay/producers/{producer_id}", "change a producer"),
    staff("POST", "/api/relay/contracts", "create a season contract"),
    people("POST", "/api/relay/contracts/{contract_id}/subscriptions", "take a share for myself",
           program=PROGRAM_RELAY),
    staff("POST", "/api/relay/distributions/{distribution_id}/move", "move a distribution"),
    staff("POST", "/api/relay/distributions/{distribution_id}/cancel", "cancel a distribution"),
    staff("POST", "/api/relay/distributions/{distribution_id}/delivery", "check in the producer's drop-off"),
    staff("POST", "/api/relay/distributions/{distribution_id}/collections", "tick a basket off"),
    staff("POST", "/api/relay/distributions/{distribution_id}/close", "close a distribution"),
    people("POST", "/api/relay/distributions/{distribution_id}/roster", "sign up as opener or distributor",
           program=PROGRAM_RELAY),
    people("DELETE", "/api/relay/distributions/{distribution_id}/roster/{role}", "withdraw from the roster",
           neighbour=Cell(ALLOWED, "always one's own entry"), program=PROGRAM_RELAY),
    owners("POST", "/api/relay/baskets/{basket_id}/absence", "declare an absence",
           neighbour=Cell(OWN_ONLY, "the basket's holder; someone else's basket is a 404"),
           program=PROGRAM_RELAY),
    owners("POST", "/api/relay/baskets/{basket_id}/proxy", "name a proxy", program=PROGRAM_RELAY),
    owners("DELETE", "/api/relay/baskets/{basket_id}/proxy", "withdraw the proxy", program=PROGRAM_RELAY),

    # -- grocery ---------------------------------------------------------------------------------------------
    admin_only("PUT", "/api/grocery/sites/{site}/rules", "set a site's eligibility rules, caps and tiers"),
    staff("POST", "/api/grocery/sites/{site}/daily-check", "expire ended periods, announce expiring lots"),
    staff("POST", "/api/grocery/households", "register a referred household"),
    staff("POST", "/api/grocery/households/{household_id}/renew", "judge a household again"),
    staff("POST", "/api/grocery/households/{household_id}/end", "end a household's access before its term"),
    admin_only("POST", "/api/grocery/products", "add a product and its prices"),
    admin_only("PATCH", "/api/grocery/products/{product_id}", "change a product or its prices"),
    staff("POST", "/api/grocery/lots", "take a purchase or a donation into stock"),
    staff("POST", "/api/grocery/lots/{lot_id}/movements", "record a loss, write-off or inventory correction"),
    staff("POST", "/api/grocery/sales", "sell at the till"),

    # -- housing ---------------------------------------------------------------------------------------------
    people("POST", "/api/housing/requests", "post a housing request", program=PROGRAM_HOUSING),
    owners("PATCH", "/api/housing/requests/{request_id}", "change my request",
           neighbour=Cell(OWN_ONLY, "the owner; anyone else's request is a 404, veilleurs included")),
    owners("DELETE", "/api/housing/requests/{request_id}", "delete my request"),
    owners("POST", "/api/housing/requests/{request_id}/renew", "renew my request"),
    people("POST", "/api/housing/offers", "offer a room or a flat", program=PROGRAM_HOUSING),
    owners("PATCH", "/api/housing/offers/{offer_id}", "change my offer"),
    owners("DELETE", "/api/housing/offers/{offer_id}", "delete my offer"),
    staff("POST", "/api/housing/offers/{offer_id}/publish", "publish a pending offer after review",
          veilleur=Cell(ALLOWED, "someone else's offer: one's own is a 403, another veilleur reviews it")),
    staff("POST", "/api/housing/offers/{offer_id}/reject", "reject an offer, with a reason"),
    people("POST", "/api/housing/offers/{offer_id}/reports", "report an offer",
           neighbour=Cell(ALLOWED, "someone else's published offer"), program=PROGRAM_REPORTS),
    owners("POST", "/api/housing/matches/{seeker_id}/{offer_id}/interest", "say I am interested",
           neighbour=Cell(OWN_ONLY, "a side of the match; anyone else gets 404 `No match with you`")),
    owners("POST", "/api/housing/matches/{seeker_id}/{offer_id}/decline", "decline a match"),
    owners("POST", "/api/housing/matches/{seeker_id}/{offer_id}/withdraw", "withdraw my interest"),
    owners("POST", "/api/housing/matches/{seeker_id}/{offer_id}/messages", "write to the other side"),
    staff("POST", "/api/housing/groups/proposals", "propose roommate groups now"),
    owners("POST", "/api/housing/groups/{group_id}/agree", "agree to rent with a group",
           neighbour=Cell(OWN_ONLY, "a member of the group; anyone else's group is a 404")),
    owners("POST", "/api/housing/groups/{group_id}/decline", "decline or leave a group"),
]
MATRIX = {operation.key: operation for operation in OPERATIONS}
assert len(MATRIX) == len(OPERATIONS), "an operation is listed twice"

# Who may call comes before what is sent: a caller refused with a valid body is refused the same way with an
# invalid one (unknown fields, or not even JSON), never told about the body with a 422.
INVALID_BODY_ROLES = (ANONYMOUS, NEIGHBOUR)
INVALID_BODIES = {"unknown field": '{"unexpected": 1}', "not JSON": '{"unexpected": '}


def invalid_body_expected(operation: Operation, role: str) -> str | None:
    """The refusal an invalid body gets from `role`; None where `role` may call (the body is then checked)."""
    expected = operation.cells[role].expected
    return expected if expected in (UNAUTHENTICATED, FORBIDDEN) else None


def known_defects() -> list[tuple[Operation, str, Cell]]:
    return [(operation, role, c) for operation in OPERATIONS for role, c in operation.cells.items() if c.defect]


def _cell_text(c: Cell) -> str:
    text = {UNAUTHENTICATED: "401", FORBIDDEN: "403"}.get(c.expected, c.expected)
    if c.expected == OWN_ONLY and c.others != HIDDEN:
        text += f" (others: {c.others})"
    if c.defect:
        text = f"**{text}** (defect: {c.actual} today)"
    return text


def render_markdown() -> str:
    """The table for people: rows = operations, columns = roles, then the invalid-body columns."""
    extra = [f"{role}, invalid body" for role in INVALID_BODY_ROLES]
    lines = ["| operation | " + " | ".join([*ROLES, *extra]) + " |",
             "| --- |" + " --- |" * (len(ROLES) + len(extra))]
    notes = []
    for operation in OPERATIONS:
        row = [f"`{operation.method} {operation.path}`<br>{operation.what}"]
        for role in ROLES:
            c = operation.cells[role]
            row.append(_cell_text(c))
            if c.reason:
                notes.append((operation, role, c))
        for role in INVALID_BODY_ROLES:
            expected = invalid_body_expected(operation, role)
            row.append(_cell_text(Cell(expected)) if expected else "—")
        lines.append("| " + " | ".join(row) + " |")
    reasons = ["| operation | role | outcome | why |", "| --- | --- | --- | --- |"]
    for operation, role, c in notes:
        reasons.append(f"| `{operation.method} {operation.path}` | {role} | {_cell_text(c)} | {c.reason} |")
    defects = ["| operation | role | expected | actual | why |", "| --- | --- | --- | --- | --- |"]
    for operation, role, c in known_defects():
        defects.append(f"| `{operation.method} {operation.path}` | {role} | {c.expected} | {c.actual} | "
                       f"{c.reason} |")
    return "\n".join([*lines, "", "### Why, where it is not obvious", "", *reasons, "",
                      "### Known defects", "",
                      "Each is an `xfail(strict=True)` cell of the test: fixing the service makes the test "
                      "pass, and the cell must then lose its `actual` here.", "", *defects]) + "\n"


TABLE_BEGIN = "<!-- matrix: generated by `python -m tests.e2e.authorization_matrix`, do not edit by hand -->"
TABLE_END = "<!-- end of matrix -->"

if __name__ == "__main__":
    print(TABLE_BEGIN)
    print(render_markdown(), end="")
    print(TABLE_END)
