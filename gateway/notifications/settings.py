"""Settings of the notifier, read from the environment (see the README's configuration table)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shared.config import var_dir

DEFAULT_FROM = "Veilleuse <no-reply@veilleuse.localhost>"
DEFAULT_BASE_URL = "http://localhost:8000"


@dataclass(frozen=True)
class MailSettings:
    smtp_url: str | None        # smtp://user:pass@host:587?starttls=1, smtps://host:465
    mail_from: str
    files_dir: Path | None      # development: one .eml file per message instead of SMTP
    base_url: str               # where the links in the mails point

    @classmethod
    def from_env(cls, env=None) -> "MailSettings":
        env = os.environ if env is None else env
        smtp_url = env.get("SMTP_URL") or None
        files = env.get("MAIL_TO_FILES") or None
        if smtp_url is None and files is None:
            # Development: without a mail server, mails are written where a person can read them.
            files_dir = var_dir() / "mail"
        else:
            files_dir = Path(files) if files and smtp_url is None else None
        return cls(smtp_url=smtp_url, mail_from=env.get("MAIL_FROM") or DEFAULT_FROM, files_dir=files_dir,
                   base_url=(env.get("PUBLIC_BASE_URL") or DEFAULT_BASE_URL).rstrip("/"))
