"""The sandbox's blog tier: WordPress per region over a MariaDB primary and its GTID replica.

The supervisor's entry points::

    from sandbox.blog import BlogPair, BlogRegion, find_missing, install_hint

    if find_missing():                      # start without the blog, and say what to install
        print("blog disabled:", install_hint())
    pair = BlogPair(state_dir, [BlogRegion("eu-west-1", db_port, http_port),
                                BlogRegion("ap-southeast-1", db_port2, http_port2)],
                    public_url="http://127.0.0.1:8700/blog")
    pair.start(); pair.status(); pair.pids(region); pair.promote(region); pair.rejoin(region)
    pair.stop()

`sandbox.blog.pair` is the façade; the work is done by one module per job: `servers`,
`replication`, `failover`, `recovery` (see README.md).
"""

from sandbox.blog.deps import INSTALL_COMMAND, PACKAGES, find_missing, install_hint
from sandbox.blog.errors import BlogError, DatabaseError
from sandbox.blog.pair import BlogPair, BlogRegion, regions_for

__all__ = [
    "INSTALL_COMMAND",
    "PACKAGES",
    "BlogError",
    "BlogPair",
    "BlogRegion",
    "DatabaseError",
    "find_missing",
    "install_hint",
    "regions_for",
]
