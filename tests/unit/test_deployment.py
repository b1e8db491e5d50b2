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


def interpolate(value: str, env: dict) -> str:
    """What compose does to `${VAR}`, `${VAR:-default}` and `${VAR:?message}` (no Docker engine here)."""
    def one(match):
        name, operator, word = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if operator == ":?":
            raise ValueError(f"{name}: {word}")
        return word if operator == ":-" else ""
    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, value)


def test_rabbitmq_refuses_to_start_without_a_password_and_the_apps_connect_with_the_one_given():
    rabbitmq = COMPOSE["services"]["rabbitmq"]["environment"]
    for process in ("rabbitmq", "migrate", *PROCFILE):
        for value in COMPOSE["services"][process]["environment"].values():
            if "RABBITMQ_PASSWORD" in value:   # no default anywhere: compose stops and says what to set
                with pytest.raises(ValueError, match="set RABBITMQ_PASSWORD"):
                    interpolate(value, {})
    given = {"RABBITMQ_PASSWORD": "a-long-random-password"}
    for process in ("migrate", *PROCFILE):
        url = urllib.parse.urlsplit(interpolate(COMPOSE["services"][process]["environment"]["AMQP_URL"], given))
        assert (url.username, url.password) == (interpolate(rabbitmq["RABBITMQ_DEFAULT_USER"], given),
                                                interpolate(rabbitmq["RABBITMQ_DEFAULT_PASS"], given))
        assert url.password == "a-long-random-password"


def test_no_rabbitmq_user_or_password_is_written_in_infra():
    definitions = json.loads((ROOT / "infra/rabbitmq/definitions.json").read_text())
    assert "users" not in definitions and "permissions" not in definitions
    conf = (ROOT / "infra/rabbitmq/rabbitmq.conf").read_text()
    settings = [line for line in conf.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    # Definitions loaded at boot stop RabbitMQ from making its default user: nobody could connect.
    assert not any(line.split("=")[0].strip() in ("load_definitions", "definitions.local.path",
                                                  "default_user", "default_pass") for line in settings)


def test_the_migrate_step_declares_the_bus_topology_once_rabbitmq_is_up():
    migrate = COMPOSE["services"]["migrate"]
    assert shlex.split(migrate["command"])[-2:] == ["-m", "shared.migrations"]
    assert migrate["depends_on"]["rabbitmq"]["condition"] == "service_healthy"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_rabbitmq_definitions_are_generated_from_the_workers_queues():
    from shared.bus.topology import render_definitions

    assert (ROOT / "infra/rabbitmq/definitions.json").read_text() == render_definitions(), \
        "regenerate it: .venv/bin/python -m shared.bus.topology > infra/rabbitmq/definitions.json"


def test_rabbitmq_definitions_hold_every_queue_its_bindings_and_its_dead_letter_queue():
    from shared.bus.topology import platform_queues

    definitions = json.loads((ROOT / "infra/rabbitmq/definitions.json").read_text())
    exchanges = {e["name"]: e for e in definitions["exchanges"]}
    assert exchanges["veilleuse.events"]["type"] == "topic" and exchanges["veilleuse.events"]["durable"]
    assert exchanges["veilleuse.events"]["arguments"] == {"alternate-exchange": "veilleuse.unrouted"}
    assert exchanges["veilleuse.dlx"]["durable"] and exchanges["veilleuse.unrouted"]["type"] == "fanout"
    queues = {q["name"]: q["arguments"] for q in definitions["queues"]}
    bindings = {(b["source"], b["destination"], b["routing_key"]) for b in definitions["bindings"]}
    assert queues["veilleuse.unrouted"]["x-max-length"] > 0                    # bounded
    assert ("veilleuse.unrouted", "veilleuse.unrouted", "") in bindings
    expected = platform_queues()
    assert {"booking.sites", "relay.identity", "grocery.donations", "housing.identity"} <= set(expected)
    for queue, types in expected.items():
        assert queues[queue]["x-queue-type"] == "quorum"
        assert queues[queue]["x-dead-letter-exchange"] == "veilleuse.dlx"
        assert queues[queue]["x-dead-letter-routing-key"] == f"{queue}.dlq"
        assert queues[f"{queue}.dlq"]["x-queue-type"] == "quorum"
        assert ("veilleuse.dlx", f"{queue}.dlq", f"{queue}.dlq") in bindings
        assert {key for source, destination, key in bindings
                if source == "veilleuse.events" and destination == queue} == set(types)
    assert set(queues) == {"veilleuse.unrouted", *expected, *(f"{queue}.dlq" for queue in expected)}


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
