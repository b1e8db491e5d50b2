"""schemathesis against the merged /api/openapi.json, every operation, as anonymous and as each role, with
all its checks: no 5xx, no response that breaks its documented status, headers, schema or media type,
invalid data always refused, valid data refused only for a rule the schema cannot state."""
import uuid

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig

load_all_checks()
# Valid data may still break a rule no schema states (an end before the start, a room that does
# not exist, a full contract): 422 is right for it then, and so is 409.
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}}})
# Messages that mean a field's type or shape was refused: valid data must never get them.
SCHEMA_LEVEL_MESSAGES = ("Not a valid", "give a whole number", "Unknown field", "Missing data", "Field may not be null")


def valid_data_passes_the_schema(ctx, response, case):
    """Valid data refused with 422 is refused for a rule, never for its shape (else the spec lies)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    text = response.text
    assert not any(message in text for message in SCHEMA_LEVEL_MESSAGES), \
        f"valid data refused for its shape: {text[:500]}"
    return None


CHECKS_ALL = [*CHECKS.get_all(), valid_data_passes_the_schema]
# Erasing one's own account is tested on its own; fuzzing it would erase the fuzzing accounts.
SKIPPED = {("DELETE", "/api/accounts/me")}
PASSWORD = "fuzzing passphrase 1"
EXAMPLES = 6


@pytest.fixture(scope="session")
def fuzz_headers(system):
    """One fresh account per role (so that fuzzing never touches the demo accounts), and a program key."""
    admin = system.auth("admin@coroutine.test")
    org = requests.post(system.url("/api/organisations"), headers=admin, timeout=10,
                        json={"name": "Fuzz association", "kind": "association"}).json()
    headers = {"anonymous": {}}
    for role, roles, organisation in [("neighbour", ["neighbour"], None),
                                      ("association member", ["neighbour"], org["id"]),
                                      ("veilleur", ["veilleur"], None), ("admin", ["admin"], None)]:
        email = f"fuzz-{uuid.uuid4().hex[:8]}@example.test"
        account = requests.post(system.url("/api/accounts"), timeout=10, json={
            "email": email, "password": PASSWORD, "display_name": f"Fuzz {role}"}).json()
        requests.patch(system.url(f"/api/accounts/{account['id']}"), headers=admin, timeout=10,
                       json={"roles": roles, "organisation_id": organisation}).raise_for_status()
        headers[role] = {"Authorization": f"Bearer {system.token(email, PASSWORD)}"}
    key = requests.post(system.url("/api/api-keys"), headers=admin, json={"name": "fuzz program"}, timeout=10)
    headers["program"] = {"Authorization": f"Bearer {key.json()['key']}"}
    return headers


def operations(system):
    schema = schemathesis.openapi.from_url(system.url("/api/openapi.json"), config=CONFIG)
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) not in SKIPPED:
            yield operation


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_as_every_role(system, fuzz_headers, mode):
    failures = []
    tried = 0
    for operation in operations(system):
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                  derandomize=True, database=None)
        def run(case):
            for role, headers in fuzz_headers.items():
                case.call_and_validate(base_url=system.base_url, headers=headers, checks=CHECKS_ALL)

        tried += 1
        try:
            run()
        except Unsatisfiable:
            continue  # no invalid input exists for it (e.g. only free-text path parameters)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every operation's failure
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert tried >= 20, "the merged spec lost operations"
    assert not failures, "\n\n".join(failures)


COVERAGE_CASES_PER_OPERATION = 25


def test_the_coverage_phase_of_every_operation_as_every_role(system, fuzz_headers):
    """schemathesis' coverage cases (a missing parameter, a wrong type, a method the path does not
    support, ...): the checks that only such cases exercise, unsupported_method among them."""
    schema = schemathesis.openapi.from_url(system.url("/api/openapi.json"), config=CONFIG)
    failures, tried = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        cases = schema.iter_coverage_cases(
            operation, generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=schema.config.generation_for(operation=operation))
        for number, case in enumerate(cases):
            if number == COVERAGE_CASES_PER_OPERATION:
                break
            tried += 1
            for role, headers in fuzz_headers.items():
                try:
                    case.call_and_validate(base_url=system.base_url, headers=headers, checks=CHECKS_ALL)
                except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect every failure
                    failures.append(f"{role} {operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert tried >= 200, tried
    assert not failures, f"{len(failures)} failures\n\n" + "\n\n".join(failures[:30])
