"""The cluster: every `courtside serve` on one PostgreSQL is a node of it (DESIGN.md §10).

PostgreSQL is the engine that coordinates the nodes: a row and a heartbeat per
node (``membership``), the user channel's events written to a log and announced
with LISTEN/NOTIFY (``event_stream``), who is online anywhere (``presence``).
What crosses a process goes through ``courtside.actors.Bus``, whose backend
this package is; a Redis or NATS one could take its place behind it.
"""

from .event_stream import EventStream
from .membership import Membership, NodeDeclaredDead
from .node import ClusterNode
from .ownership import Ownership
from .presence import Presence
from .remote import RemoteHandle

__all__ = ["ClusterNode", "EventStream", "Membership", "NodeDeclaredDead", "Ownership", "Presence",
           "RemoteHandle"]
