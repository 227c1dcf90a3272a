"""The Lambda artifacts produced by `make build` (`cli/build.py`), as the program sees them."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

MANIFEST = "manifest.json"
BUNDLE = "bookstore"
"""One bundle holds every entry point (api, stream, seed): they share all their code and
dependencies, so separate archives would only triple the upload."""


class ArtifactError(Exception):
    """A Lambda artifact is missing or does not match the build manifest."""


@dataclass(frozen=True)
class LambdaArtifact:
    path: Path
    sha256: str
    """Hex digest of the zip, as recorded in the manifest."""

    @property
    def source_code_hash(self) -> str:
        """The digest in the form Lambda reports it (base64 of the raw SHA-256)."""
        return base64.b64encode(bytes.fromhex(self.sha256)).decode("ascii")


def load_artifact(artifact_dir: Path, name: str = BUNDLE) -> LambdaArtifact:
    manifest_path = artifact_dir / MANIFEST
    if not manifest_path.is_file():
        raise ArtifactError(
            f"Lambda artifacts not found: {manifest_path} is missing; run `make build` first"
        )
    manifest = json.loads(manifest_path.read_text())
    entry = manifest.get("artifacts", {}).get(name)
    path = artifact_dir / f"{name}.zip"
    if entry is None or not path.is_file():
        raise ArtifactError(
            f"Lambda artifact {path} is missing or not in {manifest_path}; run `make build`"
        )
    return LambdaArtifact(path=path, sha256=str(entry["sha256"]))
