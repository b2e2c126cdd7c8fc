"""The overview's answers, from the loaded world's trace: how this cluster is built (against the
other built-in designs), and the questions a newcomer asks once the path is drawn.

- how the packet gets from the controller's node to the Pod's node (``lessons.crossing``);
- which source address the Pod sees, and where the client's address goes (``Trace.packets``);
- where TLS ends (the listener's protocol, the Ingress's tls section, the certificate);
- what ``dnsPolicy: ClusterFirstWithHostNet`` means for a controller on the host network.

Each answer is Markdown built from the trace's facts, every world value escaped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from ackwb.errors import AckwbError
from ackwb.model import Path, Trace
from ackwb.render.html import markdown_text as md
from ackwb.render.lessons import crossing
from ackwb.sources import Sources
from ackwb.steps.ecs.result import NodeResult
from ackwb.steps.ingress.result import IngressResult
from ackwb.steps.pod.result import PodResult

AXES = (
    "network plugin",
    "NetworkPolicy",
    "kube-proxy mode",
    "load balancer",
    "backends",
    "externalTrafficPolicy",
    "ingress controller",
)


def _cell(value: str) -> str:
    return md(value).replace("|", "\\|") if value else "—"


def design_table(loaded: str, trace: Trace, designs: Mapping[str, Sequence[Mapping[str, str]]]) -> str:
    """A Markdown table: this trace's design record beside every built-in design's records (one
    {axis: value} per load balancer, several values joined by " / "; ``Workbook.design_records()``).
    ``loaded`` names the world the trace is from."""
    ours = {row["axis"]: row["this cluster"] for row in trace.design.rows}
    names = list(designs)
    header = ["axis", f"this path ({loaded})", *names]
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    for axis in AXES:
        cells = [axis, ours.get(axis, "")]
        for name in names:
            values = [record[axis] for record in designs[name] if axis in record]
            cells.append(" / ".join(dict.fromkeys(_short(axis, v) for v in values)))
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def _short(axis: str, value: str) -> str:
    """A load balancer's kind without its name: the designs are compared, not their objects."""
    return value.split(" ")[0] if axis == "load balancer" else value


# --- the open questions -------------------------------------------------------------------------


def node_to_pod(trace: Trace) -> str:
    pod = trace.step("pod")
    if not isinstance(pod, PodResult):
        return "The trace did not reach a Pod, so no hop between nodes was followed."
    return crossing(pod, trace.design.network, heading=False)


def source_address(trace: Trace) -> str:
    """Where the client's address is kept, where it is replaced, and what the Pod sees."""
    packets = [p for p in trace.packets if p["path"] == Path.REQUEST.value]
    if not packets:
        return "The trace has no packet view for the request (it stopped before the load balancer)."
    client = trace.client.ip or "client"
    lines = [f"The request starts from {_who(client)}. Hop by hop, what each rewrite does:", ""]
    lost = ""
    for before, p in zip([None, *packets], packets, strict=False):
        if p["rewrite"]:
            lines.append(f"- {md(p['what'])}: {md(p['rewrite'])} ({md(p['arrives'])} ⇒ {md(p['leaves'])})")
        if lost:
            continue
        if _src(p["arrives"]) == client and _src(p["leaves"]) != client:
            lost = p["what"]
        elif before is not None and _src(before["leaves"]) == client and _src(p["arrives"]) != client:
            lost = before["what"]  # the hop before opened a connection of its own
    pods = [p for p in packets if p["hop"] == "pod"]
    seen = sorted({_src(p["arrives"]) for p in pods})
    lines.append("")
    if not pods:
        lines.append("The request reached no Pod, so no Pod sees it.")
    elif seen == [client]:
        lines.append(f"The Pod sees the client's own address ({md(client)}): nothing replaced it.")
    else:
        lines.append(
            f"The Pod sees the connection come from **{md(', '.join(seen))}**, not from the client: the "
            f"client's address was replaced at {md(lost or 'a hop on the way')}."
        )
        if any("X-Forwarded-For" in p["rewrite"] for p in packets):
            lines.append(
                "The client's address still travels in the X-Forwarded-For header (and X-Real-IP), where "
                "the application can read it; a firewall or security group in front of the Pod sees only "
                "the address above."
            )
    return "\n".join(lines)


def _src(packet: str) -> str:
    """The source address of ``src:port → dst``, without its port."""
    return re.sub(r":(\*|\d+)$", "", packet.split(" → ")[0])


