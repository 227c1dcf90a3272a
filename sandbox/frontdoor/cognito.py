"""`/cognito/`: forwards to the user pool in the primary's moto and confirms every sign-up at
once (the sandbox has no e-mail)."""

from __future__ import annotations

import http.client
import json
import logging
from typing import Any

from sandbox.config import SandboxConfig
from sandbox.frontdoor.proxy import end_to_end, upstream
from sandbox.httpd import Response
from sandbox.provision import cognito_client

log = logging.getLogger(__name__)

COGNITO_TIMEOUT_SECONDS = 5.0
CORS = [
    ("access-control-allow-origin", "*"),
    ("access-control-allow-headers", "*"),
    ("access-control-allow-methods", "POST, OPTIONS"),
]


class CognitoProxy:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config

    def proxy(self, method: str, headers: list[tuple[str, str]], body: bytes) -> Response:
        if method == "OPTIONS":
            return 204, list(CORS), b""
        primary = self.config.primary
        try:
            status, response_headers, payload = upstream(
                primary.moto_port, method, "/", end_to_end(headers), body, COGNITO_TIMEOUT_SECONDS
            )
        except (OSError, http.client.HTTPException) as exc:
            log.warning("cognito in %s did not answer: %s", primary.name, exc)
            message = {"__type": "ServiceUnavailable", "message": "Cognito did not answer"}
            return (
                503,
                [("content-type", "application/x-amz-json-1.1"), *CORS],
                json.dumps(message).encode(),
            )
        target = next((v for k, v in headers if k.lower() == "x-amz-target"), "")
        if status == 200 and target.endswith(".SignUp"):
            payload = self._confirm(json.loads(body), json.loads(payload))
        kept = [
            (k, v)
            for k, v in end_to_end(response_headers)
            if not k.lower().startswith("access-control-")
        ]
        return status, kept + CORS, payload

    def _confirm(self, request: dict[str, Any], response: dict[str, Any]) -> bytes:
        """Confirm a fresh sign-up at once, as a pre-sign-up trigger with autoConfirmUser."""
        client = cognito_client(self.config.primary, timeout=COGNITO_TIMEOUT_SECONDS)
        client.admin_confirm_sign_up(
            UserPoolId=self.config.cognito.user_pool_id, Username=request["Username"]
        )
        response["UserConfirmed"] = True
        return json.dumps(response).encode()
