"""Mails in the reader's language, plain text and HTML, from the templates under gateway/templates/mail/.

Rendered outside any request: a Jinja environment per language with babel's Translations from
gateway/translations (the same catalogues as the pages). The text part is derived from the HTML, whose
few tags (p, ul/li, a, br, strong) the templates keep to."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from email import encoders
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr
from functools import cache
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from babel.numbers import format_currency
from babel.support import Translations
from jinja2 import Environment, FileSystemLoader, select_autoescape

from shared.config import ROOT

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
DEFAULT_TIMEZONE = "Europe/Paris"
TEMPLATES = ROOT / "gateway" / "templates"
TRANSLATIONS = ROOT / "gateway" / "translations"
SMTP_COMPAT = compat32.clone(linesep="\r\n", max_line_length=998)  # no folding inside a URL


@dataclass
class Attachment:
    filename: str
    content_type: str   # e.g. text/calendar; method=PUBLISH
    content: bytes


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)


def language_of(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def _moment(value) -> datetime | None:
    if value is None or value == "":
        return None
    return datetime.fromisoformat(value) if isinstance(value, str) else value


@cache
def environment(language: str) -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"], trim_blocks=True, lstrip_blocks=True)
    translations = Translations.load(str(TRANSLATIONS), [language], domain="messages")
    env.install_gettext_translations(translations, newstyle=True)

    def zone(tz: str | None) -> ZoneInfo:
        return ZoneInfo(tz or DEFAULT_TIMEZONE)

    def day(value, tz=None, fmt="full") -> str:
        moment = _moment(value)
        if moment is None:
            return ""
        if isinstance(moment, datetime):
            moment = moment.astimezone(zone(tz)).date()
        return babel_dates.format_date(moment, fmt, locale=language)

    def clock(value, tz=None) -> str:
        moment = _moment(value)
        return "" if moment is None else babel_dates.format_time(moment.astimezone(zone(tz)), "HH:mm",
                                                                 locale=language)

    def when(value, tz=None) -> str:
        moment = _moment(value)
        if moment is None:
            return ""
        local = moment.astimezone(zone(tz))
        return f"{day(local.date(), fmt='full')} {clock(moment, tz)}"

    def plain_date(value: str | date, fmt="full") -> str:
        return day(date.fromisoformat(value) if isinstance(value, str) else value, fmt=fmt)

    def cents(amount: int | None, currency: str = "EUR") -> str:
        return "" if amount is None else format_currency(amount / 100, currency, locale=language)

    env.filters.update(day=day, clock=clock, when=when, plain_date=plain_date, cents=cents)
    env.globals["language"] = language
    return env


def render(kind: str, language: str, context: dict) -> Rendered:
    """The subject, HTML and text of one message kind (`mail/<kind>.html`) in `language`."""
    language = language_of(language)
    env = environment(language)
    template = env.get_template(f"mail/{kind}.html")
    base_context = {"language": language, **context}
    subject = "".join(template.blocks["subject"](template.new_context(base_context))).strip()
    subject = re.sub(r"\s+", " ", subject)
    html = template.render(**base_context, subject=subject)
    return Rendered(subject=subject, html=html, text=html_to_text(html))


class _TextWriter(HTMLParser):
    BLOCKS = {"p", "div", "h1", "h2", "h3", "ul", "ol", "table", "tr", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("head", "style", "title", "script"):
            self.skip += 1
        elif tag in self.BLOCKS:
            self.out.append("\n\n")
            if tag == "hr":
                self.out.append("--\n")
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []

    def handle_endtag(self, tag):
        if tag in ("head", "style", "title", "script"):
            self.skip -= 1
        elif tag in self.BLOCKS:
            self.out.append("\n\n")
        elif tag == "a" and self.href is not None:
            text = re.sub(r"\s+", " ", "".join(self.link_text)).strip()
            self.out.append(self.href if not text or text == self.href else f"{text}: {self.href}")
            self.href = None

    def handle_data(self, data):
        if self.skip:
            return
        if self.href is not None:
            self.link_text.append(data)
        else:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    text = "".join(writer.out)
    lines = [line.strip() for line in text.splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def compose(rendered: Rendered, *, sender: str, recipient: str, recipient_name: str, language: str,
            notification_id: str, unsubscribe_url: str | None, sent_at: datetime) -> bytes:
    """The MIME message: text and HTML alternatives, attachments, and the RFC 8058 one-click headers.

    Built with the compat32 classes: the modern EmailMessage API spends about 5 ms a message parsing its
    own headers, which is most of the time a reminder to 2,000 people takes."""
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText(rendered.text, "plain", "utf-8"))
    alternative.attach(MIMEText(rendered.html, "html", "utf-8"))
    if rendered.attachments:
        message = MIMEMultipart("mixed")
        message.attach(alternative)
        for attachment in rendered.attachments:
            maintype, _, rest = attachment.content_type.partition("/")
            subtype, _, params = rest.partition(";")
            part = MIMEBase(maintype, subtype.strip())
            for param in filter(None, (p.strip() for p in params.split(";"))):
                key, _, value = param.partition("=")
                part.set_param(key.strip(), value.strip())
            part.set_payload(attachment.content)
            encoders.encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
            message.attach(part)
    else:
        message = alternative
    message["Subject"] = Header(rendered.subject, "utf-8")
    message["From"] = sender
    message["To"] = formataddr((recipient_name, recipient), charset="utf-8")
    message["Date"] = format_datetime(sent_at)
    domain = sender.rsplit("@", 1)[-1].rstrip(">").strip() or "veilleuse.localhost"
    message["Message-ID"] = f"<{notification_id}@{domain}>"
    message["Content-Language"] = language
    message["Auto-Submitted"] = "auto-generated"
    message["X-Veilleuse-Notification"] = notification_id
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message.as_bytes(policy=SMTP_COMPAT)
