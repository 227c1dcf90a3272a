"""Handlers for the gateway's execution-environment tests, loaded by each environment process
as Lambda loads `module:attribute`. Module globals are per environment, as on Lambda."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

INVOCATIONS = 0


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """`?meet=DIR&n=N`: wait until N invocations are inside a handler at once (each leaves a
    file in DIR), or give up after 20 s; `?hold=FILE`: wait until FILE exists; `?spin=S`: burn
    S s of CPU; `?sleep=S`."""
    global INVOCATIONS
    INVOCATIONS += 1
    query = event.get("queryStringParameters") or {}
    met = None
    if "meet" in query:
        directory = Path(query["meet"])
        (directory / f"in-{os.getpid()}").touch()
        deadline = time.monotonic() + 20
        while len(list(directory.glob("in-*"))) < int(query["n"]):
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        met = len(list(directory.glob("in-*"))) >= int(query["n"])
    if "hold" in query:
        deadline = time.monotonic() + 20
        while not Path(query["hold"]).exists() and time.monotonic() < deadline:
            time.sleep(0.02)
    if "spin" in query:
        spent = time.process_time() + float(query["spin"])
        while time.process_time() < spent:
            pass
    if "sleep" in query:
        time.sleep(float(query["sleep"]))
    body = {"pid": os.getpid(), "invocations": INVOCATIONS, "met": met}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
