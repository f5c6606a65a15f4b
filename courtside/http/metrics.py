"""Prometheus metrics of one app instance (DESIGN.md §3 operations).

Each app has its own registry, so several servers can live in one process (the
test suite runs one per test). Values owned by other parts (actors, the pool)
are read at scrape time rather than pushed on every change.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from courtside.actors import LoopStalls

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class _ScrapeTimeGauges(Collector):
    def __init__(self, gauges: Mapping[str, tuple[str, str | None, Callable[[], object]]]) -> None:
        self._gauges = gauges

    def collect(self) -> Iterator[Metric]:
        for name, (documentation, label, read) in self._gauges.items():
            if label is None:
                yield GaugeMetricFamily(name, documentation, value=float(read()))  # type: ignore[arg-type]
                continue
            family = GaugeMetricFamily(name, documentation, labels=[label])
            for key, value in sorted(read().items()):  # type: ignore[attr-defined]
                family.add_metric([key], float(value))
            yield family


class _ScrapeTimeCounter(Collector):
    """A counter read at scrape time: one value, or with ``label`` a mapping of them."""

    def __init__(self, name: str, documentation: str, read: Callable[[], object],
                 label: str | None = None) -> None:
        self._name, self._documentation, self._read, self._label = name, documentation, read, label

    def collect(self) -> Iterator[Metric]:
        if self._label is None:
            yield CounterMetricFamily(self._name, self._documentation, value=self._read())  # type: ignore[arg-type]
            return
        family = CounterMetricFamily(self._name, self._documentation, labels=[self._label])
        for key, value in sorted(self._read().items()):  # type: ignore[attr-defined]
            family.add_metric([key], value)
        yield family


class _LoopStallsCollector(Collector):
    def __init__(self, stalls: LoopStalls) -> None:
        self._stalls = stalls

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "courtside_loop_stall_seconds",
            "Longest single task step holding the event loop since the last scrape",
            value=self._stalls.take_longest(),
        )
        yield HistogramMetricFamily(
            "courtside_loop_step_seconds",
            "How long each task step held the event loop",
            buckets=[(floatToGoString(bound), count) for bound, count in self._stalls.cumulative_buckets()],
            sum_value=self._stalls.seconds,
        )


class Metrics:
    """Request counters and latency, and gauges read from their owners at scrape time."""

    def __init__(
        self,
        *,
        actors_by_kind: Callable[[], Mapping[str, int]],
        mailbox_depth_by_kind: Callable[[], Awaitable[Mapping[str, int]]],
        db_connections_in_use: Callable[[], int],
        db_pool_size: Callable[[], int],
        open_sockets: Callable[[], int],
        live_matches: Callable[[], int],
        game_sockets: Callable[[], int],
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._mailbox_depth_by_kind = mailbox_depth_by_kind
        self._mailbox_depths: Mapping[str, int] = {}  # as the scrape's scan found them
        self.requests = Counter(
            "courtside_http_requests", "HTTP requests by route and status",
            ["method", "route", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "courtside_http_request_duration_seconds", "HTTP request latency by route",
            ["route"], registry=self.registry,
        )
        self.registry.register(_ScrapeTimeGauges({
            "courtside_actors": ("Live actors by kind", "kind", actors_by_kind),
            "courtside_mailbox_depth": (
                "Messages queued in actor inboxes, summed by kind", "kind", lambda: self._mailbox_depths,
            ),
            "courtside_db_pool_in_use": ("Database connections in use", None, db_connections_in_use),
            "courtside_db_pool_size": ("Database connections in the pool", None, db_pool_size),
            "courtside_open_sockets": (
                "Open WebSockets of the HTTP app, SSE streams, and user sockets on the game port",
                None, open_sockets,
            ),
            "courtside_live_matches": ("Matches playing on the tick shard", None, live_matches),
            "courtside_game_sockets": (
                "Open sockets on the game port: game sockets and user sockets", None, game_sockets,
            ),
        }))
        self.tick_lateness = Histogram(
            "courtside_tick_lateness_seconds",
            "How late each tick of the shard started against its deadline grid",
            buckets=(0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.025, 0.05, 0.1, 0.25),
            registry=self.registry,
        )

    def count_skipped_ticks(self, read: Callable[[], int]) -> None:
        """Export the tick shard's skipped ticks; the shard starts after the metrics exist."""
        self.export_counter(
            "courtside_tick_skipped",
            "Tick deadlines the shard skipped because it fell a whole tick behind",
            read,
        )

    def count_match_records(self, *, retries: Callable[[], int], lost: Callable[[], int]) -> None:
        """Export the match recorder's tries again and its records given up on."""
        self.export_counter(
            "courtside_match_record_retries", "Match record writes that failed and were tried again",
            retries,
        )
        self.export_counter(
            "courtside_match_records_lost", "Match records given up on after every try failed", lost,
        )

    def count_restarts(self, by_kind: Callable[[], Mapping[str, int]]) -> None:
        """Export the supervisor's restarts of crashed (or killed) actors, by kind."""
        self.registry.register(_ScrapeTimeCounter(
            "courtside_actor_restarts", "Actors restarted after a crash, by kind", by_kind, label="kind",
        ))

    def watch_loop(self, stalls: LoopStalls) -> None:
        """Export the loop's longest step since the last scrape, and every step's length."""
        self.registry.register(_LoopStallsCollector(stalls))

    def export_counter(self, name: str, documentation: str, read: Callable[[], int]) -> None:
        """A counter another part owns, read at scrape time."""
        self.registry.register(_ScrapeTimeCounter(name, documentation, read))

    def watch_cluster(
        self, *, live_nodes: Callable[[], int], node_id: Callable[[], int],
        events_lost: Callable[[], int],
    ) -> None:
        """Export what this node sees of the cluster; membership starts after the metrics."""
        self.registry.register(_ScrapeTimeGauges({
            "courtside_cluster_nodes_alive": (
                "Nodes of the cluster with a recent heartbeat, as of this node's last beat",
                None, live_nodes,
            ),
            "courtside_cluster_node_id": ("This node's id in the cluster", None, node_id),
        }))
        self.registry.register(_ScrapeTimeCounter(
            "courtside_events_lost",
            "User-channel events this node could not write to the cluster's event log",
            events_lost,
        ))

    def count_refused_connections(self, read: Callable[[], int]) -> None:
        """Export connections refused for their address's budget (docs/LIMITS.md)."""
        self.registry.register(_ScrapeTimeCounter(
            "courtside_connections_refused",
            "Connections refused because their client address held its share already",
            read,
        ))

    def watch_request_slots(self, *, held: Callable[[], int], waiting: Callable[[], int]) -> None:
        """Export how many HTTP requests work on the loop, and how many wait their turn."""
        self.registry.register(_ScrapeTimeGauges({
            "courtside_http_request_slots_held": (
                "HTTP requests working on the loop within their lease (courtside/server/request_slots.py)",
                None, held,
            ),
            "courtside_http_requests_waiting": ("HTTP requests waiting for a slot", None, waiting),
        }))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    async def render(self) -> bytes:
        # The one scan over every actor runs before, in chunks; the rest is quick.
        self._mailbox_depths = await self._mailbox_depth_by_kind()
        return generate_latest(self.registry)
