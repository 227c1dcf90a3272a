"""The blog tier's one exception family, so callers catch a single type."""

from __future__ import annotations


class BlogError(Exception):
    """Something the operator can act on: packages missing, a server that does not answer..."""


class DatabaseError(BlogError):
    """A statement failed, or a MariaDB server did not answer in time."""
