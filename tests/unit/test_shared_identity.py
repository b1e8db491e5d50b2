"""The signed identity the gateway hands the services."""
import time

import jwt
import pytest

from shared.identity import Identity, sign_identity, verify_identity

KEY = "a-test-key-that-is-long-enough-for-hs256"


def test_identity_round_trips_with_roles_and_organisation():
    identity = Identity("acc-1", roles=("veilleur",), organisation_id="org-1", organisation_kind="association")
    back = verify_identity(sign_identity(identity, KEY), KEY)
    assert back == identity
    assert back.is_staff and back.has_role("veilleur") and not back.has_role("admin")


def test_identity_signed_with_another_key_is_refused():
    token = sign_identity(Identity("acc-1"), "another-key-another-key-another-key")
    with pytest.raises(jwt.InvalidSignatureError):
        verify_identity(token, KEY)


def test_expired_identity_is_refused():
    token = sign_identity(Identity("acc-1"), KEY, ttl_seconds=-1)
    with pytest.raises(jwt.ExpiredSignatureError):
        verify_identity(token, KEY)


def test_identity_is_short_lived():
    token = sign_identity(Identity("acc-1"), KEY)
    claims = jwt.decode(token, KEY, algorithms=["HS256"], audience="veilleuse-services")
    assert claims["exp"] - time.time() <= 60
    assert "email" not in claims and "name" not in claims


def test_programs_are_not_people():
    from flask import Flask

    from shared.identity import HEADER, require_person
    from shared.problems import Problem

    app = Flask("t")
    app.config["IDENTITY_SIGNING_KEY"] = KEY
    for kind, allowed in (("account", True), ("program", False)):
        token = sign_identity(Identity("x", kind=kind), KEY)
        with app.test_request_context(headers={HEADER: token}):
            try:
                require_person()
                refused = None
            except Problem as problem:
                refused = problem.status
        assert (refused is None) is allowed and refused in (None, 403)
