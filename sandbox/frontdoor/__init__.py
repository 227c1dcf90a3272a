"""The front door: what the Pulumi program puts in front of the regions, and no more.

Each path stands for one AWS mechanism (`components/failover_routing.py` deploys them), each
in its own module, which says how:

- `/api/*` and `/api-<region>/*` (`api`): the Route 53 records of `api.<domain>`, answered per
  client and cached for the record's TTL (`resolver`), following Route 53's health checks of
  each region's `/health` (`health`), and each region's own endpoint.
- `/` and `/config.json` (`site`): the CloudFront distribution over the origin group of the
  two regions' site buckets, with its edge cache.
- `/blog/...` (`blog`): the Route 53 failover records of `blog.<domain>`.
- `/cognito/` (`cognito`): the user pool in the primary's moto.
- `/frontdoor/status` (`server`): all of the above as JSON, with how many clients hold which
  region; `server` also sends each path to its part and runs the front door
  (`python -m sandbox.frontdoor --config <file>`).

Anything a call to an upstream needs, and the front door's own answers in the API's error
shape, is in `proxy`.
"""

from sandbox.frontdoor.api import API_TIMEOUT_SECONDS
from sandbox.frontdoor.blog import BLOG_TIMEOUT_SECONDS, forward_blog
from sandbox.frontdoor.cognito import COGNITO_TIMEOUT_SECONDS
from sandbox.frontdoor.health import AWS_HEALTH_CHECK_INTERVAL_SECONDS, RegionHealth
from sandbox.frontdoor.proxy import ERROR_CODES, HOP_BY_HOP, error, error_body, upstream
from sandbox.frontdoor.resolver import ANONYMOUS, AWS_RECORD_TTL_SECONDS, Resolver, client_of
from sandbox.frontdoor.server import MAX_IN_FLIGHT, FrontDoor, main, make_server
from sandbox.frontdoor.site import (
    ORIGIN_CONNECTION_ATTEMPTS,
    ORIGIN_FAILOVER_STATUS_CODES,
    edge_ttl,
    object_cache_control,
    site_key,
)

__all__ = [
    "ANONYMOUS",
    "API_TIMEOUT_SECONDS",
    "AWS_HEALTH_CHECK_INTERVAL_SECONDS",
    "AWS_RECORD_TTL_SECONDS",
    "BLOG_TIMEOUT_SECONDS",
    "COGNITO_TIMEOUT_SECONDS",
    "ERROR_CODES",
    "HOP_BY_HOP",
    "MAX_IN_FLIGHT",
    "ORIGIN_CONNECTION_ATTEMPTS",
    "ORIGIN_FAILOVER_STATUS_CODES",
    "FrontDoor",
    "RegionHealth",
    "Resolver",
    "client_of",
    "edge_ttl",
    "error",
    "error_body",
    "forward_blog",
    "main",
    "make_server",
    "object_cache_control",
    "site_key",
    "upstream",
]
