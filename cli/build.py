"""`bookstore build`: the Lambda artifacts for AWS (`make build`).

One bundle, `build/lambda/bookstore.zip`, serves every entry point (`api.handler`,
`stream.handler`, `seed.handler`): they share all their code and dependencies. It holds the
contents of `functions/` (without the cover art, which the web app serves) and the runtime
dependencies of `pyproject.toml` as manylinux wheels for Lambda's arm64 Python 3.12. The zip
is reproducible: sorted entries, fixed timestamps and permissions, no bytecode and none of
pip's per-install metadata, so the same inputs give the same SHA-256. Every distribution in it
is pinned in `lambda-constraints.txt` (the build fails on one that is not), so the same commit
gives the same bundle. `manifest.json` records each artifact's digest and what it holds; the
Pulumi program reads it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from cli.main import CliError

ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = ROOT / "functions"
DEFAULT_OUTPUT = ROOT / "build" / "lambda"
CONSTRAINTS = ROOT / "lambda-constraints.txt"
BUNDLE = "bookstore"
HANDLERS = ("api.handler", "stream.handler", "seed.handler")
PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.12"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
MAX_ZIPPED_BYTES = 50 * 1024 * 1024
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024

# Directory names and paths never shipped: bytecode, pip's console scripts, the cover art.
EXCLUDED_DIRS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", "bin"})
EXCLUDED_PREFIXES = (PurePosixPath("catalog/covers"),)
# pip writes these per install (hashes of the .pyc it compiled, the installer's name, the
# source URL); they vary between machines and say nothing Lambda needs.
VOLATILE_DIST_INFO = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="where the zips and manifest.json go (default: build/lambda)",
    )


def runtime_dependencies(pyproject: Path) -> list[str]:
    """`[project].dependencies`: exactly what the Lambda bundle ships."""
    with pyproject.open("rb") as handle:
        data = tomllib.load(handle)
    deps = data.get("project", {}).get("dependencies")
    if not isinstance(deps, list) or not deps:
        raise CliError(f"{pyproject} has no [project].dependencies")
    return [str(dep) for dep in deps]


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_constraints(path: Path) -> dict[str, str]:
    """`name==version` lines (comments and blank lines aside) as {normalized name: version}."""
    if not path.is_file():
        raise CliError(f"{path} is missing: it pins every distribution of the Lambda bundle")
    pins: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep or not name.strip() or not version.strip():
            raise CliError(f"{path.name}:{number}: expected `name==version`, got {raw.strip()!r}")
        pins[_normalized(name.strip())] = version.strip()
    return pins


def installed_distributions(target: Path) -> dict[str, str]:
    """{normalized name: version} of what pip installed into `target`."""
    found: dict[str, str] = {}
    for metadata in sorted(target.glob("*.dist-info/METADATA")):
        fields = dict(
            line.split(": ", 1)
            for line in metadata.read_text(errors="replace").splitlines()
            if line.startswith(("Name: ", "Version: "))
        )
        found[_normalized(fields.get("Name", metadata.parent.name))] = fields.get("Version", "")
    return found


def check_pinned(
    installed: Mapping[str, str], pins: Mapping[str, str], source: str = CONSTRAINTS.name
) -> None:
    """Fails, naming each, when an installed distribution is not pinned at its version."""
    loose = [f"{name}=={version}" for name, version in installed.items() if name not in pins]
    moved = [
        f"{name} {version} (pinned {pins[name]})"
        for name, version in installed.items()
        if name in pins and pins[name] != version
    ]
    if loose or moved:
        problems = []
        if loose:
            problems.append(f"not pinned: {', '.join(loose)}")
        if moved:
            problems.append(f"not at the pinned version: {', '.join(moved)}")
        raise CliError(f"the Lambda bundle would hold {'; '.join(problems)}; update {source}")


def install_dependencies(deps: Iterable[str], target: Path, constraints: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--platform",
        PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--only-binary=:all:",
        "--target",
        str(target),
        "--constraint",
        str(constraints),
        *deps,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise CliError(f"pip could not fetch the Lambda dependencies for {PLATFORM}: {detail}")


def _excluded(relative: PurePosixPath) -> bool:
    if any(part in EXCLUDED_DIRS for part in relative.parts[:-1]):
        return True
    if relative.suffix in (".pyc", ".pyo"):
        return True
    if any(relative.is_relative_to(prefix) for prefix in EXCLUDED_PREFIXES):
        return True
    parent = relative.parent.name
    return parent.endswith(".dist-info") and relative.name in VOLATILE_DIST_INFO


def collect_files(root: Path) -> dict[str, Path]:
    """Archive name -> file, for every shippable file under `root`."""
    files: dict[str, Path] = {}
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        relative = PurePosixPath(path.relative_to(root).as_posix())
        if not _excluded(relative):
            files[str(relative)] = path
    return files


def write_reproducible_zip(files: Mapping[str, Path], destination: Path) -> str:
    """Write `files` (archive name -> path) to `destination` so that the same contents always
    give the same bytes; returns the zip's SHA-256 (hex)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(destination, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so that the permissions below are honoured
            info.external_attr = (0o100000 | FILE_MODE) << 16
            archive.writestr(info, files[name].read_bytes(), compresslevel=9)
    return hashlib.sha256(destination.read_bytes()).hexdigest()


