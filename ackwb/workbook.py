"""The notebook-facing API: a ``Workbook`` bound to one world, with one method per step.

    wb = Workbook.demo()
    r = wb.dns("app1.qas.abc.com")
    lb = wb.slb(r)
    ...
    wb.trace("app1.qas.abc.com")

Each method takes the previous step's result, so a notebook reads like the article.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path as FilePath
from typing import TYPE_CHECKING, Any

import ackwb.render  # noqa: F401  (registers the HTML presenter for results)
from ackwb import steps
from ackwb.demo import BuiltinWorld, demo_world_root
from ackwb.errors import AckwbError, InputError
from ackwb.model import Client, Trace
from ackwb.plan import route_paths
from ackwb.sources import Sources
from ackwb.sources.world import load_world, open_world  # the default world reader: standard library only
from ackwb.steps.cluster import Cluster, read_cluster
from ackwb.trace import run_trace

if TYPE_CHECKING:  # for annotations only: the cluster map and diffs load on demand
    from ackwb.diff import WorldDiff
    from ackwb.render.clustermap import ClusterMap
    from ackwb.sweep import Sweep


class Workbook:
    """Follows requests through one world: the built-in demo, a snapshot, or (later) a live cluster."""

    def __init__(self, sources: Sources) -> None:
        self.sources = sources
        self._cluster: Cluster | None = None  # what the current step-by-step walk learned
        _show_ackwb_errors_briefly()

    @property
    def cluster(self) -> Cluster:
        """The cluster facts of the current walk (network plugin, shared reads), read on first use;
        ``wb.dns(...)`` starts a new walk, so a re-run reads the world afresh."""
        if self._cluster is None:
            self._cluster = read_cluster(self.sources)
        return self._cluster

    @classmethod
    def demo(cls, scenario: str = "healthy") -> Workbook:
        """A built-in world (the demo "healthy", another design world, or a broken scenario of one,
        see ``Workbook.worlds()``): no cluster and no credentials needed."""
        return cls(load_world(demo_world_root(scenario)).sources())

    @classmethod
    def from_world(cls, path: str | FilePath) -> Workbook:
        """A stored world: a folder in the demo's layout, or a snapshot file (.zip) of one."""
        return cls(open_world(path).sources())

    from_snapshot = from_world

    @classmethod
    def live(cls, profile: str, profiles_file: str | FilePath | None = None) -> Workbook:
        """A live cluster and cloud account, read-only, as the named profile describes (see README)."""
        from ackwb.profiles import load_profile
        from ackwb.sources.live import live_sources

        return cls(live_sources(load_profile(profile, profiles_file)))

    @property
    def description(self) -> str:
        return self.sources.description

    def domains(self) -> list[str]:
        """Every host an Ingress of the world serves, and every HTTPRoute hostname (not wildcards)."""
        hosts = {
            rule["host"]
            for item in self.sources.kube.list("ingresses")
            for rule in item.get("spec", {}).get("rules", [])
            if rule.get("host")
        }
        return sorted(hosts | set(route_paths(self.sources)))

    def dns(self, domain: str, client_ip: str | None = None) -> steps.DnsResult:
        """Step 1 as ``client_ip`` sees it: inside the cluster's VPC, PrivateZone answers."""
        self._cluster = None
        return steps.dns(self.sources, domain, make_client(client_ip))

    def slb(
        self,
        dns: steps.DnsResult,
        client_ip: str | None = None,
        port: int = 80,
        scheme: str = "",
        headers: Mapping[str, str] | Sequence[str] | None = None,
    ) -> steps.LoadBalancerResult:
        client = make_client(client_ip, port, "/", scheme, headers)
        return steps.slb(self.sources, _expect(dns, steps.DnsResult, "dns"), client)

    def ecs(self, lb: steps.LoadBalancerResult) -> steps.NodeResult:
        lb = _expect(lb, steps.LoadBalancerResult, "slb")
        if lb.front_door == "alb":  # the ALB's rules answer: its servers are step 4's, as in a trace
            return steps.NodeResult(step="ecs", title="", domain=lb.domain, prev=lb)
        return steps.ecs(self.sources, lb, self.cluster)

    def ingress(self, nodes: steps.NodeResult, path: str = "/") -> steps.IngressResult:
        nodes = _expect(nodes, steps.NodeResult, "ecs")
        lb = nodes.prev
        if isinstance(lb, steps.LoadBalancerResult) and lb.front_door == "alb":
            from ackwb.steps.alb_path import alb_path

            return alb_path(self.sources, lb, path, self.cluster)
        return steps.ingress(self.sources, nodes, path)

    def service(self, ing: steps.IngressResult) -> steps.ServiceResult:
        return steps.service(self.sources, _expect(ing, steps.IngressResult, "ingress"))

    def kube_proxy(self, svc: steps.ServiceResult) -> steps.KubeProxyResult:
        return steps.kube_proxy(self.sources, _expect(svc, steps.ServiceResult, "service"), self.cluster)

    def pod(self, kp: steps.KubeProxyResult) -> steps.PodResult:
        return steps.pod(self.sources, _expect(kp, steps.KubeProxyResult, "kube_proxy"), self.cluster)

    def egress(self, pods: steps.PodResult) -> steps.EgressResult:
        return steps.egress(self.sources, _expect(pods, steps.PodResult, "pod"), self.cluster)

    def trace(
        self,
        domain: str,
        client_ip: str | None = None,
        port: int = 80,
        path: str = "/",
        scheme: str = "",
        headers: Mapping[str, str] | Sequence[str] | None = None,
    ) -> Trace:
        """All eight steps for one domain and client: the whole path, its diagram and findings."""
        return run_trace(self.sources, domain, make_client(client_ip, port, path, scheme, headers))

    # --- whole-world views: scenarios, the cluster map, diffs (added for issue 5) ---

    @staticmethod
    def scenarios() -> dict[str, str]:
        """Every built-in world: name → what it is (``Workbook.demo(name)``)."""
        from ackwb.demo import SCENARIOS

        return dict(SCENARIOS)

    @staticmethod
    def worlds() -> dict[str, list[BuiltinWorld]]:
        """The built-in worlds by design: each design world first, then its broken scenarios."""
        from ackwb.demo import DESIGNS, WORLDS

        return {design: [w for w in WORLDS.values() if w.design == design] for design in DESIGNS}

    @staticmethod
    def design_records() -> dict[str, list[dict[str, str]]]:
        """Each built-in design world's design, one {axis: value} per load balancer (stored by the build)."""
        from ackwb.demo import design_records

        return design_records()

    @classmethod
    def open(cls, world: str | FilePath) -> Workbook:
        """A demo scenario by name (``"healthy"``), else a stored world (folder or .zip) by path."""
        if str(world) in cls.scenarios() and not FilePath(world).exists():
            return cls.demo(str(world))
        if not FilePath(world).expanduser().exists():
            valid = ", ".join(sorted(cls.scenarios()))
            raise InputError(
                f"{str(world)!r} is neither a demo scenario ({valid}) nor a world folder or snapshot file"
            )
        return cls.from_world(world)

    def cluster_map(
        self, client_ip: str | None = None, port: int | None = None, path: str | None = None
    ) -> ClusterMap:
        """Every domain → load balancer → Ingress → Service → Pods, grouped by namespace (a ClusterMap):
        every host on every path of its rules and port of its load balancer, or on ``port``/``path``."""
        from ackwb.render.clustermap import ClusterMap

        found = self.sweep(ports=[port] if port else (), paths=[path] if path else (), client_ip=client_ip)
        return ClusterMap(found.traces, title=f"cluster map: {self.description}")

    def sweep(
        self,
        hosts: Sequence[str] = (),
        ports: Sequence[int] = (),
        paths: Sequence[str] = (),
        client_ip: str | None = None,
        started: Callable[[int], None] | None = None,
        each: Callable[[Any], None] | None = None,
    ) -> Sweep:
        """Every host, path and port of the cluster (or the hosts, ports and paths given), traced in
        one session: a table (host, path, port, client, verdict, first finding), the traces, and an
        HTML overview (``.html()``). ``started`` hears the number of requests, ``each`` each result."""
        from ackwb.sweep import sweep

        client = make_client(client_ip)
        title = f"sweep: {self.description}"
        return sweep(self.sources, hosts, ports, paths, client, started, each, title)

    def diff(
        self,
        other: Workbook,
        domains: str | list[str] | None = None,
        client_ip: str | None = None,
        port: int = 80,
        path: str = "/",
    ) -> WorldDiff:
        """What changes along each domain's path from this world to ``other``, hop by hop (a WorldDiff).

        ``domains``: one domain, a list, or None for every domain of either world.
        """
        from ackwb.diff import diff_worlds

        if domains is None:
            names = sorted(set(self.domains()) | set(other.domains()))
        else:
            names = [domains] if isinstance(domains, str) else list(domains)
        return diff_worlds(self.sources, other.sources, names, make_client(client_ip, port, path))

    def __repr__(self) -> str:
        return f"Workbook({self.description})"


