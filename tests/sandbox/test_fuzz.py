"""Schema-driven fuzzing of the committed OpenAPI document against the running sandbox.

Every operation of `docs/openapi.json`, with schemathesis' positive (schema-valid) and negative
(schema-violating) requests, sent with a valid Cognito token and without one. Every response
is held to the API contract (`docs/openapi.json`), see `contract_problems`:

- no status of 500 or more;
- every 4xx is the contract's error JSON, `{"error": {"code", "message", "field"?}}`; the one
  exception is the 401 of the JWT authorizer, which API Gateway writes, not our code;
- with a valid token there is no 401; without one, every protected path answers that 401;
- every response but a 204 is JSON and carries `X-Bookstore-Region`; 2xx bodies match the
  document's component schema for the operation;
- a schema-valid request is not refused as invalid input (`known_deviation` names where the
  API knowingly refuses more than the document says).

Two passes:

- `test_fuzz`: Hypothesis-generated requests (derandomized: the same code and the same test
  selection send the same requests; Hypothesis also draws on constants of the imported code)
  sent straight to the serving region's API gateway, `sandbox.api(primary)`. The gateway is
  the API as API Gateway presents it; nothing in between re-routes (the front door's answer
  per client may change with the regions' health), so a failure points at the handler. Negative
  fuzzing needs something in the document to violate, so operations without parameters,
  body or (anonymous) security scheme are fuzzed positively only; the coverage pass sends
  them negative cases (unexpected methods, malformed content types).
- `test_coverage`: schemathesis' deterministic boundary cases (minimum/maximum values and
  lengths, missing required parts, wrong types, unexpected methods and content types), both
  modes, through the front door (`<frontDoor>/api`): the whole path a browser takes.

Fuzzing writes carts and orders, so it signs up a user of its own (the session's `token` user
belongs to the other tests), and positive cases put only two books in its cart, so the
best-seller list the other tests read changes by at most two entries.

Bounded for CI: `FUZZ_EXAMPLES` requests per operation x mode x auth; the file takes about a
minute on two idle cores and three on a heavily loaded pair. `BOOKSTORE_FUZZ_EXAMPLES=600`
runs a deeper search (about eleven minutes).
No Hypothesis database is written and shrinking is off (every example is a live request); a
failure prints the request as a curl command.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import jsonschema_rs
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, BaseSchema, Case, GenerationMode
from schemathesis.core.result import Ok
from schemathesis.core.transport import Response

from tests.sandbox.conftest import Sandbox, eventually, http, sign_up_and_in

REPO = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO / "docs" / "openapi.json"
SPEC: dict[str, Any] = json.loads(SPEC_PATH.read_text())

FUZZ_EXAMPLES = int(os.environ.get("BOOKSTORE_FUZZ_EXAMPLES", "25"))
REQUEST_TIMEOUT = 35  # above API Gateway's 29 s integration timeout, which the gateway mimics
MODES = {"positive": GenerationMode.POSITIVE, "negative": GenerationMode.NEGATIVE}
AUTHS = ("token", "anonymous")

# API Gateway's JWT authorizer answers a missing or invalid token itself, before the Lambda
# function runs, with exactly this body (sandbox/jwt_auth.py mimics it). It is the one 4xx
# that is not in the contract's error shape. (The document's 401 says ErrorBody; the
# authorizer's body is what clients see.)
AUTHORIZER_401 = {"message": "Unauthorized"}
# The paths behind the authorizer (sandbox/gateway.py; the HTTP API's authorized routes).
# A CORS preflight (OPTIONS) is answered without authorization, as API Gateway does.
PROTECTED_PREFIXES = ("/cart", "/orders")
# API Gateway HTTP APIs route GET, POST, PUT, PATCH, DELETE, HEAD and OPTIONS. The sandbox's
# servers answer any other method with their own 405 before the API's code runs (see
# tests/sandbox/test_httpd.py), so schemathesis' TRACE and QUERY probes would test the server,
# not the API.
UNROUTABLE_METHODS = frozenset({"TRACE", "QUERY", "CONNECT"})

# The body of each operation's 2xx answer, as a component of the document (the document does
# not declare every 2xx response; the components are what `make openapi` generates).
SUCCESS_BODIES = {
    "GET /health": "HealthReport",
    "GET /books": "BookPage",
    "GET /books/{bookId}": "Book",
    "GET /categories": "CategoryList",
    "GET /bestsellers": "BestsellerList",
    "GET /cart": "Cart",
    "PUT /cart/{bookId}": "CartItem",
    "POST /orders": "Order",
    "GET /orders": "OrderList",
    "GET /orders/{orderId}": "Order",
}
NO_CONTENT = {"DELETE /cart/{bookId}"}


def _validator(component: str) -> jsonschema_rs.Validator:
    root = {"$ref": f"#/components/schemas/{component}", "components": SPEC["components"]}
    return jsonschema_rs.Draft202012Validator(root)


VALIDATORS = {label: _validator(name) for label, name in SUCCESS_BODIES.items()}


def load_schema(with_security_parameters: bool) -> BaseSchema:
    # An explicit configuration: a `schemathesis.toml` up the tree must not change CI's cases.
    config = {"generation": {"with-security-parameters": with_security_parameters}}
    return schemathesis.openapi.from_path(SPEC_PATH, config=schemathesis.Config.from_dict(config))


# "token": the fuzzer sends a valid token itself, so schemathesis must not generate (or, in
# negative cases, leave out) an Authorization header. "anonymous": schemathesis makes up the
# Authorization header the security scheme asks for (never a valid token) or leaves it out.
SCHEMAS = {"token": load_schema(False), "anonymous": load_schema(True)}
OPERATIONS: dict[str, dict[str, APIOperation[Any, Any, Any, Any]]] = {
    auth: {
        result.ok().label: result.ok()
        for result in schema.get_all_operations()
        if isinstance(result, Ok)
    }
    for auth, schema in SCHEMAS.items()
}
LABELS = list(OPERATIONS["token"])


def negatable(label: str, auth: str) -> bool:
    operation = OPERATIONS[auth][label]
    return any(True for _ in operation.iter_parameters()) or len(operation.body) > 0


FUZZ_MATRIX = [
    pytest.param(label, mode, auth, id=f"{label}-{mode}-{auth}")
    for label in LABELS
    for mode in MODES
    for auth in AUTHS
    if mode == "positive" or negatable(label, auth)
]


def test_the_matrix_covers_every_documented_operation() -> None:
    documented = {
        f"{method.upper()} {path}" for path, item in SPEC["paths"].items() for method in item
    }
    assert set(LABELS) == documented
    assert set(SUCCESS_BODIES) | NO_CONTENT == documented
    fuzzed = {(label, mode, auth) for label, mode, auth in (p.values for p in FUZZ_MATRIX)}
    for label in LABELS:
        assert {(label, "positive", auth) for auth in AUTHS} <= fuzzed
        # Negative: fuzzed when there is something to violate, else only the coverage pass.
        assert any((label, "negative", auth) in fuzzed for auth in AUTHS) or not any(
            negatable(label, auth) for auth in AUTHS
        )


# -- the contract's checks -------------------------------------------------------------------


def is_protected(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PROTECTED_PREFIXES)


def error_shape_problem(body: Any) -> str | None:
    """Why `body` is not `{"error": {"code": str, "message": str, "field"?: str}}`, or None."""
    if not isinstance(body, dict) or set(body) != {"error"}:
        return "the body is not an object with exactly the key 'error'"
    error = body["error"]
    if not isinstance(error, dict):
        return "'error' is not an object"
    if not isinstance(error.get("code"), str) or not error["code"]:
        return "'error.code' is not a non-empty string"
    if not isinstance(error.get("message"), str):
        return "'error.message' is not a string"
    if "field" in error and not isinstance(error["field"], str):
        return "'error.field' is present but not a string"
    extra = set(error) - {"code", "message", "field"}
    if extra:
        return f"'error' has unexpected keys {sorted(extra)}"
    return None


def known_deviation(case: Case[Any], error: dict[str, Any]) -> str | None:
    """Why the API may refuse this schema-valid request as invalid, if it is a known case."""
    field = error.get("field")
    if field == "cursor":
        return "a cursor is opaque: only the ones the API issued are valid"
    body = case.body
    if field == "quantity" and isinstance(body, dict) and isinstance(body.get("quantity"), float):
        # JSON Schema's "integer" includes 3.0; the model (StrictInt) takes only 3.
        return "quantity is an integral float"
    value = (case.path_parameters or {}).get(str(field))
    if isinstance(value, str) and len(quote(value, safe="")) > 128:
        # The sandbox gateway hands the handler the path percent-encoded, so maxLength counts
        # the encoded characters.
        return "the path parameter is longer than 128 characters percent-encoded"
    return None


def contract_problems(
    label: str,
    case: Case[Any],
    response: Response,
    *,
    token: str | None,
    regions: set[str],
) -> list[str]:
    """The contract's rules that `response` to `case` (for operation `label`) breaks."""
    problems: list[str] = []
    request = response.request
    method = str(request.method).upper()
    path = urlsplit(str(request.url)).path
    authenticated = token is not None and request.headers.get("Authorization") == f"Bearer {token}"
    if token is not None and not authenticated:
        problems.append("the test did not send its token")
    status = response.status_code
    headers = {name.lower(): values for name, values in response.headers.items()}
    body: Any = None
    if status == 204:
        if response.content:
            problems.append("a 204 with a body")
    else:
        content_type = (headers.get("content-type") or [""])[0]
        if not content_type.startswith("application/json"):
            problems.append(f"content-type {content_type!r} is not JSON")
        try:
            body = response.json()
        except ValueError:
            problems.append("the body is not JSON")
    region = next(iter(headers.get("x-bookstore-region") or []), None)
    if region not in regions:
        problems.append(f"X-Bookstore-Region is {region!r}, not one of {sorted(regions)}")

    if status >= 500:
        problems.append(f"a server error: {status}")
    elif status == 401:
        if authenticated:
            problems.append("a 401 with a valid token")
        if body != AUTHORIZER_401 and error_shape_problem(body) is not None:
            problems.append("a 401 neither in the authorizer's body nor in the error shape")
    elif 400 <= status < 500:
        problem = error_shape_problem(body)
        if problem is not None:
            problems.append(f"a {status} not in the error shape: {problem}")
        elif (
            status in (400, 413, 415, 422)
            and case.meta is not None
            and case.meta.generation.mode is GenerationMode.POSITIVE
            and method == case.operation.method.upper()
            and known_deviation(case, body["error"]) is None
        ):
            problems.append(f"a schema-valid request refused as invalid: {body['error']}")
    elif 200 <= status < 300 and status != 204 and method == case.operation.method.upper():
        validator = VALIDATORS.get(label)
        errors = [e.message for e in validator.iter_errors(body)] if validator else []
        if errors:
            component = SUCCESS_BODIES[label]
            problems.append(f"the {status} body does not match {component}: {errors[:3]}")

    anonymous_call = not authenticated and is_protected(path) and method != "OPTIONS"
    if anonymous_call and (status, body) != (401, AUTHORIZER_401):
        problems.append(f"{method} {path} without a valid token answered {status}, not 401")
    return problems


