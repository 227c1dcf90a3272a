"""The blog tier's pure parts: no servers, milliseconds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sandbox.blog import BlogPair, BlogRegion, regions_for
from sandbox.blog.content import linked_books, load_catalog, seed_posts
from sandbox.blog.db import MariaDB, parse_gtid_list
from sandbox.blog.deps import PACKAGES, install_hint
from sandbox.blog.php import new_salts, wp_config
from sandbox.blog.recovery import merge_posts


def test_gtid_lists_parse_per_domain_and_server() -> None:
    assert parse_gtid_list("") == {}
    assert parse_gtid_list(None) == {}
    assert parse_gtid_list("0-1-100,0-2-7\n,1-1-3") == {(0, 1): 100, (0, 2): 7, (1, 1): 3}


def test_seed_posts_are_enough_and_link_only_to_catalog_books() -> None:
    catalog = load_catalog()
    seeded = seed_posts()
    assert len(seeded) >= 8
    assert len({p["slug"] for p in seeded}) == len(seeded)
    for post in seeded:
        assert set(linked_books(post)) <= set(catalog)
        assert post["title"]
        assert post["excerpt"]
        assert post["categories"]


def test_wp_config_quotes_secrets_as_php_literals(tmp_path: Path) -> None:
    salts = new_salts()
    salts["AUTH_KEY"] = "it's a \\ $secret"
    text = wp_config(
        region="eu-west-1",
        db_port=3307,
        db_password="pa'ss",
        public_url="http://127.0.0.1:8700/blog",
        abspath=tmp_path,
        mu_plugin_dir=tmp_path,
        salts=salts,
    )
    assert "define('DB_PASSWORD', 'pa\\'ss');" in text
    assert "define('AUTH_KEY', 'it\\'s a \\\\ $secret');" in text
    assert "define('DISABLE_WP_CRON', true);" in text
    assert "define('WP_HOME', 'http://127.0.0.1:8700/blog');" in text


def test_regions_follow_the_sandbox_port_layout() -> None:
    east, west = regions_for(8700, ["eu-west-1", "ap-southeast-1"])
    assert (east.db_port, east.http_port) == (8713, 8714)
    assert (west.db_port, west.http_port) == (8723, 8724)
    assert east.url == "http://127.0.0.1:8714/blog"


def test_public_url_must_keep_the_blog_prefix(tmp_path: Path) -> None:
    regions = [BlogRegion("a", 1, 2), BlogRegion("b", 3, 4)]
    with pytest.raises(ValueError, match="/blog"):
        BlogPair(tmp_path, regions, "http://127.0.0.1:8700/")


def test_long_state_paths_get_a_short_socket() -> None:
    deep = Path("/" + "d" * 120)
    assert len(str(MariaDB(deep, 1, 1).socket)) <= 107
    assert MariaDB(Path("/tmp/x"), 1, 1).socket == Path("/tmp/x/mariadb.sock")


def test_install_hint_names_every_package() -> None:
    hint = install_hint(["php-mysql"])
    assert hint.startswith("apt-get install ")
    assert all(package in hint for package in PACKAGES)
    assert "missing: php-mysql" in hint


def _post(post_id: int, title: str, modified: str = "2026-11-01 10:00:00") -> dict[str, Any]:
    return {
        "id": post_id,
        "title": title,
        "content": f"<p>{title}</p>",
        "excerpt": "",
        "status": "publish",
        "type": "post",
        "slug": title.lower().replace(" ", "-"),
        "date_gmt": f"2026-11-0{post_id % 9 + 1} 09:00:00",
        "modified_gmt": modified,
    }


def test_rejoin_writes_again_only_what_the_new_primary_lacks() -> None:
    theirs = {
        1: _post(1, "Shared"),
        2: {**_post(2, "Edited on both", "2026-11-05 10:00:00"), "content": "newer"},
        3: {**_post(3, "Edited on both, ours newer"), "content": "older"},
    }
    ours = [
        _post(1, "Shared"),
        {**_post(2, "Edited on both"), "content": "older"},
        {**_post(3, "Edited on both, ours newer", "2026-11-06 10:00:00"), "content": "newer"},
        _post(4, "Deleted on the new primary"),
        _post(7, "Only on the old primary"),
    ]
    merge = merge_posts(ours, theirs, high_water=5)
    assert [p["title"] for p in merge["toImport"]] == [
        "Edited on both, ours newer",
        "Only on the old primary",
    ]
    assert merge["toImport"][0]["replace"] == 3
    assert "replace" not in merge["toImport"][1]
    assert merge["recoveredPosts"] == ["Only on the old primary"]
    assert merge["updatedPosts"] == ["Edited on both, ours newer"]
    assert merge["keptNewerOnPrimary"] == ["Edited on both"]
    assert merge["deletedOnPrimary"] == ["Deleted on the new primary"]


def test_rejoin_keeps_both_posts_when_both_primaries_used_one_id() -> None:
    theirs = {9: _post(9, "Written on the promoted replica")}
    ours = [{**_post(9, "Written on the old primary"), "date_gmt": "2026-11-30 08:00:00"}]
    merge = merge_posts(ours, theirs, high_water=0)
    assert merge["recoveredPosts"] == ["Written on the old primary"]
    assert "replace" not in merge["toImport"][0]