_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")


def check_domain(domain: str) -> str:
    """``domain`` when it is a host name a client can ask for; else ``InputError`` naming what is wrong.

    The command line checks its domains with it before opening any world (exit status 2); in a
    notebook, ``wb.trace`` leaves the verdict to the DNS step, which shows ``DNS_INVALID_NAME``."""
    if not isinstance(domain, str) or not domain.strip():
        raise InputError(f"domain {domain!r} is empty: give a host name such as app1.qas.abc.com")
    name = domain.removesuffix(".")
    shown = repr(domain[:80])
    if not name.isascii():
        raise InputError(f"domain {shown} is not ASCII: give its IDNA form (xn--...)")
    if len(name) > 253:
        raise InputError(f"domain {shown}... is longer than 253 characters")
    labels = name.split(".")
    if labels[0] == "*" and len(labels) > 1:  # a wildcard Ingress host, as `ackwb domains` lists it
        labels = labels[1:]
    bad = next((label for label in labels if not _LABEL.match(label)), None)
    if bad is not None:
        problem = "an empty label" if bad == "" else f"the label {bad[:70]!r}"
        raise InputError(
            f"domain {shown} is not a host name: {problem} is not 1-63 letters, digits or hyphens "
            "(not starting or ending with a hyphen)"
        )
    return domain


