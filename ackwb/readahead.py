"""Read ahead of the steps: start each read of a live trace as soon as its inputs are known.

The steps stay sequential and simple: each takes the previous one's result. But most reads do
not depend on the previous step. The host is known at the start, so the ingress controller
Pods, each one's server block for the host, the Ingress objects and the network plugin need
not wait for DNS and the load balancer; the Service, its EndpointSlices, Pods and cluster DNS
name follow from the server block; the Pods' way out (ENI, vSwitch, route table, NAT gateway,
SNAT entry, EIP) from the endpoints nginx balances to; the node reads from the backend list.

``Readahead`` walks those chains in a few threads, calling the steps' own read functions with
the same inputs, so each read lands in the session cache under the key the step will ask for
(``ackwb.sources.session``): when the step gets there, the answer is waiting or on its way. A
read-ahead read is a guess about what the steps will ask; a wrong guess costs a read, never
an answer, and every error here is left for the step to meet and report. The reads on nodes
and in the VPC (kube-proxy's rules, security groups, the way out) are in ``readahead_nodes``.

An ALB front door (the host's CNAME chain ends at an ALB's DNS name) has no ingress controller
Pod on its path: the ingress side waits for the host's DNS answer and guesses nothing more when
it names an ALB; the front door chain reads the ALB as the step finds it, then stops.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from ackwb.errors import AckwbError
from ackwb.model import Client
from ackwb.parse.common import is_ip_address
from ackwb.readahead_nodes import NodeReads
from ackwb.sources import Sources
from ackwb.steps.cluster import Cluster, node_object, read_cluster
from ackwb.steps.common import cloud_items, dig, is_ready
from ackwb.steps.ecs.reads import ENI_TYPES, read_all
from ackwb.steps.enis import enis_holding, security_groups
from ackwb.steps.guards import read_group
from ackwb.steps.ingress.controller import read_view
from ackwb.steps.service.checks import read_selected_pods
from ackwb.steps.slb import READERS
from ackwb.steps.slb.alb import find_alb
from ackwb.steps.slb.checks import LB_ID_LABEL
from ackwb.steps.slb.nlb import find_nlb

Obj = dict[str, Any]
WORKERS = 8  # threads of one trace's read-ahead; the session bounds the reads in flight
ALB_NAME = re.compile(r"\.alb\.aliyuncs(slb)?\.com\.?$")  # alb-….<region>.alb.aliyuncsslb.com


class Readahead(NodeReads):
    """The read-ahead of one trace; ``start`` returns the cluster facts as a future."""

    def __init__(self, sources: Sources, domain: str, client: Client) -> None:
        self.sources, self.client = sources, client
        self.domain = domain.strip().lower().rstrip(".")
        self.settings = sources.settings
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="ackwb-readahead")
        self._cluster: Future[Cluster] | None = None
        self._alb: Future[bool] = Future()  # does the host's CNAME chain end at an ALB's DNS name?

    def start(self) -> Future[Cluster]:
        self._cluster = self._pool.submit(contextvars.copy_context().run, read_cluster, self.sources)
        for chain in (self._front, self._alidns, self._ingress_side, self._ingresses):
            self.spawn(chain)
        return self._cluster

    def stop(self) -> None:
        """Cancel what has not started; wait for what has (its answers land in the cache)."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def spawn(self, chain: Callable[..., Any], *args: Any) -> None:
        def run() -> None:
            with contextlib.suppress(AckwbError, KeyError, TypeError, ValueError, AttributeError, IndexError):
                chain(*args)

        with contextlib.suppress(RuntimeError):  # the pool is shut down: the trace is over
            self._pool.submit(contextvars.copy_context().run, run)

    def cluster(self) -> Cluster:
        assert self._cluster is not None
        return self._cluster.result()

    # ----------------------------------------------------------------- front door: DNS → backends
    def _alidns(self) -> None:
        cloud_items(
            self.sources, "alidns", "DescribeSubDomainRecords", {"SubDomain": self.domain}, "DomainRecords"
        )

    def _ingresses(self) -> None:
        self.sources.kube.list("ingresses")

    def _front(self) -> None:
        try:
            records = self.sources.dns.resolve(self.domain, "A")
            names = [str(r.value) for r in records if r.type == "CNAME"]
            self._alb.set_result(bool(names) and bool(ALB_NAME.search(names[-1].lower())))
        finally:
            if not self._alb.done():  # the DNS read failed: the ingress side guesses as before
                self._alb.set_result(False)
        self._follow_front(records)

    def _follow_front(self, records: list[Any]) -> None:
        targets = [r.value for r in reversed(records) if r.type == "CNAME"]
        address = next((r.value for r in records if r.type == "A"), "")
        if not address:
            return
        query = {"RegionId": self.settings.region, "Address": address}
        found = cloud_items(
            self.sources, "slb", "DescribeLoadBalancers", query, "LoadBalancers", "LoadBalancer"
        )
        if found:
            kind, lb_id = "CLB", str(found[0]["LoadBalancerId"])
        else:
            nlb = find_nlb(self.sources, address, targets)
            if nlb is None:  # the step looks for an ALB next; past it the ALB's rules decide: stop
                find_alb(self.sources, address, targets)
                return
            kind, lb_id = "NLB", str(nlb[0]["LoadBalancerId"])
        self.spawn(self._owner, lb_id)
        read_listeners, read_backends = READERS[kind]
        listener = next(
            (li for li in read_listeners(self.sources, lb_id) if li.serves(self.client.port)), None
        )
        if listener is None:
            return
        backends = read_backends(self.sources, lb_id, listener)[0]
        self.spawn(self._backend_guards, backends)
        read_all(self.sources, lb_id, backends)

    def _owner(self, lb_id: str) -> None:
        """The Service that owns the load balancer, and its EndpointSlices (the ECS step reads both)."""
        services = self.sources.kube.list("services", label_selector=f"{LB_ID_LABEL}={lb_id}")
        if services:
            meta = services[0].get("metadata") or {}
            selector = f"kubernetes.io/service-name={meta.get('name', '')}"
            self.sources.kube.list("endpointslices", meta.get("namespace"), selector)

    def _backend_guards(self, backends: list[Any]) -> None:
        """The security groups of the backends' ENIs (the ECS step weighs them last)."""
        from ackwb.steps.ecs.reads import _enis  # the step's own read, for the same query

        eni_ids = sorted(
            {b.server_id for b in backends if b.type == "eni" and b.server_id.startswith("eni-")}
        )
        addressed = sorted({b.server_ip for b in backends if b.type in ENI_TYPES and b.server_ip})
        node_ports = [b for b in backends if b.type == "ecs"]
        if node_ports:
            self.spawn(self._node_ports, node_ports)
        found = [*_enis(self.sources, eni_ids).values(), *enis_holding(self.sources, addressed).values()]
        for group in sorted({g for eni in found for g in security_groups(eni)}):
            self.spawn(read_group, self.sources, group)

    def _ingress_side(self) -> None:
        if self._alb.result():  # an ALB front door: no ingress controller Pod on the path
            return
        settings = self.settings
        pods = self.sources.kube.list("pods", settings.ingress_namespace, settings.ingress_selector)
        controllers = [p for p in pods if is_ready(p)]
        names = list(
            dict.fromkeys(str(dig(p, "spec", "nodeName")) for p in controllers if dig(p, "spec", "nodeName"))
        )
        for name in names:
            self.spawn(self._node, name)
        if names:  # with Flannel the Pods' way out and the route to their nodes start from a node's vSwitch
            self.spawn(self._node_way_out, names[0], "")
        views: list[Future[Any]] = []
        for pod in controllers:
            views.append(self._pool.submit(contextvars.copy_context().run, self._view, pod))
        for future in views:
            view = future.result()
            if view is not None and view.location is not None and view.location.service_name:
                self._service(view, controllers)
                return

    def _view(self, pod: Obj) -> Any:
        from ackwb.steps.ecs.result import ControllerPod

        controller = ControllerPod(
            namespace=pod["metadata"]["namespace"],
            name=pod["metadata"]["name"],
            node=dig(pod, "spec", "nodeName") or "",
            pod_ip=dig(pod, "status", "podIP") or "",
            host_network=bool(dig(pod, "spec", "hostNetwork")),
            ready=True,
        )
        try:
            return read_view(self.sources, controller, self.domain, self.client.path or "/")
        except AckwbError:
            return None

    def _node(self, name: str) -> None:
        node_object(self.sources, self.cluster(), name)

    def _service(self, view: Any, controllers: list[Obj]) -> None:
        location, kube = view.location, self.sources.kube
        namespace, name = location.namespace or "", location.service_name or ""
        if location.ingress_name:
            self.spawn(kube.get, "ingresses", location.ingress_name, namespace)
        backend = view.backend
        if backend is not None and backend.service_type == "ExternalName":  # nginx goes out itself
            self.spawn(self.sources.dns.resolve, str(backend.external_name or "").rstrip("."), "A")
            going_out = [str(dig(c, "status", "podIP")) for c in controllers if dig(c, "status", "podIP")]
            self.spawn(self._egress, going_out)
            kube.get("services", name, namespace)
            return
        balanced = [a for a in (e.rpartition(":")[0] for e in view.endpoints) if is_ip_address(a)]
        if balanced or not view.endpoints:  # not an ExternalName's outside host: no Pod to guard
            self.spawn(self._policies, namespace, view.controller)
        self.spawn(self._egress, balanced)  # the Pod IPs nginx balances over: their way out starts now
        obj = kube.get("services", name, namespace)
        if obj is None:
            return
        cluster_ip = str(dig(obj, "spec", "clusterIP") or "")
        balanced = [address for address in balanced if address != cluster_ip]  # not with service-upstream
        dns_name = f"{name}.{namespace}.svc.{self.settings.cluster_domain}"
        self.spawn(self.sources.dns.resolve_in_cluster, dns_name, "A")
        self.spawn(read_selected_pods, self.sources, namespace, obj)
        port = next(
            (p for p in dig(obj, "spec", "ports") or [] if str(p.get("port")) == location.service_port
             or p.get("name") == location.service_port), None,
        )  # fmt: skip
        if port is not None and cluster_ip not in ("", "None"):
            nodes = {str(dig(c, "spec", "nodeName")) for c in controllers if dig(c, "spec", "nodeName")}
            for node in sorted(nodes):
                self.spawn(self._rules, node, cluster_ip, int(port["port"]), str(port.get("protocol", "TCP")))
        selector = f"kubernetes.io/service-name={name}"
        slices = kube.list("endpointslices", namespace, label_selector=selector)
        if not balanced:  # service-upstream: the Pods are the Service's ready endpoints
            ready = [
                e
                for s in slices
                for e in s.get("endpoints") or []
                if (e.get("conditions") or {}).get("ready", True)
            ]
            self.spawn(self._egress, sorted({a for e in ready for a in e.get("addresses") or []}))
        for found in slices:
            for endpoint in found.get("endpoints") or []:
                target = endpoint.get("targetRef") or {}
                if target.get("kind") == "Pod" and target.get("name"):
                    self.spawn(kube.get, "pods", target["name"], namespace)
                if endpoint.get("nodeName"):
                    self.spawn(self._mode_of, str(endpoint["nodeName"]))
                    self.spawn(
                        self._node_way_out,
                        str(endpoint["nodeName"]),
                        str(dig(controllers[0], "spec", "nodeName") or ""),
                    )

    def _policies(self, namespace: str, controller: Any) -> None:
        """What the Pod step weighs NetworkPolicy with, where the plugin may enforce it."""
        if self.cluster().plugin.policy == "not enforced":
            return
        self.sources.kube.list("networkpolicies", namespace)
        self.sources.kube.get("pods", controller.name, controller.namespace)
        self.sources.kube.get("namespaces", controller.namespace)
