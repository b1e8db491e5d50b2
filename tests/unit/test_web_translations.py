"""Every sentence of the pages is translated into French, and the compiled catalogues are current."""
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from shared.config import ROOT

TRANSLATIONS = ROOT / "gateway" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}


def used_msgids() -> set:
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def catalogue(lang: str, kind: str = "po"):
    path = TRANSLATIONS / lang / "LC_MESSAGES" / f"messages.{kind}"
    with open(path, "rb") as fh:
        return read_po(fh) if kind == "po" else read_mo(fh)


def test_extraction_finds_the_pages_sentences():
    ids = used_msgids()
    assert "Sign in" in ids and "Opening hours" in ids and "Use at least %(min)s characters." in ids
    assert ("%(num)s person", "%(num)s people") in ids


def test_every_sentence_used_is_translated_into_french():
    french = catalogue("fr")
    missing = []
    for msgid in used_msgids():
        key = msgid if isinstance(msgid, str) else msgid[0]
        message = french.get(key)
        strings = [] if message is None else (
            [message.string] if isinstance(message.string, str) else list(message.string))
        if not strings or not all(strings) or message.fuzzy:
            missing.append(msgid)
    assert missing == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_compiled_catalogue_matches_its_source(lang):
    source = {m.id if isinstance(m.id, str) else tuple(m.id): m.string for m in catalogue(lang) if m.id and (
        m.string if isinstance(m.string, str) else all(m.string))}
    compiled = {m.id if isinstance(m.id, str) else tuple(m.id): m.string for m in catalogue(lang, "mo") if m.id}
    assert {k: (v if isinstance(v, str) else tuple(v)) for k, v in compiled.items()} == \
        {k: (v if isinstance(v, str) else tuple(v)) for k, v in source.items()}


def test_french_placeholders_match_the_english_ones():
    import re

    placeholder = re.compile(r"%\((\w+)\)s")
    for message in catalogue("fr"):
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        expected = set(placeholder.findall(ids[0]))
        for string in strings:
            assert set(placeholder.findall(string)) == expected, message.id


def test_api_messages_become_french_sentences_and_unknown_ones_are_marked_english(tmp_path, monkeypatch,
                                                                                    clock):
    from tests.unit.web_support import build_platform

    app = build_platform(tmp_path, monkeypatch, clock)
    from gateway.web.i18n import api_sentence

    with app.test_request_context("/"):
        assert api_sentence("Length must be between 1 and 100.") == ("Utilisez entre 1 et 100 caractères.", None)
        assert api_sentence("fri: 18:00 must come before 09:00") == ("Vendredi : 18:00 doit précéder 09:00.", None)
        assert api_sentence("Room is booked then") == ("Room is booked then", "en")
