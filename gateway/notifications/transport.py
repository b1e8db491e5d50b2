"""Handing messages to a real SMTP server (STARTTLS or TLS, authentication), or to files in development."""
from __future__ import annotations

import smtplib
import ssl
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

TRUE = ("1", "true", "yes", "on")


class DeliveryError(Exception):
    """A message was not accepted. `permanent` is a 5xx refusal: sending it again would change nothing."""

    def __init__(self, reason: str, permanent: bool = False):
        super().__init__(reason)
        self.reason, self.permanent = reason[:200], permanent


def _code_error(code: int, stage: str) -> DeliveryError:
    return DeliveryError(f"smtp {code} at {stage}", permanent=500 <= code < 600)


class SmtpTransport:
    """`smtp://[user:password@]host[:port][?starttls=1&timeout=10]` or `smtps://...` (TLS from the start)."""

    def __init__(self, url: str):
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError("SMTP_URL must start with smtp:// or smtps://")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        self.tls = parts.scheme == "smtps"
        self.host = parts.hostname or "localhost"
        self.port = parts.port or (465 if self.tls else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.starttls = query.get("starttls", "0").lower() in TRUE
        self.timeout = float(query.get("timeout", "10"))
        self.verify = query.get("verify", "1").lower() in TRUE

    def _context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    @contextmanager
    def connection(self):
        """An open, authenticated session; raises DeliveryError (never permanent) when the server is away."""
        try:
            if self.tls:
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=self._context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                client.ehlo()
                if self.starttls:
                    client.starttls(context=self._context())
                    client.ehlo()
                if self.username:
                    client.login(self.username, self.password or "")
            except BaseException:
                client.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            # A wrong password is the operator's to fix: keep the mails and try again later.
            raise DeliveryError(f"smtp {exc.smtp_code} at login") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"server unavailable: {type(exc).__name__}") from None
        try:
            yield _SmtpSession(client)
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()

    def describe(self) -> str:
        return f"SMTP {self.host}:{self.port}" + (" (TLS)" if self.tls else " (STARTTLS)" if self.starttls else "")


class _SmtpSession:
    def __init__(self, client: smtplib.SMTP):
        self.client = client

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        try:
            self.client.sendmail(sender, [recipient], message)
        except smtplib.SMTPRecipientsRefused as exc:
            code = next(iter(exc.recipients.values()))[0]
            raise _code_error(code, "rcpt") from None
        except smtplib.SMTPSenderRefused as exc:
            raise _code_error(exc.smtp_code, "mail from") from None
        except smtplib.SMTPDataError as exc:
            raise _code_error(exc.smtp_code, "data") from None
        except smtplib.SMTPResponseException as exc:
            raise _code_error(exc.smtp_code, "reply") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"connection lost: {type(exc).__name__}") from None


class FileTransport:
    """Development: each message becomes one .eml file in a folder (a staff page lists them)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    @contextmanager
    def connection(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        yield self

    def send(self, sender: str, recipient: str, message: bytes) -> None:
        name = f"{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}.eml"
        partial = self.folder / f".{name}.part"
        partial.write_bytes(message)
        partial.rename(self.folder / name)

    def describe(self) -> str:
        return f"files in {self.folder}"


def transport_for(settings) -> SmtpTransport | FileTransport:
    if settings.smtp_url:
        return SmtpTransport(settings.smtp_url)
    return FileTransport(settings.files_dir)
