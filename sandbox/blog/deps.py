"""Which Debian packages the blog tier needs and which of them are missing.

The sandbox starts without the blog when something is missing and prints `install_hint`;
CI installs the packages (`make system-deps`).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PACKAGES = ("wordpress", "mariadb-server", "php-cli", "php-mysql")
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
    for binary, package in _BINARIES.items():
        if shutil.which(binary) is None and package not in missing:
            missing.append(package)
    php = shutil.which("php")
    if php is not None and not _php_has_mysqli(php):
        missing.append("php-mysql")
    if not _WORDPRESS.is_file():
        missing.append("wordpress")
    return [p for p in PACKAGES if p in missing]


def install_hint(missing: list[str] | None = None) -> str:
    """The exact command to run (all four packages: naming only some confuses more than helps)."""
    missing = find_missing() if missing is None else missing
    what = ", ".join(missing) if missing else "nothing"
    return f"{INSTALL_COMMAND} (missing: {what})"
