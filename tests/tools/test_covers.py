"""`python -m tools.covers`: writes one cover per book, removes the ones no book refers to,
and turns bad input into a one-line error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools.covers import main, render_cover

ROOT = Path(__file__).resolve().parents[2]
BOOK = {
    "id": "dune",
    "title": "Dune",
    "author": "Frank Herbert",
    "category": "science-fiction",
    "cover": "/covers/dune.svg",
}


def _catalog(tmp_path: Path, books: list[dict[str, str]]) -> Path:
    path = tmp_path / "books.json"
    path.write_text(json.dumps(books))
    return path


def test_writes_each_books_cover_and_removes_stale_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "covers"
    out.mkdir()
    (out / "gone.svg").write_text("<svg/>")

    status = main(["--catalog", str(_catalog(tmp_path, [BOOK])), "--out", str(out)])

    assert status == 0
    assert sorted(p.name for p in out.iterdir()) == ["dune.svg"]
    assert (out / "dune.svg").read_text(encoding="utf-8") == render_cover(BOOK)
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"wrote 1 covers to {out}", f"removed stale {out / 'gone.svg'}"]


def test_a_cover_path_that_does_not_match_the_id_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = _catalog(tmp_path, [{**BOOK, "cover": "/covers/other.svg"}])

    status = main(["--catalog", str(catalog), "--out", str(tmp_path / "covers")])

    assert status == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line == f"covers: error: {catalog}: dune: cover must be /covers/dune.svg"
    assert not (tmp_path / "covers" / "dune.svg").exists()


def test_runs_as_a_module_from_the_checkout(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools.covers", "--catalog", str(tmp_path / "missing.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("covers: error: ")
    assert "missing.json" in result.stderr
