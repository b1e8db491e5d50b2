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


def test_every_procfile_process_runs_in_compose_with_the_same_command():
    services = COMPOSE["services"]
    for name, command in PROCFILE.items():
        assert name in services, f"{name} is in the Procfile but not in docker-compose.yml"
        assert shlex.split(services[name]["command"]) == shlex.split(command)


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
    for key in ("IDENTITY_SIGNING_KEY", "TOKEN_SIGNING_KEY"):
        assert key in env
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
