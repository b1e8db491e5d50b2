"""What a page form needs: the values typed, the API's problem split per field, and sign-in guards."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import wraps

from flask import redirect, request, session, url_for
from flask_babel import gettext

from gateway.web.client import ApiResult


class SessionExpired(Exception):
    """The API refused the token kept in the session: the person signs in again."""


class NotAllowed(Exception):
    """The API (or the page) says this person may not do this."""


class Unavailable(Exception):
    def __init__(self, problem: dict):
        super().__init__(problem.get("detail") or "unavailable")
        self.problem = problem


class Said(str):
    """A sentence the page wrote in its own language, from the catalogues: shown as it is, never as English."""


def flatten_errors(errors: dict, prefix: str = "") -> dict[str, list[str]]:
    """{"rates": {"company": {"hour": ["..."]}}} -> {"rates.company.hour": ["..."]}."""
    flat: dict[str, list[str]] = {}
    for name, value in (errors or {}).items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat.update(flatten_errors(value, key + "."))
        elif isinstance(value, list):
            strings = [v for v in value if isinstance(v, str)]
            if strings:
                flat.setdefault(key, []).extend(strings)
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    flat.update(flatten_errors(item, f"{key}.{index}."))
        else:
            flat.setdefault(key, []).append(str(value))
    return flat


class FormState:
    """Values typed by the person, and messages per field; `errors` keys are dotted field paths."""

    def __init__(self, values: dict | None = None):
        self.values = dict(values or {})
        self.errors: dict[str, list[str]] = {}
        self.summary: str | None = None
        # Field name -> its label, so that the summary at the top names the field of each message.
        self.labels: dict[str, str] = {}

    def value(self, name: str, default=""):
        value = self.values.get(name, default)
        return "" if value is None else value

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(Said(message))

    def errors_for(self, name: str) -> list[str]:
        """Messages of this field and of anything inside it (`rates` gets `rates.company.hour`)."""
        found = []
        for key, messages in self.errors.items():
            if key == name or key.startswith(name + "."):
                found.extend(messages)
        return found

    def ordered_errors(self) -> list[tuple[str, list[str]]]:
        """The messages in the order of the form's fields (the order of `labels`), others last."""
        order = {name: index for index, name in enumerate(self.labels)}
        return sorted(self.errors.items(), key=lambda item: order.get(item[0], len(order)))

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.summary)

    def take_problem(self, result: ApiResult, fields: tuple[str, ...] = ()) -> None:
        """Show an API problem: messages next to their fields, the rest as a summary sentence."""
        raise_for_session(result)
        errors = flatten_errors(result.problem.get("errors") or {})
        known = {key: msgs for key, msgs in errors.items() if not fields or key.split(".")[0] in fields}
        for key, messages in known.items():
            self.errors.setdefault(key, []).extend(messages)
        others = [m for key, msgs in errors.items() if key not in known for m in msgs]
        if not known or others:
            self.summary = result.problem.get("detail") or result.problem.get("title") or gettext(
                "Something went wrong; try again.")


def raise_for_session(result: ApiResult) -> None:
    if result.status == 401 and session.get("token"):
        raise SessionExpired()
    if result.status == 403:
        raise NotAllowed()
    if result.status in (502, 503, 504):
        raise Unavailable(result.problem)


def require(result: ApiResult) -> object:
    """The body of a successful read, or the page for an expired session, a refusal or an outage."""
    if result.ok:
        return result.body
    raise_for_session(result)
    if result.status == 401:
        raise NotAllowed()
    raise Unavailable(result.problem)


def signed_in(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not session.get("token"):
            return redirect(url_for("pages.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)
    return wrapper


def has_role(*roles: str) -> bool:
    return any(role in (session.get("roles") or ()) for role in roles)


def roles_required(*roles: str):
    def decorator(view):
        @signed_in
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not has_role(*roles):
                raise NotAllowed()
            return view(*args, **kwargs)
        return wrapper
    return decorator


def euros_to_cents(text: str) -> int | None:
    """"2", "2.5", "2,50" -> 250; None for a blank; ValueError for anything else."""
    text = (text or "").strip().replace(",", ".").replace("€", "").strip()
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(text)
    return int(amount * 100)


def cents_to_euros(amount: int | None) -> str:
    if amount is None:
        return ""
    return f"{amount // 100}.{amount % 100:02d}"


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site, never another host (open redirects)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default
