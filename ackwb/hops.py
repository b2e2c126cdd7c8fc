"""The boxes and arrows of a path: hops, edges, verdicts, and the packet each hop sees.

These are the smallest types every layer above the sources speaks. They live apart from
``ackwb.model`` (step results, traces) so that ``ackwb.verdicts``, which adds hop verdicts up
to a path verdict, can sit between the two without an import cycle. ``ackwb.model``
re-exports everything here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """Whether traffic passes a hop."""

    OK = "ok"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"  # the hop could not be seen: a read failed or was never made
    DEPENDS = "depends on the client"  # an ACL or security group decides on an address not given
    NOT_REACHED = "not reached"  # no branch that gets this far passes: it sits behind a blocked hop


class Path(StrEnum):
    """Which journey a hop or edge belongs to; each gets its own colour."""

    REQUEST = "request"  # the way a client's request really goes
    IN_CLUSTER = "in-cluster"  # the way a client inside the cluster reaches the Service
    EGRESS = "egress"  # the way a Pod reaches the internet


@dataclass(frozen=True)
class Packet:
    """A packet on one leg of the path: ``source → destination`` as ``ip:port`` text.

    ``*`` stands for an ephemeral port; ``client`` for a client address that was not given.
    """

    src: str
    dst: str

    def __str__(self) -> str:
        return f"{self.src} → {self.dst}"


@dataclass(frozen=True)
class Hop:
    """A box on the path diagram.

    ``arrives`` and ``leaves`` are the packet as the hop receives it and as it sends it on;
    ``rewrite`` says what the hop changed (a DNAT, a masquerade, a new connection from a
    proxy), empty when it forwards the packet as it came.
    """

    id: str  # stable, e.g. "lb:lb-bp1public", used as the DOT node id
    kind: str  # dns, lb, listener, backend, node, controller, ingress, service, ipvs, pod, nat, snat, eip
    label: str
    path: Path = Path.REQUEST
    verdict: Verdict = Verdict.OK
    details: tuple[tuple[str, str], ...] = ()
    arrives: Packet | None = None
    leaves: Packet | None = None
    rewrite: str = ""


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    label: str = ""
    path: Path = Path.REQUEST


VERDICT_RANK = {
    Verdict.OK: 0,
    Verdict.DEPENDS: 1,
    Verdict.NOT_REACHED: 2,
    Verdict.UNKNOWN: 3,
    Verdict.BLOCKED: 4,
}


def worst_verdict(verdicts: object) -> Verdict:
    """The most serious of some verdicts (ok when there are none)."""
    return max(verdicts, key=VERDICT_RANK.__getitem__, default=Verdict.OK)  # type: ignore[call-overload]
