"""What the Pod step found: the Pods behind the Service's endpoints and how the request reaches them.

Kept apart from the step so that the egress step takes it without importing the step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ackwb.model import StepResult


@dataclass(frozen=True)
class PodInfo:
    namespace: str
    name: str
    ip: str
    port: int
    node: str
    phase: str
    ready: bool
    restarts: int
    deleting_since: str = ""  # metadata.deletionTimestamp
    trouble: str = ""  # why a container is not running well, e.g. "app is waiting in CrashLoopBackOff"
    host_network: bool = False

    @property
    def hop_id(self) -> str:
        return f"pod:{self.namespace}/{self.name}"


@dataclass(kw_only=True)
class PodResult(StepResult):
    pods: list[PodInfo] = field(default_factory=list)
    node_ready: dict[str, bool | None] = field(default_factory=dict)  # node name → Ready (None: unseen)
