"""Cognito token checks as API Gateway's JWT authorizer makes them.

The authorizer of an HTTP API validates, in order: a token is present (a `Bearer ` prefix is
optional), its `kid` is in the issuer's JWKS and the RS256 signature verifies, `exp` lies in
the future (and `nbf`/`iat` not in it), `iss` is the configured issuer, and `aud` (ID tokens)
or `client_id` (access tokens) is one of the configured audiences. Claims reach the Lambda
function as strings. The JWKS is fetched once and cached, which is why tokens keep working
while the primary region (where the user pool lives) is out.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Collection
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

LEEWAY_SECONDS = 0
UNAUTHORIZED_BODY = {"message": "Unauthorized"}


class Unauthorized(Exception):
    """The request carries no acceptable token."""


class JwtAuthorizer:
    def __init__(
        self,
        issuer: str,
        audiences: Collection[str],
        jwks_url: str,
        keys: KeySet | None = None,
    ) -> None:
        self.issuer = issuer
        self.audiences = frozenset(audiences)
        self.jwks_url = jwks_url
        self._keys = keys
        self._lock = threading.Lock()

    def load_keys(self, timeout: float = 30.0) -> None:
        """Fetch the JWKS, retrying until `timeout`; later calls use the cached set."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.jwks_url, timeout=2) as response:  # noqa: S310
                    keys = KeySet.import_key_set(json.loads(response.read()))
            except (OSError, ValueError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
                continue
            with self._lock:
                self._keys = keys
            return

    def _key_set(self) -> KeySet:
        with self._lock:
            keys = self._keys
        if keys is None:
            try:
                self.load_keys(timeout=1)
            except (OSError, ValueError) as exc:
                raise Unauthorized("signing keys unavailable") from exc
            with self._lock:
                keys = self._keys
        assert keys is not None
        return keys

    def claims(self, authorization: str | None) -> dict[str, str]:
        """The token's claims as API Gateway passes them on, or `Unauthorized`."""
        if not authorization:
            raise Unauthorized("no token")
        token = authorization.strip()
        if token.lower().startswith("bearer "):
            token = token[7:].strip()
        try:
            decoded = jwt.decode(token, self._key_set(), algorithms=["RS256"])
        except (JoseError, ValueError) as exc:
            raise Unauthorized(f"bad token: {exc}") from exc
        claims: dict[str, Any] = dict(decoded.claims)
        now = time.time()
        if not isinstance(claims.get("exp"), int | float) or claims["exp"] + LEEWAY_SECONDS < now:
            raise Unauthorized("expired")
        for name in ("nbf", "iat"):
            if isinstance(claims.get(name), int | float) and claims[name] - LEEWAY_SECONDS > now:
                raise Unauthorized(f"{name} in the future")
        if claims.get("iss") != self.issuer:
            raise Unauthorized("wrong issuer")
        audience = claims.get("aud", claims.get("client_id"))
        audiences = audience if isinstance(audience, list) else [audience]
        if not self.audiences.intersection(a for a in audiences if isinstance(a, str)):
            raise Unauthorized("wrong audience")
        return {name: _as_claim_string(value) for name, value in claims.items()}


def _as_claim_string(value: Any) -> str:
    # API Gateway flattens claims to strings; lists become "[a b]".
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
