"""`python -m sandbox.blog`: drive a blog pair by hand (debugging; the sandbox embeds it).

python -m sandbox.blog --state-dir /tmp/blog up --port-base 8700
python -m sandbox.blog --state-dir /tmp/blog status | promote REGION | rejoin REGION | down
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sandbox.blog import BlogError, BlogPair, find_missing, install_hint, regions_for

PRIMARY, SECONDARY = "eu-west-1", "ap-southeast-1"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.blog")
    parser.add_argument("--state-dir", type=Path, required=True)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start (and on first use install) the pair")
    up.add_argument("--port-base", type=int, default=8700)
    up.add_argument("--public-url", help="default: the front door's /blog at the port base")
    sub.add_parser("status")
    sub.add_parser("credentials")
    sub.add_parser("down")
    for name in ("promote", "rejoin", "pids"):
        sub.add_parser(name).add_argument("region")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            if find_missing():
                print(f"blog unavailable: {install_hint()}", file=sys.stderr)
                return 2
            public = args.public_url or f"http://127.0.0.1:{args.port_base}/blog"
            pair = BlogPair(
                args.state_dir, regions_for(args.port_base, [PRIMARY, SECONDARY]), public
            )
            pair.start()
            result: object = pair.status()
        else:
            pair = BlogPair.attach(args.state_dir)
            if args.command == "status":
                result = pair.status()
            elif args.command == "credentials":
                result = pair.admin_credentials()
            elif args.command == "down":
                pair.stop()
                result = "stopped"
            elif args.command == "promote":
                result = pair.promote(args.region)
            elif args.command == "rejoin":
                result = pair.rejoin(args.region)
            else:
                result = pair.pids(args.region)
    except (BlogError, KeyError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
