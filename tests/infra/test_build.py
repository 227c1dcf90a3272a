"""`bookstore build`: the archive is reproducible and ships only what Lambda needs."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest

from cli import build
from cli.main import CliError
from components.artifacts import ArtifactError, load_artifact


def _tree(root: Path) -> None:
    (root / "bookstore" / "__pycache__").mkdir(parents=True)
    (root / "bookstore" / "__init__.py").write_text("")
    (root / "bookstore" / "__pycache__" / "x.cpython-312.pyc").write_bytes(b"\x00")
    (root / "api.py").write_text("def handler(event, context): ...\n")
    (root / "catalog" / "covers").mkdir(parents=True)
    (root / "catalog" / "books.json").write_text("[]")
    (root / "catalog" / "covers" / "dune.svg").write_text("<svg/>")
    (root / "redis-8.1.0.dist-info").mkdir()
    (root / "redis-8.1.0.dist-info" / "METADATA").write_text("Name: redis")
    (root / "redis-8.1.0.dist-info" / "RECORD").write_text("varies")
    (root / "redis-8.1.0.dist-info" / "INSTALLER").write_text("pip")
    (root / "bin").mkdir()
    (root / "bin" / "script").write_text("#!/bin/sh")


def test_collect_files_keeps_code_and_catalog_but_not_noise(tmp_path: Path) -> None:
    _tree(tmp_path)
    assert sorted(build.collect_files(tmp_path)) == [
        "api.py",
        "bookstore/__init__.py",
        "catalog/books.json",
        "redis-8.1.0.dist-info/METADATA",
    ]


def test_zip_is_reproducible_across_mtimes_and_modes(tmp_path: Path) -> None:
    source = tmp_path / "src"
    _tree(source)
    first = build.write_reproducible_zip(build.collect_files(source), tmp_path / "a.zip")
    # Same contents, different timestamps and permissions: the same archive.
    for path in source.rglob("*"):
        if path.is_file():
            os.utime(path, (1_700_000_000, 1_700_000_000))
            path.chmod(0o600)
    second = build.write_reproducible_zip(build.collect_files(source), tmp_path / "b.zip")
    assert first == second
    assert first == hashlib.sha256((tmp_path / "a.zip").read_bytes()).hexdigest()
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {(i.external_attr >> 16) & 0o777 for i in infos} == {0o644}
    # A changed file changes the hash.
    (source / "api.py").write_text("def handler(event, context): return 1\n")
    third = build.write_reproducible_zip(build.collect_files(source), tmp_path / "c.zip")
    assert third != first


def test_runtime_dependencies_come_from_pyproject(tmp_path: Path) -> None:
    assert build.runtime_dependencies(build.ROOT / "pyproject.toml") == [
        "aws-lambda-powertools==3.37.0",
        "pydantic==2.14.3",
        "redis==8.1.0",
    ]
    empty = tmp_path / "pyproject.toml"
    empty.write_text("[project]\nname = 'x'\n")
    with pytest.raises(CliError, match=r"no \[project\]\.dependencies"):
        build.runtime_dependencies(empty)


def test_build_writes_manifest_with_digest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    functions = tmp_path / "functions"
    _tree(functions)

    def fake_install(deps: list[str], target: Path, constraints: Path) -> None:
        assert constraints == build.CONSTRAINTS
        (target / "redis").mkdir(parents=True)
        (target / "redis" / "__init__.py").write_text("# redis\n")
        _dist_info(target, "redis", "8.1.0")

    monkeypatch.setattr(build, "install_dependencies", fake_install)
    manifest = build.build(tmp_path / "out", functions_dir=functions)
    entry = manifest["artifacts"]["bookstore"]  # type: ignore[index]
    zip_path = tmp_path / "out" / "bookstore.zip"
    assert entry["sha256"] == hashlib.sha256(zip_path.read_bytes()).hexdigest()
    assert entry["handlers"] == ["api.handler", "stream.handler", "seed.handler"]
    assert not (tmp_path / "out" / ".staging").exists()
    with zipfile.ZipFile(zip_path) as archive:
        assert "redis/__init__.py" in archive.namelist()
        assert "catalog/books.json" in archive.namelist()
    # The program reads what the build wrote.
    artifact = load_artifact(tmp_path / "out")
    assert artifact.sha256 == entry["sha256"]
    written = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert written["platform"] == "manylinux2014_aarch64"
    assert written["distributions"] == {"redis": "8.1.0"}


def _dist_info(target: Path, name: str, version: str) -> None:
    info = target / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


def test_the_constraints_pin_the_runtime_dependencies_at_their_versions() -> None:
    pins = build.read_constraints(build.CONSTRAINTS)
    for dep in build.runtime_dependencies(build.ROOT / "pyproject.toml"):
        name, _, version = dep.partition("==")
        assert pins[name] == version, f"{dep} is pinned differently in lambda-constraints.txt"


def test_constraint_lines_must_be_exact_pins(tmp_path: Path) -> None:
    lock = tmp_path / "lock.txt"
    lock.write_text("# a comment\n\nPydantic_Core==2.50.4  # why\n")
    assert build.read_constraints(lock) == {"pydantic-core": "2.50.4"}
    lock.write_text("redis>=8\n")
    with pytest.raises(CliError, match=r"lock.txt:1: expected `name==version`, got 'redis>=8'"):
        build.read_constraints(lock)
    with pytest.raises(CliError, match="missing"):
        build.read_constraints(tmp_path / "absent.txt")


def test_a_bundle_with_an_unpinned_or_moved_distribution_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    functions = tmp_path / "functions"
    _tree(functions)
    lock = tmp_path / "lock.txt"
    lock.write_text("redis==8.1.0\ntyping-extensions==4.16.0\n")

    def fake_install(deps: list[str], target: Path, constraints: Path) -> None:
        _dist_info(target, "redis", "8.1.0")
        _dist_info(target, "typing_extensions", "4.17.0")
        _dist_info(target, "async-timeout", "5.0.1")

    monkeypatch.setattr(build, "install_dependencies", fake_install)
    with pytest.raises(CliError) as raised:
        build.build(tmp_path / "out", functions_dir=functions, constraints=lock)
    message = str(raised.value)
    assert "not pinned: async-timeout==5.0.1" in message
    assert "not at the pinned version: typing-extensions 4.17.0 (pinned 4.16.0)" in message
    assert message.endswith("update lock.txt")
    # Nothing half-built is left behind.
    assert not (tmp_path / "out" / "bookstore.zip").exists()
    assert not (tmp_path / "out" / ".staging").exists()


def test_missing_artifacts_name_make_build(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="run `make build`"):
        load_artifact(tmp_path)
    (tmp_path / "manifest.json").write_text('{"artifacts": {}}')
    with pytest.raises(ArtifactError, match=r"bookstore\.zip is missing"):
        load_artifact(tmp_path)
