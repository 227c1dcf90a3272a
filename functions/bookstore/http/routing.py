"""Routers that record what they register, so that the route table has one source: the
decorators on the handlers (see `bookstore.http.routes`)."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from typing import Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

Auth = Literal["public", "cognito"]
_PARAMETER = re.compile(r"<(\w+)>")


@dataclass(frozen=True)
class Route:
    """One route as API Gateway declares it: `GET /books/{bookId}`, public or behind the
    Cognito JWT authorizer."""

    method: str
    path: str
    auth: Auth

    @property
    def protected(self) -> bool:
        return self.auth == "cognito"

    @property
    def key(self) -> str:
        """API Gateway's route key."""
        return f"{self.method} {self.path}"


def gateway_path(rule: str) -> str:
    """Powertools' `/books/<bookId>` as API Gateway and OpenAPI write it: `/books/{bookId}`."""
    return _PARAMETER.sub(r"{\1}", rule)


class RecordingRouter(Router):
    """A Powertools router that also keeps a `Route` per method it registers. A route is
    protected exactly when it declares a `security` requirement, so the OpenAPI document and
    the authorizer cannot disagree about it."""

    def __init__(self) -> None:
        super().__init__()
        self.table: list[Route] = []

    def route(self, rule: str, method: Any, *args: Any, **kwargs: Any) -> Any:
        # Bound against Router.route's own signature: Powertools' get/post/... pass the options
        # positionally, callers of route() by keyword.
        options = inspect.signature(Router.route).bind(self, rule, method, *args, **kwargs)
        methods = (method,) if isinstance(method, str) else tuple(method)
        auth: Auth = "cognito" if options.arguments.get("security") else "public"
        self.table += [Route(m.upper(), gateway_path(rule), auth) for m in methods]
        return super().route(rule, method, *args, **kwargs)


MAX_ID_LENGTH = 128
# An id in the path may hold any character but a control character or a `/` (an encoded `/`
# makes it another path, which no route matches). An id that names nothing (whatever its form)
# is the domain's 404, "no such book"; one over the length or holding a control character is
# invalid input, a 400 naming the field.
ID_PATTERN = r"^[^/\x00-\x1F\x7F]+$"


def path_id() -> Any:
    """The declaration of an id in the path (`bookId`, `orderId`)."""
    return Path(min_length=1, max_length=MAX_ID_LENGTH, pattern=ID_PATTERN)
