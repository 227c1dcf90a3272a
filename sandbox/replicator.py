"""Global-table and S3 replication between the sandbox's two regions.

DynamoDB. For every table the replicator reads both regions' streams in order and copies
each write to the other region (a put of the new image, or a delete). Conflicts resolve as
last writer wins: each key has one winning version, the write with the latest stream record
time (`ApproximateCreationDateTime`, milliseconds); ties between regions go to the region
whose name sorts last, and within one region the later sequence number always wins. A write
that loses (a concurrent older write) is overwritten with the winner in its own region, so
both regions converge on the same item.

No echo loops, and no bookkeeping attributes in the items: the replicator remembers the image
it wrote into a region for a key, and when that region's stream shows the same image for the
key it is recognised as its own write and not sent back. If an echo shows an image that is no
longer the winner (a newer write was replicated meanwhile), the winner is written again.

Every call has a short timeout and failed writes stay queued, so a frozen region delays only
its own replication; when it comes back, reads resume after the last record seen and the
queue drains. A file `partitioned` in the state directory pauses replication (`partition`)
until it is removed (`heal`).

S3. Every two seconds the site buckets are listed; an object missing on one side, or different
and older there, is copied over. Deletes are not replicated (S3 replication's default).
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from sandbox.config import TABLE_PREFIX, RegionConfig, SandboxConfig, write_json_atomic
from sandbox.poller import ShardReader
from sandbox.procs import exit_with_parent, install_sigterm_exit
from sandbox.provision import aws_kwargs, s3_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

log = logging.getLogger("sandbox.replicator")

CALL_TIMEOUT_SECONDS = 1.0
SETUP_TIMEOUT_SECONDS = 10.0
# A stream with records in the last HOT_SECONDS is polled every MIN_POLL_SECONDS (low lag
# while people shop); a quiet one ever less often, up to MAX_POLL_SECONDS. Each GetRecords
# costs moto milliseconds of CPU, and six streams polled flat out would keep a core of a
# small machine busy for nothing.
MIN_POLL_SECONDS = 0.025
MAX_POLL_SECONDS = 0.25
HOT_SECONDS = 2.0
BACKOFF_SECONDS = 2.0
S3_INTERVAL_SECONDS = 2.0
# An expected echo that has not shown up this long after the write never will (the write
# was lost with a timeout, or produced no stream record).
ECHO_EXPIRY_SECONDS = 30.0
READ_LIMIT = 1000

Image = dict[str, Any] | None


def fingerprint(image: Image) -> str:
    """A canonical text for an item image (None for a delete) to compare images by."""

    def plain(value: Any) -> Any:
        if isinstance(value, bytes):
            return {"__b64": base64.b64encode(value).decode()}
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        if isinstance(value, set):
            return sorted(plain(v) for v in value)
        return value

    return json.dumps(plain(image), sort_keys=True)


@dataclass(frozen=True)
class Version:
    """One write of one key in one region."""

    region: str
    sequence: int
    time: float
    keys: dict[str, Any]
    image: Image
    print: str
    # Order in which the replicator read the records of one region's stream. moto can give
    # two concurrent writes the same sequence number; the stream's order still holds.
    observed: int = 0

    def newer_than(self, other: Version) -> bool:
        if self.region == other.region:
            return (self.observed, self.sequence) > (other.observed, other.sequence)
        return (self.time, self.region) > (other.time, other.region)


@dataclass
class PendingEcho:
    print: str
    written_at: float
    # The write timed out or failed: it may have landed or not. A retry of the same image
    # reuses this expectation instead of adding a second one that no record would ever
    # match (and that would later swallow a genuine write of the same image, a delete say).
    uncertain: bool = False


@dataclass
class Stats:
    applied: int = 0
    echoes: int = 0
    repairs: int = 0
    conflicts_lost: int = 0
    s3_copied: int = 0
    lag_ms: deque[float] = field(default_factory=lambda: deque(maxlen=200))
    seen_ms: deque[float] = field(default_factory=lambda: deque(maxlen=200))

    def to_json(self) -> dict[str, Any]:
        lags = sorted(self.lag_ms)
        seen = sorted(self.seen_ms)
        return {
            "applied": self.applied,
            "echoesSkipped": self.echoes,
            "repairs": self.repairs,
            "conflictsLost": self.conflicts_lost,
            "s3Copied": self.s3_copied,
            # write in one region -> written in the other; and -> read from the source stream
            "medianLagMs": round(lags[len(lags) // 2], 1) if lags else None,
            "medianReadLagMs": round(seen[len(seen) // 2], 1) if seen else None,
        }


class TableReplicator:
    """Replication state of one table across all regions."""

    def __init__(
        self,
        name: str,
        regions: list[RegionConfig],
        clients: dict[str, DynamoDBClient],
        readers: dict[str, ShardReader],
        stats: Stats,
    ) -> None:
        self.name = name
        self.regions = [r.name for r in regions]
        self.clients = clients
        self.readers = readers
        self.stats = stats
        self.winners: dict[str, Version] = {}
        self.pending: dict[tuple[str, str], list[PendingEcho]] = {}
        self.queues: dict[str, deque[Version]] = {r: deque() for r in self.regions}
        self.observed = 0

    def observe(self, region: str, record: dict[str, Any]) -> None:
        """Handle one stream record from `region`."""
        data = record["dynamodb"]
        created = data["ApproximateCreationDateTime"]
        created_at = created.timestamp() if hasattr(created, "timestamp") else float(created)
        image = data.get("NewImage") if record["eventName"] != "REMOVE" else None
        self.observed += 1
        version = Version(
            region=region,
            sequence=int(data["SequenceNumber"]),
            time=created_at,
            keys=data["Keys"],
            image=image,
            print=fingerprint(image),
            observed=self.observed,
        )
        key = fingerprint(data["Keys"])
        winner = self.winners.get(key)
        self.stats.seen_ms.append(max(0.0, (time.time() - created_at) * 1000))
        if self._is_echo(region, key, version):
            self.stats.echoes += 1
            if winner is not None and winner.print != version.print:
                self._enqueue(region, winner, repair=True)
            return
        if winner is not None and winner.print == version.print:
            # The image every region has or is about to get (a write that changed nothing,
            # or a second record of one replicated write): nothing to send anywhere. The
            # winner stays, so that its queued writes are not taken for superseded ones.
            return
        if winner is None or version.newer_than(winner):
            self.winners[key] = version
            for other in self.regions:
                if other != region:
                    self._enqueue(other, version)
        elif winner.print != version.print:
            # A concurrent write that lost: put the winner back where the loser landed.
            self.stats.conflicts_lost += 1
            self._enqueue(region, winner, repair=True)

    def _is_echo(self, region: str, key: str, version: Version) -> bool:
        expected = self.pending.get((region, key))
        if not expected:
            return False
        expected[:] = [e for e in expected if version.time - e.written_at < ECHO_EXPIRY_SECONDS]
        for index, echo in enumerate(expected):
            if echo.print == version.print:
                # Writes land in the order they were made: earlier expectations are void.
                del expected[: index + 1]
                return True
        return False

    def _enqueue(self, region: str, version: Version, repair: bool = False) -> None:
        if repair:
            self.stats.repairs += 1
        self.queues[region].append(version)

    def drain(self, region: str) -> bool:
        """Apply queued writes to `region` in order; False when the region did not answer."""
        queue = self.queues[region]
        client = self.clients[region]
        while queue:
            version = queue[0]
            key = fingerprint(version.keys)
            winner = self.winners.get(key)
            if winner is not None and winner is not version and winner.newer_than(version):
                # Superseded while queued: the winner was queued for every other region when
                # it won, and in its own region it is the current item already.
                queue.popleft()
                continue
            # Expected before the call: a write that timed out may still land later (a frozen
            # region runs it when it resumes), and its record must not pass for a new write.
            expected = self.pending.setdefault((region, key), [])
            if expected and expected[-1].uncertain and expected[-1].print == version.print:
                echo = expected[-1]  # retrying the write that failed: one record expected
                echo.written_at = time.time()
            else:
                echo = PendingEcho(version.print, time.time())
                expected.append(echo)
            try:
                if version.image is None:
                    old = client.delete_item(
                        TableName=self.name, Key=version.keys, ReturnValues="ALL_OLD"
                    )
                    if not old.get("Attributes"):
                        # Deleting a missing item writes no stream record: expect none.
                        expected[:] = [e for e in expected if e is not echo]
                else:
                    # moto writes a stream record for every put, even an unchanged one.
                    client.put_item(TableName=self.name, Item=version.image)
            except (BotoCoreError, ClientError) as exc:
                echo.uncertain = True
                log.warning("write to %s/%s failed (%s); will retry", region, self.name, exc)
                return False
            echo.uncertain = False
            queue.popleft()
            self.stats.applied += 1
            self.stats.lag_ms.append(max(0.0, (time.time() - version.time) * 1000))
        return True


class Replicator:
    def __init__(self, config: SandboxConfig) -> None:
        from bookstore.tables import TABLES

        self.config = config
        self.regions = list(config.regions)
        self.stats = Stats()
        self.paused_file = config.partition_flag
        self.status_file = config.replicator_status_file
        self.backoff_until: dict[str, float] = {r.name: 0.0 for r in self.regions}
        self.tables: list[TableReplicator] = []
        clients = {
            r.name: boto3.client("dynamodb", **aws_kwargs(r, CALL_TIMEOUT_SECONDS))
            for r in self.regions
        }
        streams = {
            r.name: boto3.client("dynamodbstreams", **aws_kwargs(r, CALL_TIMEOUT_SECONDS))
            for r in self.regions
        }
        # Setting up may take longer on a busy machine; only the steady state must be snappy.
        setup = {r.name: aws_kwargs(r, SETUP_TIMEOUT_SECONDS) for r in self.regions}
        for table in TABLES:
            name = table.physical_name(TABLE_PREFIX)
            readers = {}
            for r in self.regions:
                describe = boto3.client("dynamodb", **setup[r.name]).describe_table
                arn = describe(TableName=name)["Table"]["LatestStreamArn"]
                # The regions start identical (see provision): only later writes matter.
                reader = ShardReader(
                    boto3.client("dynamodbstreams", **setup[r.name]), arn, "TRIM_HORIZON"
                )
                reader.skip_existing()
                reader.client = streams[r.name]
                readers[r.name] = reader
            self.tables.append(TableReplicator(name, self.regions, clients, readers, self.stats))
        self.s3 = {r.name: s3_client(r, timeout=2) for r in self.regions}
        self.poll_delay: dict[tuple[str, str], float] = {}
        self.last_records: dict[tuple[str, str], float] = {}
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="replicate")
        self.next_poll: dict[tuple[str, str], float] = {}
        self.next_s3 = 0.0

    @property
    def paused(self) -> bool:
        return self.paused_file.exists()

    def _available(self, region: str) -> bool:
        return time.monotonic() >= self.backoff_until[region]

    def _back_off(self, region: str) -> None:
        self.backoff_until[region] = time.monotonic() + BACKOFF_SECONDS

    def step(self) -> bool:
        """One pass over the streams that are due and the queues; True when anything moved.

        Reads and writes go out in parallel (each mostly waits on a moto), but records are
        handled here, in one thread, so the conflict state needs no locks: the drains running
        side by side touch only their own region's queue and expected echoes.
        """
        now = time.monotonic()
        due = [
            (table, region)
            for table in self.tables
            for region in table.regions
            if self._available(region) and now >= self.next_poll.get((table.name, region), 0)
        ]
        reads = {(t.name, r): self.pool.submit(t.readers[r].read, READ_LIMIT) for t, r in due}
        busy = False
        for table, region in due:
            stream = (table.name, region)
            try:
                records = reads[stream].result()
            except (BotoCoreError, ClientError) as exc:
                log.warning("reading %s/%s failed (%s)", region, table.name, exc)
                self._back_off(region)
                continue
            for record in records:
                table.observe(region, record)
            busy = busy or bool(records)
            self._schedule(stream, bool(records))
        pending = [
            r.name
            for r in self.regions
            if self._available(r.name) and any(t.queues[r.name] for t in self.tables)
        ]
        drains = {name: self.pool.submit(self._drain_region, name) for name in pending}
        for name, drained in drains.items():
            busy = True
            if not drained.result():
                self._back_off(name)
        return busy

    def _drain_region(self, region: str) -> bool:
        return all(table.drain(region) for table in self.tables)

    def _schedule(self, stream: tuple[str, str], had_records: bool) -> None:
        now = time.monotonic()
        if had_records:
            self.last_records[stream] = now
            delay = 0.0
        elif now - self.last_records.get(stream, -HOT_SECONDS) < HOT_SECONDS:
            delay = MIN_POLL_SECONDS
        else:
            delay = min(MAX_POLL_SECONDS, self.poll_delay.get(stream, 0.0) * 1.5)
            delay = max(delay, MIN_POLL_SECONDS)
        self.poll_delay[stream] = delay
        self.next_poll[stream] = now + delay

    def replicate_s3(self) -> None:
        listings: dict[str, dict[str, dict[str, Any]]] = {}
        for region in self.regions:
            if not self._available(region.name):
                return
            try:
                listings[region.name] = self._list(region)
            except (BotoCoreError, ClientError) as exc:
                log.warning("listing %s failed (%s)", region.site_bucket, exc)
                self._back_off(region.name)
                return
        for source in self.regions:
            for target in self.regions:
                if source is target:
                    continue
                for key, obj in listings[source.name].items():
                    have = listings[target.name].get(key)
                    if have is not None and (
                        have["ETag"] == obj["ETag"] or have["LastModified"] >= obj["LastModified"]
                    ):
                        continue
                    try:
                        self._copy(source, target, key)
                    except (BotoCoreError, ClientError) as exc:
                        log.warning("copying %s to %s failed (%s)", key, target.name, exc)
                        self._back_off(target.name)
                        return

    def _list(self, region: RegionConfig) -> dict[str, dict[str, Any]]:
        objects: dict[str, dict[str, Any]] = {}
        paginator = self.s3[region.name].get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=region.site_bucket):
            for obj in page.get("Contents", []):
                objects[obj["Key"]] = dict(obj)
        return objects

    def _copy(self, source: RegionConfig, target: RegionConfig, key: str) -> None:
        got = self.s3[source.name].get_object(Bucket=source.site_bucket, Key=key)
        self.s3[target.name].put_object(
            Bucket=target.site_bucket,
            Key=key,
            Body=got["Body"].read(),
            ContentType=got.get("ContentType", "application/octet-stream"),
            Metadata=got.get("Metadata", {}),
        )
        self.stats.s3_copied += 1

    def write_status(self, paused: bool) -> None:
        # `writtenAt` (wall clock) lets `sandbox partition` tell a pause acknowledged after it
        # asked for one from an older status.
        status = {"paused": paused, "writtenAt": time.time(), **self.stats.to_json()}
        status["queued"] = sum(len(q) for t in self.tables for q in t.queues.values())
        write_json_atomic(self.status_file, status)

    def run_forever(self) -> None:
        was_paused = self.paused
        self.write_status(was_paused)
        next_status = 0.0
        while True:
            busy = False
            paused = self.paused
            if not paused:
                busy = self.step()
                if time.monotonic() >= self.next_s3:
                    self.next_s3 = time.monotonic() + S3_INTERVAL_SECONDS
                    self.replicate_s3()
            # A pause is reported at once, and only between steps: once the status says
            # paused, no step that could still carry a later write is under way, which is
            # what `sandbox partition` waits for before it returns.
            if paused != was_paused or time.monotonic() >= next_status:
                next_status = time.monotonic() + 0.5
                self.write_status(paused)
            was_paused = paused
            if not busy:
                time.sleep(MIN_POLL_SECONDS / 2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="replication between the sandbox regions")
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s replicator %(message)s")
    exit_with_parent()
    install_sigterm_exit()
    Replicator(SandboxConfig.load(args.config)).run_forever()


if __name__ == "__main__":
    main()
