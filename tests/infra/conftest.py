from __future__ import annotations

import json
import runpy
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.upstream import UpstreamStack
from tests.infra import harness

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ROOT / "__main__.py"
FAKE_SHA256 = "ab" * 32
PASSWORD = "correct-horse-battery-staple"


def make_artifacts(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bookstore.zip").write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    manifest = {"artifacts": {"bookstore": {"file": "bookstore.zip", "sha256": FAKE_SHA256}}}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


def make_web_dist(directory: Path) -> Path:
    (directory / "assets").mkdir(parents=True, exist_ok=True)
    (directory / "covers").mkdir(exist_ok=True)
    (directory / "index.html").write_text("<!doctype html><title>Bookstore</title>")
    (directory / "assets" / "index-abc123.js").write_text("console.log('hi')")
    (directory / "covers" / "dune.svg").write_text("<svg/>")
    (directory / "config.json").write_text('{"apiUrl": "http://localhost"}')  # replaced
    return directory


def run_program(
    stack: str,
    config: dict[str, str] | None = None,
    upstream: dict[str, dict[str, Any]] | None = None,
) -> harness.Run:
    """Run `__main__.py` as stack `stack`; the result also lists every output the program
    required from each upstream stack (by the upstream's role)."""
    required: dict[str, set[str]] = {}
    original = UpstreamStack.require_output

    def spying(self: UpstreamStack, name: pulumi.Input[str]) -> pulumi.Output[Any]:
        assert isinstance(name, str)
        required.setdefault(self.role, set()).add(name)
        return original(self, name)

    UpstreamStack.require_output = spying  # type: ignore[method-assign]
    try:
        run = harness.run(
            lambda: runpy.run_path(str(PROGRAM), run_name="__main__"),
            stack=stack,
            config=config,
            upstream=upstream,
            secret_keys=["bookstore:blogDbPassword"],
        )
    finally:
        UpstreamStack.require_output = original  # type: ignore[method-assign]
    run.required = required
    return run


@pytest.fixture(scope="session")
def artifact_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_artifacts(tmp_path_factory.mktemp("lambda"))


@pytest.fixture(scope="session")
def web_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_web_dist(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def primary_config(artifact_dir: Path) -> dict[str, str]:
    return {"bookstore:artifactDir": str(artifact_dir), "bookstore:blogDbPassword": PASSWORD}


@pytest.fixture(scope="session")
def primary_run(primary_config: dict[str, str]) -> harness.Run:
    return run_program("primary", primary_config)


@pytest.fixture(scope="session")
def secondary_run(artifact_dir: Path, primary_run: harness.Run) -> harness.Run:
    return run_program(
        "secondary",
        {"bookstore:artifactDir": str(artifact_dir)},
        {"organization/bookstore/primary": primary_run.exports},
    )


@pytest.fixture(scope="session")
def global_run(web_dist: Path, primary_run: harness.Run, secondary_run: harness.Run) -> harness.Run:
    return run_program(
        "global",
        {"bookstore:webDist": str(web_dist)},
        {
            "organization/bookstore/primary": primary_run.exports,
            "organization/bookstore/secondary": secondary_run.exports,
        },
    )


def pytest_configure(config: pytest.Config) -> None:
    # pulumi_aws warns about its own deprecated modules when the runtime loads them.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:pulumi_aws.*")