# -- the fuzz user and the requests ------------------------------------------------------------


@dataclass
class FuzzUser:
    token: str
    book_ids: list[str]  # the only books positive cases put into the cart
    order_ids: list[str]


@pytest.fixture(scope="module")
def fuzz_user(sandbox: Sandbox) -> FuzzUser:
    """A user of the fuzzer's own, with one order, so that the other tests' user is untouched."""
    api = sandbox.api(sandbox.primary)
    # A test before this one may just have restored a region.
    eventually(lambda: http("GET", f"{api}/health").status == 200, timeout=60, interval=0.5)
    listing = http("GET", f"{api}/books?limit=100")
    assert listing.status == 200, listing.body
    # The last two of the listing: the journey tests buy the first ones.
    book_ids = [book["id"] for book in listing.body["items"]][-2:]
    assert len(book_ids) == 2
    token = sign_up_and_in(sandbox)
    put = http("PUT", f"{api}/cart/{book_ids[0]}", {"quantity": 1}, token=token)
    assert put.status == 200, put.body
    key = uuid.uuid4().hex
    order = http("POST", f"{api}/orders", token=token, headers={"Idempotency-Key": key})
    assert order.status == 201, order.body
    return FuzzUser(token, book_ids, [order.body["orderId"]])


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as shared:
        yield shared


