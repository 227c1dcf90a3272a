"""The local two-region sandbox: the bookstore's real Lambda code on one machine.

Per region a moto server, a Redis, an API gateway and a stream poller; between the regions a
replicator (global tables and S3 replication); in front a front door (Route 53 + CloudFront).
`sandbox.supervisor` starts and stops them, `sandbox.cli` is the `bookstore sandbox` command.
"""
