"""Which Debian packages the blog tier needs and which of them are missing.

The sandbox starts without the blog when something is missing and prints `install_hint`;
CI installs the packages (`make system-deps`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

# The theme is only a Recommends of `wordpress`: `apt-get install --no-install-recommends`
# (as `make system-deps` runs it) leaves WordPress without any theme, so it is named here.
PACKAGES = (
    "wordpress",
    "wordpress-theme-twentytwentythree",
    "mariadb-server",
    "php-cli",
    "php-mysql",
)
INSTALL_COMMAND = "apt-get install " + " ".join(PACKAGES)

# What we run, and the Debian package that provides it.
_BINARIES = {
    "mariadbd": "mariadb-server",
    "mariadb-install-db": "mariadb-server",
    "mariadb": "mariadb-server",  # the client comes with the server package
    "mariadb-dump": "mariadb-server",
    "php": "php-cli",
}
_WORDPRESS = Path("/usr/share/wordpress/wp-settings.php")
# WordPress 6.1's default theme (WP_DEFAULT_THEME), which wp_install() activates.
_THEME = Path("/usr/share/wordpress/wp-content/themes/twentytwentythree/style.css")


# mariadbd lives in /usr/sbin, which is not on a Debian user's PATH.
_SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def which(name: str) -> str | None:
    """`name` on PATH or in the sbin directories; None when it is not installed."""
    path = os.pathsep.join([os.environ.get("PATH", os.defpath), *_SBIN])
    return shutil.which(name, path=path)


def binary(name: str) -> str:
    """The absolute path of `name`, for running it; `name` itself if it is missing (the
    caller then fails with "not found", and `find_missing` says what to install)."""
    return which(name) or name


def _php_has_mysqli(php: str) -> bool:
    try:
        done = subprocess.run(
            [php, "-r", "exit(extension_loaded('mysqli') ? 0 : 1);"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def find_missing() -> list[str]:
    """The Debian packages to install before the blog can run, [] when nothing is missing."""
    missing = []
    for program, package in _BINARIES.items():
        if which(program) is None and package not in missing:
            missing.append(package)
    php = which("php")
    if php is not None and not _php_has_mysqli(php):
        missing.append("php-mysql")
    if not _WORDPRESS.is_file():
        missing.append("wordpress")
    if not _THEME.is_file():
        missing.append("wordpress-theme-twentytwentythree")
    return [p for p in PACKAGES if p in missing]


def install_hint(missing: list[str] | None = None) -> str:
    """The exact command to run (all the packages: naming only some confuses more than helps)."""
    missing = find_missing() if missing is None else missing
    what = ", ".join(missing) if missing else "nothing"
    return f"{INSTALL_COMMAND} (missing: {what})"
