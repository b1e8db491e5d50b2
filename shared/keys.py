"""The platform's keys: read from the environment or from files, never from the source; made once per checkout.

Each key is given as `NAME` (the value) or `NAME_FILE` (a file holding it). Without it a process refuses to
start, unless development mode is asked for (`VEILLEUSE_ENV=development`): then the keys of the checkout,
under `var/keys/`, are made on first use and read from there. `python -m shared.keys DIR` makes them for
`make run`; `python -m shared.keys --compose DIR` prints them as lines for docker compose's `.env` file.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import fcntl
import logging
import os
import secrets
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

log = logging.getLogger("veilleuse.keys")
ENVIRONMENT = "VEILLEUSE_ENV"
DEVELOPMENT = "development"
PRODUCTION = "production"
# Variable -> file name under a keys directory (`var/keys/` for `make run` and development mode).
KEY_FILES = {
    "IDENTITY_PRIVATE_KEY": "identity-private.pem",
    "IDENTITY_PUBLIC_KEY": "identity-public.pem",
    "TOKEN_SIGNING_KEY": "token-signing.key",
    "WEB_SECRET_KEY": "web-secret.key",
}
SECRET_MIN_LENGTH = 32
_announced: set[str] = set()


class MissingKey(RuntimeError):
    """A key the process needs is not configured (or is unusable): the process must not start."""


def environment() -> str:
    value = os.environ.get(ENVIRONMENT, PRODUCTION).strip().lower() or PRODUCTION
    if value not in (PRODUCTION, DEVELOPMENT):
        raise MissingKey(f"{ENVIRONMENT}={value!r} is unknown: use {PRODUCTION} (the default) or {DEVELOPMENT}.")
    return value


def development_mode() -> bool:
    """Asked for explicitly with VEILLEUSE_ENV=development; anything else is production."""
    return environment() == DEVELOPMENT


def keys_directory() -> Path:
    from shared.config import var_dir

    return var_dir() / "keys"


# -- making keys --------------------------------------------------------------------------------------------
def _write_private(path: Path, content: bytes) -> None:
    """Write atomically, readable by the owner only: a reader never sees half a key."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, content)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def _public_pem(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)


