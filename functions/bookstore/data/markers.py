"""The failback gate's reserved items, kept in the replicated tables beside the shoppers' data.

A returning region writes a probe (in the Cart table); the other region answers it with an
acknowledgement in every table a shopper writes and reads back: Cart and Orders. (Shoppers never
write Books, and answering there would need the API to be allowed to write the catalog.) Each
table replicates in order behind the writes made before it, so an acknowledgement that has
arrived in a table says the writes queued before it have arrived too (see docs/failback.md for
what that holds on AWS).

All of them sit under the customer id `__system__`, which no shopper has: customer ids are
Cognito `sub`s (UUIDs). Everything here but `MarkerStore` is plain code without boto3, so that
the stream function can tell these items apart on a cold start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bookstore.tables import CART, ORDERS

if TYPE_CHECKING:
    from bookstore.data.table import ItemTable

SYSTEM_PARTITION = "__system__"
PROBE_PREFIX = "failback-probe#"
ACK_PREFIX = "failback-ack#"

CART_CUSTOMER, CART_BOOK = CART.key_names()
ORDERS_CUSTOMER, ORDERS_ORDER = ORDERS.key_names()

Item = dict[str, Any]


def is_reserved_item(item: Mapping[str, Any]) -> bool:
    """True for the gate's items in any table (a stream image or keys will do too)."""
    return SYSTEM_PARTITION in (item.get(CART_CUSTOMER), item.get(ORDERS_CUSTOMER))


@dataclass(frozen=True)
class Probe:
    """A region's request to be told when it has caught up: `token` names this catch-up,
    `since` is when the region was last seen serving (epoch seconds)."""

    region: str
    token: str
    since: float


@dataclass(frozen=True)
class Markers:
    """What one consistent read of the Cart table's reserved partition shows: every region's
    probe, and the token each region's acknowledgement in the Cart table answers."""

    probes: dict[str, Probe]
    cart_acks: dict[str, str]


class MarkerStore:
    """The gate's items in one region's own (local) copy of the tables."""

    def __init__(self, cart: ItemTable, orders: ItemTable) -> None:
        self._cart = cart
        self._orders = orders

    def read(self) -> Markers:
        probes: dict[str, Probe] = {}
        acks: dict[str, str] = {}
        for item in self._cart.partition(CART_CUSTOMER, SYSTEM_PARTITION):
            name = str(item.get(CART_BOOK, ""))
            if name.startswith(PROBE_PREFIX):
                region = name.removeprefix(PROBE_PREFIX)
                probes[region] = Probe(region, str(item["token"]), float(item["since"]))
            elif name.startswith(ACK_PREFIX):
                acks[name.removeprefix(ACK_PREFIX)] = str(item["token"])
        return Markers(probes, acks)

    def put_probe(self, probe: Probe) -> None:
        self._cart.put_item(
            {
                **_cart_key(PROBE_PREFIX + probe.region),
                "token": probe.token,
                "since": _number(probe.since),
            }
        )

    def delete_probe(self, probe: Probe) -> bool:
        """Deletes the probe if it is still this one (a newer catch-up may have replaced it);
        False when it was not."""
        from bookstore.data.table import to_wire

        try:
            self._cart.client.delete_item(
                TableName=self._cart.name,
                Key=to_wire(_cart_key(PROBE_PREFIX + probe.region)),
                ConditionExpression="#token = :token",
                ExpressionAttributeNames={"#token": "token"},
                ExpressionAttributeValues=to_wire({":token": probe.token}),
            )
        except self._cart.client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def acknowledge(self, probe: Probe, by_region: str) -> None:
        """Answers `probe` in every table; the Cart table last, because its acknowledgement is
        what this region reads to know it has answered (a failure half-way is retried)."""
        fields = {"token": probe.token, "since": _number(probe.since), "by": by_region}
        self._orders.put_item(
            {ORDERS_CUSTOMER: SYSTEM_PARTITION, ORDERS_ORDER: ACK_PREFIX + probe.region, **fields}
        )
        self._cart.put_item({**_cart_key(ACK_PREFIX + probe.region), **fields})

    def missing_acks(self, probe: Probe) -> list[str]:
        """The tables (logical names) whose local copy has no acknowledgement of `probe` yet."""
        keys = {
            CART.logical_name: (self._cart, _cart_key(ACK_PREFIX + probe.region)),
            ORDERS.logical_name: (
                self._orders,
                {ORDERS_CUSTOMER: SYSTEM_PARTITION, ORDERS_ORDER: ACK_PREFIX + probe.region},
            ),
        }
        missing = []
        for name, (table, key) in keys.items():
            item = table.get_item(key, consistent=True)
            if item is None or item.get("token") != probe.token:
                missing.append(name)
        return missing


def _cart_key(name: str) -> Item:
    return {CART_CUSTOMER: SYSTEM_PARTITION, CART_BOOK: name}


def _number(value: float) -> Decimal:
    # DynamoDB numbers go through Decimal; a float would be refused by the serialiser.
    return Decimal(f"{value:.3f}")
