"""Response documentation for the OpenAPI document (`bookstore.http.openapi`)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from bookstore.models import ErrorBody


def returns(description: str, model: type[BaseModel] | None = None) -> OpenAPIResponse:
    if model is None:
        return {"description": description}
    return {"description": description, "content": {"application/json": {"model": model}}}


def fails(description: str) -> OpenAPIResponse:
    return returns(description, ErrorBody)


BEARER = "cognitoBearer"
SECURED: list[dict[str, list[str]]] = [{BEARER: []}]
"""The `security` of every authenticated route: a Cognito token, checked by the JWT authorizer."""
