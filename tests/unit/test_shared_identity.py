"""The signed identity the gateway hands the services: Ed25519, made by the gateway only."""
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Flask

from shared.identity import (
    HEADER,
    PUBLIC_KEY_CONFIG,
    Identity,
    current_identity,
    load_identity,
    require_person,
    sign_identity,
    verify_identity,
)
from shared.problems import Problem

PRIVATE = Ed25519PrivateKey.generate()
PUBLIC = PRIVATE.public_key()
# What the services trusted until the identity was signed with Ed25519: a key written in shared/config.py.
OLD_REPOSITORY_KEY = "veilleuse-dev-only-signing-key-change-me-in-production"


def test_identity_round_trips_with_roles_and_organisation():
    identity = Identity("acc-1", roles=("veilleur",), organisation_id="org-1", organisation_kind="association")
    back = verify_identity(sign_identity(identity, PRIVATE), PUBLIC)
    assert back == identity
    assert back.is_staff and back.has_role("veilleur") and not back.has_role("admin")


def test_identity_signed_with_another_key_pair_is_refused():
    token = sign_identity(Identity("acc-1"), Ed25519PrivateKey.generate())
    with pytest.raises(jwt.InvalidSignatureError):
        verify_identity(token, PUBLIC)


def test_identity_signed_with_hmac_is_refused_whatever_the_key():
    claims = {"sub": "acc-1", "roles": ["admin"], "aud": "veilleuse-services", "iss": "veilleuse-gateway",
              "exp": int(time.time()) + 60}
    for key in (OLD_REPOSITORY_KEY, "any-other-shared-secret-of-32-characters!"):
        with pytest.raises(jwt.InvalidAlgorithmError):
            verify_identity(jwt.encode(claims, key, algorithm="HS256"), PUBLIC)


def test_unsigned_identity_is_refused():
    claims = {"sub": "acc-1", "roles": ["admin"], "aud": "veilleuse-services", "iss": "veilleuse-gateway",
              "exp": int(time.time()) + 60}
    with pytest.raises(jwt.PyJWTError):
        verify_identity(jwt.encode(claims, None, algorithm="none"), PUBLIC)


def test_expired_identity_is_refused():
    token = sign_identity(Identity("acc-1"), PRIVATE, ttl_seconds=-1)
    with pytest.raises(jwt.ExpiredSignatureError):
        verify_identity(token, PUBLIC)


def test_identity_is_short_lived_and_carries_no_personal_data():
    token = sign_identity(Identity("acc-1"), PRIVATE)
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    claims = jwt.decode(token, PUBLIC, algorithms=["EdDSA"], audience="veilleuse-services")
    assert claims["exp"] - time.time() <= 60
    assert "email" not in claims and "name" not in claims


def app_with_public_key() -> Flask:
    app = Flask("t")
    app.config[PUBLIC_KEY_CONFIG] = PUBLIC
    return app


def test_a_forged_identity_header_is_a_401_problem():
    forged = jwt.encode({"sub": "x", "roles": ["admin"], "aud": "veilleuse-services", "iss": "veilleuse-gateway",
                         "exp": int(time.time()) + 60}, OLD_REPOSITORY_KEY, algorithm="HS256")
    with app_with_public_key().test_request_context(headers={HEADER: forged}):
        with pytest.raises(Problem) as refused:
            load_identity()
    assert refused.value.status == 401


def test_programs_are_not_people():
    app = app_with_public_key()
    for kind, allowed in (("account", True), ("program", False)):
        token = sign_identity(Identity("x", kind=kind), PRIVATE)
        with app.test_request_context(headers={HEADER: token}):
            try:
                require_person()
                refused = None
            except Problem as problem:
                refused = problem.status
        assert (refused is None) is allowed and refused in (None, 403)


def test_no_identity_is_anonymous_and_a_401_where_one_is_required():
    with app_with_public_key().test_request_context():
        assert current_identity(required=False) is None
        with pytest.raises(Problem) as refused:
            current_identity()
    assert refused.value.status == 401