def _who(client: str) -> str:
    return "an internet client (no address given)" if client == "client" else f"client {md(client)}"


def tls_end(trace: Trace) -> str:
    """At the load balancer (an HTTPS listener and its certificate), or in nginx (the Ingress's tls
    section, or the controller's default certificate); or no TLS at all on a plain HTTP port."""
    ing = trace.step("ingress")
    hops = ing.hops if isinstance(ing, IngressResult) else []
    nginx_tls = next((dict(h.details)["tls"] for h in hops if "tls" in dict(h.details)), "")
    redirect = isinstance(ing, IngressResult) and ing.answered and ing.nginx and ing.nginx.status == 308
    lines: list[str] = []
    if trace.design.tls:
        lines.append(f"On port {trace.client.port}, TLS {md(trace.design.tls)}.")
    elif trace.client.port != 443:
        lines.append(
            f"This request is plain HTTP on port {trace.client.port}: no TLS on the way. Run the notebook "
            "with port = 443 to see where TLS ends for this host."
        )
    if nginx_tls:
        lines.append(f"TLS then {md(nginx_tls)}.")
    if redirect:
        lines.append(
            "nginx answers this port-80 request itself with a 308 redirect to HTTPS (the host has TLS and "
            "ssl-redirect is on): the request ends there and is never proxied."
        )
    codes = sorted({f.code for f in trace.findings if f.code == "INGRESS_DEFAULT_CERTIFICATE"})
    if codes:
        lines.append(f"The findings above say what that means for clients ({md(', '.join(codes))}).")
    if not lines:
        lines.append("The trace did not reach a listener, so where TLS ends is not known.")
    return "\n\n".join(lines)


def cluster_dns(trace: Trace, policies: Mapping[str, str]) -> str:
    """What ``dnsPolicy`` means for the serving controllers: only host-network ones need
    ``ClusterFirstWithHostNet`` to resolve Service names. ``policies``: Pod name → its dnsPolicy
    as read ("" when it could not be read)."""
    nodes = trace.step("ecs")
    controllers = nodes.controller_pods if isinstance(nodes, NodeResult) else []
    if not controllers:
        return "The trace reached no ingress controller Pod."
    host = [c for c in controllers if c.host_network]
    if not host:
        return (
            "The controllers have Pod IPs of their own (not the host network): with the default dnsPolicy "
            "(ClusterFirst) they ask cluster DNS (kube-dns) like any Pod and resolve Service names. "
            "ClusterFirstWithHostNet matters only for Pods on the host network."
        )
    lines = [
        "The controllers run on the host network. A host-network Pod with the default dnsPolicy "
        "(ClusterFirst) falls back to the node's own /etc/resolv.conf, where names such as "
        "svc.namespace.svc.cluster.local do not resolve; ClusterFirstWithHostNet sends its lookups to "
        "cluster DNS (kube-dns) instead. ingress-nginx learns Pod IPs from the Kubernetes API, not from "
        "DNS, so the request path does not depend on it; an ExternalName backend, and the by-hand check "
        "`curl SERVICE.NAMESPACE:PORT` from the controller Pod, do.",
        "",
    ]
    for pod in host:
        policy = policies.get(pod.name, "")
        if policy == "ClusterFirstWithHostNet":
            verdict = "resolves Service names through cluster DNS"
        elif policy:
            verdict = "uses the node's resolv.conf: Service names do not resolve from it"
        else:
            verdict = "its dnsPolicy could not be read"
        lines.append(f"- {md(pod.name)}: dnsPolicy {md(policy or 'not read')}, so it {verdict}.")
    return "\n".join(lines)


def read_dns_policies(sources: Sources, trace: Trace) -> dict[str, str]:
    """The dnsPolicy of each controller Pod the trace met on the host network ("" when unread)."""
    nodes = trace.step("ecs")
    found: dict[str, str] = {}
    for pod in nodes.controller_pods if isinstance(nodes, NodeResult) else []:
        if not pod.host_network:
            continue
        try:
            obj = sources.kube.get("pods", pod.name, pod.namespace) or {}
        except AckwbError:
            obj = {}
        spec = obj.get("spec") if isinstance(obj, dict) else None
        found[pod.name] = str(spec.get("dnsPolicy") or "") if isinstance(spec, dict) else ""
    return found
