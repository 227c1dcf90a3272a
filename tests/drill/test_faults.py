"""Each fault plan on its own: the region it picks, the primitive it calls, what it watches
while the fault is held and what it adds to the gates; and the registry the CLI lists."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bookstore.data.orders import CUSTOMER, ORDER
from bookstore.tables import TableDefinition
from drill import cli as drill_cli
from drill.faults import PLANS, plan_for
from drill.faults.base import FaultPlan, Run
from drill.faults.blog_primary_loss import BlogPrimaryLoss
from drill.faults.cache_loss import CacheLoss
from drill.faults.partition import Partition
from drill.faults.region_outage import RegionOutage
from drill.load import Cognito, Recorder
from drill.model import Ack, Events, FaultFacts, Sample
from drill.runner import Options, prepare
from drill.target import BlogView, Board, DrillError, Monitor, Target

P, S = "eu-west-1", "ap-southeast-1"
REPO = Path(__file__).resolve().parents[2]


class StubTarget(Target):
    """Records the fault primitives it is asked for; answers from fields the test sets."""

    name = "stub"

    def __init__(self, serving: str | None = P) -> None:
        self.serving = serving
        self.calls: list[tuple[str, ...]] = []
        self.orders: dict[str, list[dict[str, Any]]] = {P: [], S: []}
        self.unreadable: set[str] = set()
        self.views: dict[str, BlogView] = {}
        self.posts: dict[str, set[str] | None] = {}
        self.built = False

    @property
    def api(self) -> str:
        return "http://127.0.0.1:9/api"

    @property
    def regions(self) -> Sequence[str]:
        return (P, S)

    def regional_api(self, region: str) -> str:
        return f"http://127.0.0.1:9/{region}"  # nothing listens: a probe gets no answer

    def cognito(self) -> Cognito:
        return Cognito(endpoint="http://127.0.0.1:9", client_id="c")

    def serving_region(self) -> str | None:
        return self.serving

    def sample(self, t: float) -> Sample | None:
        return None

    def outage(self, region: str) -> FaultFacts:
        self.calls.append(("outage", region))
        return FaultFacts(command=f"outage {region}")

    def restore_region(self, region: str) -> None:
        self.calls.append(("restore_region", region))

    def partition(self) -> FaultFacts:
        self.calls.append(("partition",))
        return FaultFacts(command="partition")

    def heal(self) -> None:
        self.calls.append(("heal",))

    def flush_cache(self, region: str) -> FaultFacts:
        self.calls.append(("flush_cache", region))
        return FaultFacts(command=f"FLUSHDB {region}", keys_dropped=7)

    def scan(self, region: str, table: TableDefinition) -> list[dict[str, Any]]:
        if region in self.unreadable:
            raise TimeoutError(region)
        return list(self.orders[region])

    def board(self, region: str) -> Board:
        return Board(sold={}, built=self.built)

    def blog(self) -> dict[str, BlogView]:
        return self.views

    def blog_posts(self, region: str) -> set[str] | None:
        return self.posts.get(region)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make_run(
    target: StubTarget, region: str | None, survivor: str | None
) -> tuple[Run, Monitor, Clock, list[str]]:
    clock = Clock()
    said: list[str] = []
    monitor = Monitor(target, clock)
    run = Run(
        target=target,
        region=region,
        survivor=survivor,
        clock=clock,
        recorder=Recorder(),
        monitor=monitor,
        events=Events(fault_at=10.0),
        notes=[],
        say=said.append,
    )
    return run, monitor, clock, said


def order(customer: str, order_id: str) -> dict[str, Any]:
    return {CUSTOMER: customer, ORDER: order_id}


def ack(customer: str, order_id: str, at: float) -> Ack:
    return Ack(1, customer, "k", order_id, at, P, True)


# -- region choice ------------------------------------------------------------------------


def test_an_outage_hits_the_serving_region_unless_told_otherwise() -> None:
    plan = RegionOutage()
    assert plan.pick_region(StubTarget(serving=S), None) == S
    assert plan.pick_region(StubTarget(serving=None), None) == P  # unknown: the primary
    assert plan.pick_region(StubTarget(serving=S), P) == P


def test_a_cache_loss_hits_the_serving_region_unless_told_otherwise() -> None:
    assert CacheLoss().pick_region(StubTarget(serving=S), None) == S
    assert CacheLoss().pick_region(StubTarget(serving=S), P) == P


def test_a_partition_hits_no_one_region_and_refuses_one() -> None:
    assert Partition().pick_region(StubTarget(), None) is None
    with pytest.raises(DrillError, match="--region does not apply to a partition"):
        Partition().pick_region(StubTarget(), P)


def test_a_blog_primary_loss_hits_the_blog_primary_not_the_serving_region() -> None:
    target = StubTarget(serving=P)
    target.views = {P: BlogView("http://p", "replica"), S: BlogView("http://s", "primary")}
    plan = BlogPrimaryLoss()
    plan.check_ready(target)
    assert plan.pick_region(target, None) == S
    assert plan.pick_region(target, P) == P


def test_a_blog_primary_loss_without_a_blog_primary_is_refused() -> None:
    target = StubTarget()
    target.views = {P: BlogView("http://p", "replica")}
    with pytest.raises(DrillError, match="blog tier not running"):
        BlogPrimaryLoss().check_ready(target)


def test_prepare_refuses_an_unknown_region_and_an_unknown_fault() -> None:
    target = StubTarget()
    with pytest.raises(DrillError, match="unknown region 'us-east-2'"):
        prepare(target, Options("stub", "region-outage", "us-east-2", 1, 5.0, None, None))
    with pytest.raises(DrillError, match="unknown fault 'meteor'"):
        prepare(target, Options("stub", "meteor", None, 1, 5.0, None, None))
    assert prepare(target, Options("stub", "partition", None, 1, 5.0, None, None))[1] is None
    assert target.calls == []  # nothing touched


# -- inject and restore -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "region", "calls"),
    [
        (RegionOutage(), P, [("outage", P), ("restore_region", P)]),
        (BlogPrimaryLoss(), S, [("outage", S), ("restore_region", S)]),
        (Partition(), None, [("partition",), ("heal",)]),
        (CacheLoss(), S, [("flush_cache", S)]),  # nothing to undo: the service rebuilds
    ],
)
def test_each_plan_causes_and_undoes_its_fault_with_the_target_primitives(
    plan: FaultPlan, region: str | None, calls: list[tuple[str, ...]]
) -> None:
    target = StubTarget()
    facts = plan.inject(target, region)
    plan.restore(target, region)
    assert target.calls == calls
    assert facts.to_json()["command"]


def test_fault_facts_report_only_what_applies_under_the_report_names() -> None:
    assert FaultFacts(command="FLUSHDB", keys_dropped=0).to_json() == {
        "command": "FLUSHDB",
        "keysDropped": 0,
    }
    assert FaultFacts(command="outage", said="").to_json() == {"command": "outage", "said": ""}
    assert FaultFacts().to_json() == {}


# -- watching while held, and the findings ------------------------------------------------


def test_an_outage_reads_the_survivor_at_the_first_sign_of_failover() -> None:
    target = StubTarget()
    target.orders[S] = [order("c1", "o1")]
    run, monitor, clock, said = make_run(target, P, S)
    plan = RegionOutage()
    monitor.samples.append(Sample(10.5, P, {P: True, S: True}))  # nothing moved yet
    plan.while_held(run, 10.5)
    assert plan.watch.read is None
    monitor.samples.append(Sample(11.0, P, {P: False, S: True}))
    clock.now = 11.2
    plan.while_held(run, 11.2)
    target.orders[S].append(order("c2", "o2"))  # later orders do not change the read
    plan.while_held(run, 11.4)
    plan.before_restore(run)
    read = plan.findings(run, 10.0).failover
    assert read is not None
    assert (read.moment, read.at, read.present) == ("detection", 11.2, {("c1", "o1")})
    assert said == ["[  11.2s] failover detected; survivor read"]
    loss = read.loss([ack("c1", "o1", 9.0), ack("c2", "o2", 9.5)], 10.0)
    assert [a.order_id for a in loss.missing] == ["o2"]


def test_an_outage_never_seen_failing_over_reads_the_survivor_at_the_restore() -> None:
    target = StubTarget()
    target.unreadable = {S}
    run, _, clock, _ = make_run(target, P, S)
    plan = RegionOutage()
    plan.while_held(run, 11.0)  # no sample at all
    clock.now = 20.0
    plan.before_restore(run)
    assert plan.findings(run, 10.0).failover is None
    assert run.notes == [f"reading the Orders of {S} failed: TimeoutError"]
    target.unreadable = set()
    plan.before_restore(run)
    read = plan.findings(run, 10.0).failover
    assert read is not None
    assert (read.moment, read.at) == ("restore (no detection seen)", 20.0)


def test_a_partition_measures_its_exposure_from_the_heal() -> None:
    target = StubTarget()
    run, monitor, clock, _ = make_run(target, None, S)
    plan = Partition()
    monitor.samples.append(Sample(11.0, S, {P: False, S: True}))
    plan.while_held(run, 11.0)  # a partition does not watch for failover
    clock.now = 30.0
    plan.before_restore(run)
    read = plan.findings(run, 10.0).failover
    assert read is not None
    assert (read.moment, read.at, read.from_read) == ("heal", 30.0, True)
    loss = read.loss([ack("c1", "o1", 25.0)], 10.0)
    assert loss.count == 1
    assert loss.rpo == pytest.approx(5.0)  # from the order to the heal, not to the fault


def test_a_cache_loss_probes_once_a_second_and_fails_when_never_rebuilt() -> None:
    target = StubTarget()
    run, _, clock, _ = make_run(target, S, P)
    plan = CacheLoss()
    plan.inject(target, S)
    for now in (10.0, 10.2, 10.9, 11.0, 11.5):
        clock.now = now
        plan.while_held(run, now)
    assert plan.figures is not None
    assert plan.figures.probes == 2
    records, _ = run.recorder.snapshot()
    assert [(r.step, r.path, r.outcome) for r in records] == [
        ("probe", "/bestsellers", "no-answer")
    ] * 2
    findings = plan.findings(run, 10.0)
    assert findings.failures == [f"the leaderboard of {S} was not rebuilt after the cache loss"]
    assert run.notes == ["the flushed leaderboard was not seen rebuilt"]
    assert findings.cache is not None
    assert findings.cache.to_json() == {"region": S, "rebuiltAt": None, "probes": 2}


def test_a_rebuilt_cache_reports_when_and_adds_no_failure() -> None:
    plan = CacheLoss()
    target = StubTarget()
    run, _, _, _ = make_run(target, S, P)
    plan.inject(target, S)
    assert plan.figures is not None
    plan.figures.rebuilt_at = 13.25
    findings = plan.findings(run, 10.0)
    assert findings.failures == []
    assert findings.cache is not None
    assert findings.cache.to_json()["rebuiltSeconds"] == 3.25


def test_a_blog_primary_loss_counts_posts_and_fails_on_each_lost_one() -> None:
    target = StubTarget()
    target.views = {P: BlogView("http://p", "primary"), S: BlogView("http://s", "replica")}
    target.posts = {P: {"1", "2", "3"}, S: {"1", "2"}}
    run, _, clock, _ = make_run(target, P, S)
    plan = BlogPrimaryLoss()
    plan.before_load(target, P)
    plan.while_held(run, 11.0)
    target.views = {S: BlogView("http://s", "primary")}
    clock.now = 14.5
    plan.while_held(run, 14.5)
    findings = plan.findings(run, 10.0)
    assert findings.blog is not None
    assert findings.blog.to_json() == {
        "primaryBefore": P,
        "postsBefore": 3,
        "postsAfter": 2,
        "postsLost": 1,
        "promotedSeconds": 4.5,
    }
    assert findings.failures == ["1 blog posts lost"]


def test_uncountable_blog_posts_are_a_note_not_a_failure() -> None:
    target = StubTarget()
    run, _, _, _ = make_run(target, P, S)
    plan = BlogPrimaryLoss()
    plan.before_load(target, P)
    findings = plan.findings(run, 10.0)
    assert findings.failures == []
    assert findings.blog is not None
    assert findings.blog.posts_lost is None
    assert run.notes == ["blog posts could not be counted (the blog's REST API did not answer)"]


# -- the registry ----------------------------------------------------------------------------


def test_the_registry_names_each_plan_and_gives_a_fresh_one_per_drill() -> None:
    assert list(PLANS) == ["region-outage", "partition", "cache-loss", "blog-primary-loss"]
    assert all(name == plan.name for name, plan in PLANS.items())
    assert plan_for("cache-loss") is not plan_for("cache-loss")


def test_the_cli_offers_every_registered_fault_with_its_summary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import argparse

    class Meteor(RegionOutage):
        name = "meteor"
        summary = "a rock on the data centre"

    monkeypatch.setitem(PLANS, Meteor.name, Meteor)
    parser = argparse.ArgumentParser()
    drill_cli.register(parser)
    action = next(a for a in parser._actions if a.dest == "fault")
    assert list(action.choices or []) == [*PLANS]
    assert "meteor: a rock on the data centre" in (action.help or "")
    assert parser.parse_args(["--fault", "meteor"]).fault == "meteor"


def test_building_the_cli_parser_reads_the_registry_without_aws_or_redis_clients() -> None:
    # `bookstore` builds every command's parser on each call: the registry must stay light.
    code = (
        "import argparse, sys; from drill import cli; cli.register(argparse.ArgumentParser());"
        "print([m for m in ('boto3', 'redis', 'drill.measure', 'drill.runner')"
        " if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.strip() == "[]"