def make_client(
    client_ip: str | None = None,
    port: int = 80,
    path: str = "/",
    scheme: str = "",
    headers: Mapping[str, str] | Sequence[str] | None = None,
) -> Client:
    """A validated client; bad values raise ``InputError`` naming the value. ``headers`` is a
    mapping or ``"Name: value"`` strings (as ``--header`` takes them)."""
    if client_ip:
        try:
            ipaddress.ip_address(client_ip)
        except ValueError:
            raise InputError(f"client IP {client_ip!r} is not an IP address") from None
    if not isinstance(port, int) or not 0 < port < 65536:
        raise InputError(f"port {port!r} is not a TCP port (1-65535)")
    if not path.startswith("/"):
        raise InputError(f"path {path!r} must start with '/'")
    if scheme not in ("", "http", "https"):
        raise InputError(f"scheme {scheme!r} must be http or https")
    return Client(client_ip or None, port, path, scheme, _headers(headers))


def _headers(headers: Mapping[str, str] | Sequence[str] | None) -> tuple[tuple[str, str], ...]:
    if not headers:
        return ()
    pairs = list(headers.items()) if isinstance(headers, Mapping) else []
    for text in [] if isinstance(headers, Mapping) else headers:
        name, colon, value = str(text).partition(":")
        if not colon or not name.strip() or any(c in name for c in " \t\r\n"):
            raise InputError(f"header {text!r} must read 'Name: value'")
        pairs.append((name.strip(), value.strip()))
    for name, value in pairs:
        if any(c in str(value) for c in "\r\n\0"):
            raise InputError(f"header {name!r} has a line break or NUL in its value")
    return tuple((str(n), str(v)) for n, v in pairs)


def _expect(result: Any, kind: type, step: str) -> Any:
    if not isinstance(result, kind):
        raise InputError(f"expected the result of wb.{step}(...), got {type(result).__name__}")
    return result


def _show_ackwb_errors_briefly() -> None:
    """In IPython, show an ackwb error as one line instead of a traceback."""
    ipython_module = sys.modules.get("IPython")
    shell = ipython_module.get_ipython() if ipython_module else None
    if shell is None:
        return

    def one_line(shell: Any, kind: type, error: BaseException, tb: Any, tb_offset: Any = None) -> list[str]:
        message = f"ackwb: {error}"
        print(message, file=sys.stderr)
        return [message]

    shell.set_custom_exc((AckwbError,), one_line)
