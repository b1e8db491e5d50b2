"""The notifier's pages: forgotten password to a new one through the mail, preferences, one-click page."""
import re

from gateway.notifications.jobs import Notifications
from gateway.notifications.settings import MailSettings
from shared.config import Settings
from tests.support.mailbox import Mailbox
from tests.unit.web_support import DEMO_PASSWORD, Visitor, build_platform, text_of


def test_a_forgotten_password_is_changed_from_the_pages_through_the_mail(tmp_path, monkeypatch, clock):
    gateway = build_platform(tmp_path, monkeypatch, clock)
    db = gateway.extensions["veilleuse.db"]
    visitor = Visitor(gateway)
    assert "Mot de passe oublié ?" in text_of(visitor.get("/signin"))
    sent = visitor.submit("/forgot-password", {"email": "voisin@coroutine.test"})
    assert sent.status_code == 200 and "Regardez votre boîte mail" in text_of(sent)
    with Mailbox() as box:
        mail = MailSettings(smtp_url=box.url, mail_from="Veilleuse <no-reply@veilleuse.test>", files_dir=None,
                            base_url="http://localhost")
        Notifications(Settings.from_env("gateway", database_url=db.url), mail=mail).round(db)
        [message] = box.to("voisin@coroutine.test")
    token = re.search(r"/password-reset\?token=([\w-]+)", message.text).group(1)
    page = f"/password-reset?token={token}"
    weak = visitor.submit(page, {"token": token, "password": "court"})
    assert weak.status_code == 422 and "Utilisez au moins 10 caractères." in text_of(weak)
    done = visitor.submit(page, {"token": token, "password": "un tout nouveau secret"})
    assert done.status_code == 302
    assert Visitor(gateway).submit("/signin", {"email": "voisin@coroutine.test", "password": DEMO_PASSWORD}
                                   ).status_code == 401
    Visitor(gateway).sign_in("voisin@coroutine.test", "un tout nouveau secret")
    used = visitor.submit(page, {"token": token, "password": "encore un autre secret"})
    assert used.status_code == 422 and "Ce lien a déjà servi" in text_of(used)


def test_preferences_are_chosen_on_a_page_and_the_unsubscribe_page_needs_no_sign_in(tmp_path, monkeypatch, clock):
    gateway = build_platform(tmp_path, monkeypatch, clock)
    visitor = Visitor(gateway)
    visitor.sign_in("voisin@coroutine.test")
    page = visitor.get("/account/notifications")
    assert page.status_code == 200 and "Paniers AMAP" in text_of(page)
    saved = visitor.submit("/account/notifications", {"topics": ["rooms", "housing"]})
    assert saved.status_code == 302
    shown = visitor.get("/account/notifications").get_data(as_text=True)
    assert re.search(r'value="rooms"[^>]*checked', shown) and not re.search(r'value="amap"[^>]*checked', shown)
    assert Visitor(gateway).get("/unsubscribe?token=forged.token").status_code == 400