def ensure_keys(directory: Path) -> dict[str, Path]:
    """Make the keys missing from `directory` (random, mode 0600); keys already there are kept as they are."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    paths = {name: directory / filename for name, filename in KEY_FILES.items()}
    # Several processes of a development run may start at once: one makes the keys, the others wait.
    with open(directory / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        private_path, public_path = paths["IDENTITY_PRIVATE_KEY"], paths["IDENTITY_PUBLIC_KEY"]
        if not private_path.exists():
            private = Ed25519PrivateKey.generate()
            _write_private(private_path, private.private_bytes(serialization.Encoding.PEM,
                                                               serialization.PrivateFormat.PKCS8,
                                                               serialization.NoEncryption()))
            _write_private(public_path, _public_pem(private))
        elif not public_path.exists():
            _write_private(public_path, _public_pem(_private_key_from(private_path.read_bytes(),
                                                                      "IDENTITY_PRIVATE_KEY_FILE")))
        for name in ("TOKEN_SIGNING_KEY", "WEB_SECRET_KEY"):
            if not paths[name].exists():
                _write_private(paths[name], (secrets.token_urlsafe(48) + "\n").encode())
    return paths


# -- reading keys -------------------------------------------------------------------------------------------
def _configured(name: str) -> tuple[bytes, str] | None:
    """The raw value of `name` and where it came from, from `NAME` or `NAME_FILE`; None when neither is set."""
    value, file_name = os.environ.get(name), os.environ.get(f"{name}_FILE")
    if value and file_name:
        raise MissingKey(f"Both {name} and {name}_FILE are set: keep one.")
    if value:
        return value.strip().encode(), name
    if file_name:
        try:
            return Path(file_name).read_bytes().strip(), f"{name}_FILE ({file_name})"
        except OSError as exc:
            raise MissingKey(f"{name}_FILE names {file_name}, which cannot be read: {exc.strerror}.") from None
    return None


def _value(name: str, used_by: str) -> tuple[bytes, str]:
    found = _configured(name)
    if found is not None:
        return found
    if not development_mode():
        raise MissingKey(
            f"{name} is not set: the {used_by} cannot start without it. Set {name} or {name}_FILE "
            f"(`make run` makes random keys under var/keys/; `python -m shared.keys --compose DIR` prints them "
            f"for docker compose), or ask for development mode with {ENVIRONMENT}={DEVELOPMENT}.")
    path = ensure_keys(keys_directory())[name]
    if name not in _announced:
        _announced.add(name)
        log.warning("development mode (%s=%s): %s is read from %s, made for this checkout",
                    ENVIRONMENT, DEVELOPMENT, name, path)
    return path.read_bytes().strip(), f"{path} (development mode)"


def _raw_base64(text: bytes) -> bytes | None:
    standard = text.replace(b"-", b"+").replace(b"_", b"/")  # base64url too
    try:
        raw = base64.b64decode(standard + b"=" * (-len(standard) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def _private_key_from(text: bytes, source: str) -> Ed25519PrivateKey:
    if text.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_private_key(text, password=None)
        except (ValueError, TypeError) as exc:
            raise MissingKey(f"{source} is not a readable PEM private key: {exc}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise MissingKey(f"{source} must be an Ed25519 private key.")
        return key
    raw = _raw_base64(text)
    if raw is None:
        raise MissingKey(f"{source} must be an Ed25519 private key: PEM, or the 32 raw bytes in base64.")
    return Ed25519PrivateKey.from_private_bytes(raw)


def _public_key_from(text: bytes, source: str) -> Ed25519PublicKey:
    if text.startswith(b"-----BEGIN"):
        try:
            key = serialization.load_pem_public_key(text)
        except (ValueError, TypeError) as exc:
            raise MissingKey(f"{source} is not a readable PEM public key: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise MissingKey(f"{source} must be an Ed25519 public key.")
        return key
    raw = _raw_base64(text)
    if raw is None:
        raise MissingKey(f"{source} must be an Ed25519 public key: PEM, or the 32 raw bytes in base64.")
    return Ed25519PublicKey.from_public_bytes(raw)


def private_key_in(path: Path) -> Ed25519PrivateKey:
    """The identity private key kept in a file (for tools that start a platform of their own: the bench)."""
    return _private_key_from(Path(path).read_bytes().strip(), str(path))


def identity_private_key() -> Ed25519PrivateKey:
    """The gateway's key signing the identity it hands the services; no other process reads it."""
    return _private_key_from(*_value("IDENTITY_PRIVATE_KEY", "gateway"))


def identity_public_key() -> Ed25519PublicKey:
    """What a service checks the gateway's identities with: it can verify them, never make one."""
    return _public_key_from(*_value("IDENTITY_PUBLIC_KEY", "service"))


def _secret(name: str, used_by: str) -> str:
    value, source = _value(name, used_by)
    text = value.decode("utf-8", errors="replace")
    if len(text) < SECRET_MIN_LENGTH:
        raise MissingKey(f"{source} is too short: use at least {SECRET_MIN_LENGTH} random characters "
                         f"(for example `python -c 'import secrets; print(secrets.token_urlsafe(48))'`).")
    return text


def token_signing_key() -> str:
    """HMAC key of the gateway's access tokens."""
    return _secret("TOKEN_SIGNING_KEY", "gateway")


def web_secret_key() -> str:
    """Signs the web pages' session cookie, which holds the access token."""
    return _secret("WEB_SECRET_KEY", "gateway")


# -- command line -------------------------------------------------------------------------------------------
def _compose_lines(paths: dict[str, Path]) -> list[str]:
    private = _private_key_from(paths["IDENTITY_PRIVATE_KEY"].read_bytes(), str(paths["IDENTITY_PRIVATE_KEY"]))
    raw_private = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption())
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return [f"IDENTITY_PRIVATE_KEY={base64.b64encode(raw_private).decode()}",
            f"IDENTITY_PUBLIC_KEY={base64.b64encode(raw_public).decode()}",
            f"TOKEN_SIGNING_KEY={paths['TOKEN_SIGNING_KEY'].read_text().strip()}",
            f"WEB_SECRET_KEY={paths['WEB_SECRET_KEY'].read_text().strip()}"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.keys", description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", type=Path, help="where the keys are kept (default: var/keys)")
    parser.add_argument("--compose", action="store_true",
                        help="print NAME=value lines for docker compose's .env instead of NAME_FILE=path lines")
    args = parser.parse_args(argv)
    paths = ensure_keys(args.directory or keys_directory())
    if args.compose:
        lines = _compose_lines(paths)
    else:
        lines = [f"{name}_FILE={path.resolve()}" for name, path in paths.items()]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
