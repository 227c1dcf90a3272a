"""The blog tier's pure parts: no servers, milliseconds."""

from __future__ import annotations

from pathlib import Path

import pytest

from sandbox.blog import BlogPair, BlogRegion, regions_for
from sandbox.blog.content import linked_books, load_catalog, seed_posts
from sandbox.blog.db import MariaDB, parse_gtid_list
from sandbox.blog.deps import PACKAGES, install_hint
from sandbox.blog.php import new_salts, wp_config


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
