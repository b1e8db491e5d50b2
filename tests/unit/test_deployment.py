"""docker-compose.yml starts what the Procfile starts, with what the configuration reads.

No Docker engine runs here, so these tests read the files instead of starting containers."""
import json
import re
import shlex
import urllib.parse
from pathlib import Path

import pytest
import yaml

from shared.config import ENV_VARIABLES, ROOT, SERVICES

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
PROCFILE = dict(line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
COMPONENTS = ("gateway", *SERVICES)


BIND = re.compile(r"--bind (\S+?):")
KEY_VARIABLES_OF_THE_GATEWAY = ("IDENTITY_PRIVATE_KEY", "TOKEN_SIGNING_KEY", "WEB_SECRET_KEY")


def bind_host(command: str) -> str | None:
    found = BIND.search(command)
    return found.group(1) if found else None


def test_every_procfile_process_runs_in_compose_with_the_same_command():
    """The same command, but for the address: a container listens on its own network, a laptop on 127.0.0.1."""
    services = COMPOSE["services"]
    for name, command in PROCFILE.items():
        assert name in services, f"{name} is in the Procfile but not in docker-compose.yml"
        in_compose = services[name]["command"]
        assert shlex.split(BIND.sub("--bind HOST:", in_compose)) == shlex.split(BIND.sub("--bind HOST:", command))


def test_the_gateway_is_the_one_door():
    services = COMPOSE["services"]
    for name, command in PROCFILE.items():
        if name in SERVICES:
            assert bind_host(command) == "127.0.0.1", f"{name} must listen on 127.0.0.1 only in the Procfile"
            assert bind_host(services[name]["command"]) == "0.0.0.0"  # its container's address, on compose's network
        published = services[name].get("ports")
        assert not published or name == "gateway", f"{name} publishes {published}: only the gateway may"
    assert bind_host(PROCFILE["gateway"]) == "0.0.0.0" and services["gateway"]["ports"]


def test_compose_refuses_to_start_without_keys_and_gives_the_private_ones_to_the_gateway_only():
    services = COMPOSE["services"]
    for name in PROCFILE:
        env = services[name]["environment"]
        assert re.fullmatch(r"\$\{IDENTITY_PUBLIC_KEY:\?.+\}", env["IDENTITY_PUBLIC_KEY"]), name
        for key in KEY_VARIABLES_OF_THE_GATEWAY:
            if name == "gateway":
                assert re.fullmatch(rf"\$\{{{key}:\?.+\}}", env[key]), f"{key} needs a value and has no default"
            else:
                assert key not in env, f"{name} must not hold {key}"
    assert "SIGNING_KEY:-" not in (ROOT / "docker-compose.yml").read_text()
    assert "_KEY:-" not in (ROOT / "docker-compose.yml").read_text()


def test_sign_in_limits_are_counted_in_the_redis_of_compose():
    services = COMPOSE["services"]
    gateway = services["gateway"]
    assert urllib.parse.urlsplit(gateway["environment"]["RATELIMIT_STORAGE_URI"]).hostname == "redis"
    assert "redis" in gateway["depends_on"] and "redis" in services
    assert services["redis"]["healthcheck"]


def test_procfile_starts_every_component_and_its_worker():
    assert set(PROCFILE) == {*COMPONENTS, *(f"{c}-worker" for c in COMPONENTS)}


@pytest.mark.parametrize("process", list(PROCFILE))
def test_each_process_gets_the_variables_the_config_reads(process):
    env = COMPOSE["services"][process]["environment"]
    assert "AMQP_URL" in env
    for component in COMPONENTS:
        assert f"{component.upper()}_DATABASE_URL" in env
    for service in SERVICES:
        assert urllib.parse.urlsplit(env[f"{service.upper()}_URL"]).hostname == service
    assert "IDENTITY_PUBLIC_KEY" in env
    unknown = set(env) - set(ENV_VARIABLES)
    assert not unknown, f"compose sets variables nothing reads: {unknown}"


def test_databases_named_in_compose_are_created_by_the_postgres_init():
    init = (ROOT / "infra/postgres/init.sql").read_text()
    created = set(re.findall(r"CREATE DATABASE (\w+);", init))
    env = COMPOSE["services"]["gateway"]["environment"]
    for component in COMPONENTS:
        url = env[f"{component.upper()}_DATABASE_URL"]
        assert urllib.parse.urlsplit(url).path.lstrip("/") in created


def test_rabbitmq_definitions_hold_the_exchange_and_the_dead_letter_policy():
    definitions = json.loads((ROOT / "infra/rabbitmq/definitions.json").read_text())
    exchanges = {e["name"]: e for e in definitions["exchanges"]}
    assert exchanges["veilleuse.events"]["type"] == "topic" and exchanges["veilleuse.events"]["durable"]
    assert exchanges["veilleuse.dlx"]["durable"]
    policy = definitions["policies"][0]
    assert policy["definition"]["dead-letter-exchange"] == "veilleuse.dlx"
    for queue in ("booking.sites", "relay.identity", "grocery.donations", "housing.identity"):
        assert re.match(policy["pattern"], queue)
    assert not re.match(policy["pattern"], "booking.sites.dlq")


def test_the_image_holds_what_the_commands_need():
    dockerfile = (ROOT / "infra/Dockerfile").read_text()
    for path in ("shared", "gateway", "services", "infra", "Procfile"):
        assert re.search(rf"^COPY {path}\b", dockerfile, re.M), path
    assert ".venv/bin/pip install" in dockerfile
    assert Path(ROOT / "infra/gunicorn.conf.py").exists()


def test_every_variable_the_config_reads_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in ENV_VARIABLES if f"`{name}`" not in readme]
    assert not missing, f"README's configuration table lacks {missing}"


def test_make_run_makes_the_keys_of_the_checkout_and_hands_their_files_to_every_process(tmp_path):
    import subprocess

    planned = subprocess.run(["make", "-n", "run", f"VAR_DIR={tmp_path}"], cwd=ROOT, capture_output=True,
                             text=True, timeout=60, check=True).stdout
    assert f"-m shared.keys {tmp_path}/keys > {tmp_path}/keys/files.env" in planned
    honcho = next(line for line in planned.splitlines() if "honcho start" in line)
    assert f"-e .env,{tmp_path}/keys/files.env" in honcho
    assert "RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379/0" in honcho
    assert "VEILLEUSE_ENV" not in planned  # make run is not development mode
    assert not (tmp_path / "keys").exists()  # `make -n` only says what it would do
