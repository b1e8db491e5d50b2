"""API problems told in the page's language, from the problem's code and the fields it names, never its English."""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from flask import flash
from flask_babel import gettext

from gateway.web.client import ApiResult
from gateway.web.forms import FormState, Said, flatten_errors, raise_for_session

# Problem types that say only what kind of refusal it was: the title then tells which one.
GENERIC_TYPES = {"", "about", "conflict", "invalid-input"}
Sentence = str | Callable[[dict], str]


def problem_code(problem: dict) -> str:
    """A stable code: the problem's `code` if it has one, else its type, else its title made a slug.

    `"https://.../problems/basket-already-collected"` -> `basket-already-collected`; a generic
    `conflict` titled "Delivery checked in" -> `delivery-checked-in`.
    """
    if problem.get("code"):
        return str(problem["code"])
    slug = str(problem.get("type") or "").rstrip("/").rsplit("/", 1)[-1]
    if slug in GENERIC_TYPES:
        title = re.sub(r"[^a-z0-9]+", "-", str(problem.get("title") or "").lower()).strip("-")
        return title or slug
    return slug


def by_status(status: int) -> str:
    if status == 404:
        return gettext("This no longer exists: reload the page and try again.")
    if status == 409:
        return gettext("This cannot be done now: reload the page to see what changed.")
    if status in (400, 422):
        return gettext("A value is not accepted: check the form.")
    return gettext("Something went wrong; try again.")


def _say(sentence: Sentence, problem: dict) -> Said:
    return Said(sentence(problem) if callable(sentence) else str(sentence))


def _standard(messages: list[str]) -> str | None:
    """marshmallow's own messages (a required field, a number expected) have catalogue sentences."""
    from gateway.web.i18n import api_sentence

    for message in messages:
        sentence, lang = api_sentence(message)
        if lang is None and sentence != message:
            return sentence
    return None


def explain(form: FormState, result: ApiResult, fields: Mapping[str, Sentence] | None = None,
            codes: Mapping[str, Sentence] | None = None, renames: Mapping[str, str] | None = None) -> None:
    """Put an API problem on a form: a sentence next to each field it names, and one for the whole form.

    `fields` maps an API field (`season_end`, or the first part of `basket_kinds.0.price_cents`) to its
    sentence; `codes` maps a problem code to a sentence for the summary; `renames` maps API fields to the
    form's names. A field or code the page does not know gets a general sentence, never the API's words.
    """
    raise_for_session(result)
    fields, codes, renames = fields or {}, codes or {}, renames or {}
    problem = result.problem
    code = problem_code(problem)
    placed = False
    for key, messages in flatten_errors(problem.get("errors") or {}).items():
        head = key.split(".")[0]
        name = renames.get(key) or (renames[head] + key[len(head):] if head in renames else key)
        if head.startswith("_") or head in ("body", "json"):
            form.summary = form.summary or _say(codes.get(code) or by_status(result.status), problem)
            continue
        sentence = fields.get(key) or fields.get(head)
        form.error(name, _say(sentence, problem) if sentence is not None
                   else _standard(messages) or gettext("This value is not accepted: check it."))
        placed = True
    if code in codes and not placed:
        form.summary = _say(codes[code], problem)
    elif not form.errors and not form.summary:
        form.summary = Said(by_status(result.status))


def refusal(result: ApiResult, codes: Mapping[str, Sentence] | None = None) -> Said:
    """One sentence for a refused action (a button, not a form)."""
    raise_for_session(result)
    code = problem_code(result.problem)
    sentence = (codes or {}).get(code)
    return _say(sentence, result.problem) if sentence is not None else Said(by_status(result.status))


def flash_refusal(result: ApiResult, codes: Mapping[str, Sentence] | None = None) -> None:
    flash(refusal(result, codes), "refusal")

