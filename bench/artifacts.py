"""Section 2: the Lambda artifacts' zipped and unzipped sizes (build/lambda)."""

from __future__ import annotations

import json
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

from bench.common import PYTHON, ROOT, Section, log, skipped

ARTIFACT_DIR = ROOT / "build" / "lambda"
BUILD_TIMEOUT_SECONDS = 900.0


def build() -> float:
    """`bookstore build` (downloads arm64 wheels from PyPI); returns its wall time."""
    log("artifacts: building with `bookstore build` (may take a while)")
    started = time.monotonic()
    subprocess.run(
        [str(Path(PYTHON).parent / "bookstore"), "build"],
        cwd=ROOT,
        check=True,
        timeout=BUILD_TIMEOUT_SECONDS,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def sizes(path: Path) -> dict[str, Any]:
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        unzipped = sum(i.file_size for i in infos)
        top: dict[str, int] = {}
        for info in infos:
            head = info.filename.split("/", 1)[0]
            top[head] = top.get(head, 0) + info.file_size
    largest = sorted(top.items(), key=lambda kv: kv[1], reverse=True)[:8]
    zipped = path.stat().st_size
    return {
        "file": path.name,
        "zippedBytes": zipped,
        "unzippedBytes": unzipped,
        "zippedMiB": round(zipped / 2**20, 2),
        "unzippedMiB": round(unzipped / 2**20, 2),
        "files": len(infos),
        "largestTopLevelUnzipped": [{"entry": k, "bytes": v} for k, v in largest],
    }


def run(quick: bool, directory: Path = ARTIFACT_DIR) -> Section:
    build_seconds: float | None = None
    manifest_path = directory / "manifest.json"
    if not quick:
        build_seconds = build()
    if not manifest_path.exists():
        return skipped(
            f"no Lambda artifacts in {directory} (quick mode does not build them; run"
            " `make build` or the full bench)"
        )
    log("artifacts: measuring the zips")
    manifest = json.loads(manifest_path.read_text())
    artifacts: dict[str, Any] = {}
    for name, entry in (manifest.get("artifacts") or {}).items():
        path = directory / str(entry["file"])
        if path.exists():
            artifacts[name] = sizes(path)
            artifacts[name]["handlers"] = entry.get("handlers", [])
            a = artifacts[name]
            log(f"  {name}: {a['zippedMiB']} MiB zipped, {a['unzippedMiB']} MiB unzipped")
        else:
            artifacts[name] = {"file": entry["file"], "missing": True}
    result: dict[str, Any] = {"status": "ok", "artifacts": artifacts}
    result["builtThisRun"] = build_seconds is not None
    if build_seconds is not None:
        result["buildSeconds"] = round(build_seconds, 1)
    result["builtAt"] = time.strftime(
        "%Y-%m-%dT%H:%M:%SZ", time.gmtime(manifest_path.stat().st_mtime)
    )
    result["limits"] = {
        "what": "AWS Lambda limits for a zip deployment package",
        "zippedMiB": 50,
        "unzippedMiB": 250,
    }
    return result
