"""The failback gate's reserved items, kept in the replicated tables beside the shoppers' data.

A returning region writes a probe (in the Cart table); the other region answers it with an
acknowledgement in every table the shoppers read after a write. Each table replicates in order
behind the writes made before it, so an acknowledgement that has arrived in a table says the
writes queued before it have arrived too (see docs/failback.md for what that holds on AWS).

The keys cannot meet a shopper's: customer ids are Cognito `sub`s (UUIDs) and book ids are
lower-case slugs, so `__system__` is neither. Everything here but `MarkerStore` is plain code
without boto3, so that the stream function can tell these items apart on a cold start.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bookstore.tables import BOOKS, CART, ORDERS

if TYPE_CHECKING:
    from bookstore.data.table import ItemTable

SYSTEM_PARTITION = "__system__"
# The Books table has no sort key: its reserved items are ids under this prefix instead.
BOOKS_SYSTEM_PREFIX = f"{SYSTEM_PARTITION}#"
PROBE_PREFIX = "failback-probe#"
ACK_PREFIX = "failback-ack#"

BOOK_KEY = BOOKS.hash_key.name
CART_CUSTOMER, CART_BOOK = CART.key_names()
ORDERS_CUSTOMER, ORDERS_ORDER = ORDERS.key_names()

Item = dict[str, Any]


def is_reserved_item(item: Mapping[str, Any]) -> bool:
    """True for the gate's items in any of the tables (a stream image or keys will do too)."""
    if item.get(CART_CUSTOMER) == SYSTEM_PARTITION or item.get(ORDERS_CUSTOMER) == SYSTEM_PARTITION:
        return True
    return str(item.get(BOOK_KEY, "")).startswith(BOOKS_SYSTEM_PREFIX)


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

    def __init__(self, cart: ItemTable, orders: ItemTable, books: ItemTable) -> None:
        self._cart = cart
        self._orders = orders
        self._books = books

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
        self._books.put_item({BOOK_KEY: BOOKS_SYSTEM_PREFIX + ACK_PREFIX + probe.region, **fields})
        self._cart.put_item({**_cart_key(ACK_PREFIX + probe.region), **fields})

    def missing_acks(self, probe: Probe) -> list[str]:
        """The tables (logical names) whose local copy has no acknowledgement of `probe` yet."""
        keys = {
            CART.logical_name: (self._cart, _cart_key(ACK_PREFIX + probe.region)),
            ORDERS.logical_name: (
                self._orders,
                {ORDERS_CUSTOMER: SYSTEM_PARTITION, ORDERS_ORDER: ACK_PREFIX + probe.region},
            ),
            BOOKS.logical_name: (
                self._books,
                {BOOK_KEY: BOOKS_SYSTEM_PREFIX + ACK_PREFIX + probe.region},
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