def _human(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB" if size >= 1024 * 1024 else f"{size / 1024:.1f} KiB"


def build(
    output: Path,
    functions_dir: Path = FUNCTIONS_DIR,
    pyproject: Path = ROOT / "pyproject.toml",
    constraints: Path = CONSTRAINTS,
) -> dict[str, object]:
    if not (functions_dir / "bookstore").is_dir():
        raise CliError(f"{functions_dir} does not look like the functions package")
    deps = runtime_dependencies(pyproject)
    pins = read_constraints(constraints)
    staging = output / ".staging"
    shutil.rmtree(staging, ignore_errors=True)
    install_dependencies(deps, staging, constraints)
    installed = installed_distributions(staging)
    try:
        check_pinned(installed, pins, constraints.name)
    except CliError:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    files = collect_files(staging)
    # The functions' own code wins over any same-named file from a dependency.
    files.update(collect_files(functions_dir))
    unzipped = sum(path.stat().st_size for path in files.values())
    zip_path = output / f"{BUNDLE}.zip"
    digest = write_reproducible_zip(files, zip_path)
    shutil.rmtree(staging, ignore_errors=True)
    zipped = zip_path.stat().st_size
    if zipped > MAX_ZIPPED_BYTES or unzipped > MAX_UNZIPPED_BYTES:
        raise CliError(
            f"{zip_path} is {_human(zipped)} ({_human(unzipped)} unzipped): over Lambda's "
            "50 MiB zipped / 250 MiB unzipped limits"
        )
    manifest: dict[str, object] = {
        "platform": PLATFORM,
        "python": PYTHON_VERSION,
        "dependencies": deps,
        "distributions": installed,
        "artifacts": {
            BUNDLE: {
                "file": zip_path.name,
                "sha256": digest,
                "bytes": zipped,
                "unzippedBytes": unzipped,
                "files": len(files),
                "handlers": list(HANDLERS),
            }
        },
    }
    (output / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return manifest


def run(args: argparse.Namespace) -> int:
    output: Path = args.output
    manifest = build(output)
    artifacts = manifest["artifacts"]
    assert isinstance(artifacts, dict)
    for name, entry in artifacts.items():
        print(
            f"{output / entry['file']}: {_human(entry['bytes'])} "
            f"({_human(entry['unzippedBytes'])} unzipped, {entry['files']} files) "
            f"sha256 {entry['sha256']}"
        )
        print(f"  handlers: {', '.join(entry['handlers'])} ({name} bundle)")
    print(f"{output / 'manifest.json'}")
    return 0