def send(case: Case[Any], base_url: str, session: requests.Session, token: str | None) -> Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return case.call(base_url=base_url, session=session, headers=headers, timeout=REQUEST_TIMEOUT)


def report(label: str, auth: str, case: Case[Any], response: Response, problems: list[str]) -> str:
    request = response.request
    # schemathesis masks the Authorization header in the command: add a token to replay it.
    curl = case.as_curl_command(headers=dict(request.headers))
    return (
        f"{label} ({auth}): {'; '.join(problems)}\n"
        f"  request: {request.method} {str(request.url)[:300]}\n"
        f"  reproduce: {curl[:3000]}\n"
        f"  response: {response.status_code} {response.content[:500]!r}"
    )


def real_path_parameters(label: str, user: FuzzUser) -> list[dict[str, str]]:
    """Path parameters that name things which exist, so positive cases reach the 2xx code too."""
    if "{bookId}" in label:
        return [{"bookId": book_id} for book_id in user.book_ids]
    if "{orderId}" in label:
        return [{"orderId": order_id} for order_id in user.order_ids]
    return []


# -- the tests ---------------------------------------------------------------------------------


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("label", "mode", "auth"), FUZZ_MATRIX)
def test_fuzz(
    sandbox: Sandbox,
    fuzz_user: FuzzUser,
    session: requests.Session,
    label: str,
    mode: str,
    auth: str,
) -> None:
    operation = OPERATIONS[auth][label]
    generation_mode = MODES[mode]
    token = fuzz_user.token if auth == "token" else None
    base_url = sandbox.api(sandbox.primary)
    strategy = operation.as_strategy(generation_mode=generation_mode)
    existing = [
        operation.as_strategy(generation_mode=generation_mode, path_parameters=parameters)
        for parameters in real_path_parameters(label, fuzz_user)
    ]
    if existing and generation_mode is GenerationMode.POSITIVE:
        # Half the positive cases name a real book or order (else nearly all would be 404s).
        strategy = st.one_of(strategy, st.one_of(existing))

    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )
    @given(data=st.data())
    def fuzz(data: st.DataObject) -> None:
        case = data.draw(strategy, label="case")
        drop = auth == "anonymous" and data.draw(st.booleans(), label="no Authorization at all")
        if drop and case.headers is not None:
            case.headers.pop("Authorization", None)
        response = send(case, base_url, session, token)
        problems = contract_problems(label, case, response, token=token, regions={sandbox.primary})
        assert not problems, report(label, auth, case, response, problems)

    fuzz()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("auth", AUTHS)
@pytest.mark.parametrize("label", LABELS)
def test_coverage(
    sandbox: Sandbox,
    fuzz_user: FuzzUser,
    session: requests.Session,
    label: str,
    auth: str,
) -> None:
    schema = SCHEMAS[auth]
    operation = OPERATIONS[auth][label]
    cases = [
        case
        for case in schema.iter_coverage_cases(
            operation,
            generation_modes=list(MODES.values()),
            generation_config=schema.config.generation_for(operation=operation),
        )
        if case.method.upper() not in UNROUTABLE_METHODS
    ]
    modes = {case.meta.generation.mode for case in cases if case.meta is not None}
    assert modes == set(MODES.values()), f"{label}: coverage cases of modes {modes}"
    token = fuzz_user.token if auth == "token" else None
    base_url = f"{sandbox.front_door}/api"
    regions = {sandbox.primary, sandbox.secondary}
    failures = []
    for case in cases:
        response = send(case, base_url, session, token)
        problems = contract_problems(label, case, response, token=token, regions=regions)
        if problems:
            failures.append(report(label, auth, case, response, problems))
    assert not failures, f"{len(failures)} of {len(cases)} cases:\n" + "\n".join(failures[:5])
