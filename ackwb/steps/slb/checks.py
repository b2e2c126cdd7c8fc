"""The SLB step's judgements: whether the listener's ACL lets the client in (and which entry
decides), whether the listener runs, whether the server group has healthy backends, and
whether ECS backends use the NodePort of the Service the load balancer was made for.

They work on the records common to CLB and NLB; ``result.api`` says which actions the
evidence quotes and which ``aliyun`` command checks a finding by hand. An NLB's security
groups, its counterpart of the CLB ACL, are judged in ``slb_security_groups``.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from ackwb.errors import SourceError
from ackwb.model import Edge, Finding, Hop, Severity, Verdict
from ackwb.sources import Sources
from ackwb.steps.common import cloud_evidence, details, dig, kube_evidence, sh, source_finding
from ackwb.steps.slb.records import AclEntry, Backend, Listener
from ackwb.steps.slb.result import LoadBalancerResult

LB_ID_LABEL = "service.k8s.alibaba/loadbalancer-id"  # written by ACK's cloud-controller-manager


def listener_hop(result: LoadBalancerResult, listener: Listener) -> str:
    return f"listener:{result.load_balancer_id}:{listener.port}"


def acl_decision(listener: Listener, client_ip: str) -> tuple[bool, AclEntry | None]:
    """Whether the listener's ACL lets ``client_ip`` in, and the entry that decides."""
    address = ipaddress.ip_address(client_ip)
    match = next(
        (e for e in listener.acl_entries if address in ipaddress.ip_network(e.cidr, strict=False)), None
    )
    if not listener.acl_on or not listener.acl_entries:
        return True, None  # an empty white or black list lets everything through
    if listener.acl_type == "white":
        return match is not None, match
    return match is None, match


def acl_finding(result: LoadBalancerResult, li: Listener, hop_id: str, region: str) -> Verdict:
    """Add the ACL finding for a listener and the client; returns the listener's verdict for it:
    ok, blocked, or "depends on the client" when no client address was given."""
    entries = "; ".join(str(e) for e in li.acl_entries)
    evidence = (
        cloud_evidence(
            "slb",
            "DescribeAccessControlListAttribute",
            f"AclId={li.acl_id} AclEntrys.AclEntry",
            [{"AclEntryIP": e.cidr, "AclEntryComment": e.comment} for e in li.acl_entries],
        ),
        cloud_evidence(
            "slb", "DescribeLoadBalancerListeners", f"Listeners[ListenerPort={li.port}]", li.summary
        ),
    )
    check = f"aliyun slb DescribeAccessControlListAttribute --RegionId {sh(region)} --AclId {sh(li.acl_id)}"
    client_ip = result.client.ip
    if client_ip is None:
        if not li.acl_entries:  # an empty white or black list lets everything through
            return Verdict.OK
        if li.acl_type == "white":
            message = f"Listener {li.port} admits only {entries} (whitelist ACL {li.acl_id}); "
            message += "it refuses every other client. Give a client IP to get a verdict."
        else:
            message = f"Listener {li.port} refuses {entries} (blacklist ACL {li.acl_id}) and admits "
            message += "every other client. Give a client IP to get a verdict."
        result.findings.append(
            Finding("LB_ACL_LIMITS_SOURCES", Severity.INFO, hop_id, message, evidence, check)
        )
        return Verdict.DEPENDS
    allowed, entry = acl_decision(li, client_ip)
    decided_by = f"entry {entry}" if entry else f"it matches none of {entries}"
    if allowed:
        message = f"Client {client_ip} may use listener {li.port}: {decided_by}."
        result.findings.append(
            Finding("LB_ACL_ALLOWS_CLIENT", Severity.INFO, hop_id, message, evidence, check)
        )
        return Verdict.OK
    message = f"The {li.acl_type}list ACL {li.acl_id} on listener {li.port} refuses client {client_ip}: "
    message += f"{decided_by}."
    result.findings.append(Finding("LB_ACL_DENIES_CLIENT", Severity.ERROR, hop_id, message, evidence, check))
    if li is result.listener:
        result.dead_end = result.dead_end or message
    return Verdict.BLOCKED


HEALTH_VERDICTS = {"normal": Verdict.OK, "unavailable": Verdict.OK, "abnormal": Verdict.BLOCKED}
HEALTH_WORDS = {
    "normal": "healthy",
    "unavailable": "not checked (health check off or not finished): receives traffic",
    "abnormal": "fails its health check: receives no traffic",
    "unknown": "health not reported",
}


def backend_verdict(backend: Backend) -> Verdict:
    """Only backends the load balancer reports healthy carry traffic; unreported health is unknown."""
    return HEALTH_VERDICTS.get(backend.health, Verdict.UNKNOWN)


def add_backends(result: LoadBalancerResult, region: str, raw: list[dict[str, Any]], health: Any) -> None:
    """Draw the backends and say when the server group is empty or unhealthy."""
    listener, api = result.listener, result.api
    assert listener is not None
    hop = listener_hop(result, listener)
    group = listener.server_group_id
    for b in result.backends:
        result.hops.append(
            Hop(
                b.hop_id,
                "backend",
                f"backend {b.server_ip}:{b.port}\n{b.type} {b.server_id}",
                verdict=backend_verdict(b),
                details=details(
                    type=b.type, id=b.server_id, weight=b.weight, health=HEALTH_WORDS.get(b.health, b.health)
                ),
                arrives=result.to_backend(b),
            )
        )
        result.edges.append(Edge(hop, b.hop_id, group))
    result.evidence.append(cloud_evidence(api.product, api.group, api.group_locator.format(group=group), raw))
    locator = api.health_locator.format(port=listener.port, listener=listener.listener_id)
    health_evidence = cloud_evidence(api.product, api.health, locator, health)
    result.evidence.append(health_evidence)
    check = api.check(
        api.health_command, region=region, lb=result.load_balancer_id, listener=listener.listener_id
    )
    abnormal = [b for b in result.backends if b.health == "abnormal"]
    if not result.backends:
        message = (
            f"Server group {group} of listener {listener.port} has no backend: the load balancer has "
            "nowhere to send the request."
        )
        group_check = api.check(api.group_command, region=region, group=group)
        result.findings.append(
            Finding("LB_SERVER_GROUP_EMPTY", Severity.ERROR, hop, message, (), group_check)
        )
        result.dead_end = result.dead_end or f"server group {group} has no backend"
    elif len(abnormal) == len(result.backends):
        message = (
            f"Every backend of {group} fails its health check, so listener {listener.port} drops requests."
        )
        finding = Finding("LB_BACKENDS_UNHEALTHY", Severity.ERROR, hop, message, (health_evidence,), check)
        result.findings.append(finding)
        result.dead_end = result.dead_end or f"every backend of {group} is unhealthy"


def check_node_ports(sources: Sources, result: LoadBalancerResult, raw: list[dict[str, Any]]) -> None:
    """ECS backends receive on a NodePort: it must be the NodePort of the Service behind the load balancer."""
    listener, api = result.listener, result.api
    backends = [b for b in result.backends if b.type == "ecs"]
    if listener is None or not backends:
        return
    try:
        services = sources.kube.list("services", label_selector=f"{LB_ID_LABEL}={result.load_balancer_id}")
    except SourceError as error:
        result.findings.append(source_finding(error, result.hop_id, "the Service of the load balancer"))
        return
    if not services:
        return
    service = services[0]
    namespace, name = service["metadata"]["namespace"], service["metadata"]["name"]
    port = next((p for p in dig(service, "spec", "ports") or [] if p.get("port") == listener.port), None)
    node_port = port.get("nodePort") if port else None
    if node_port is None:
        return
    port_evidence = kube_evidence("services", namespace, name, f"spec.ports[port={listener.port}]", port)
    check = (
        f"kubectl -n {sh(namespace)} get service {sh(name)} -o jsonpath="
        f"'{{.spec.ports[?(@.port=={listener.port})].nodePort}}'"
    )
    wrong = [b for b in backends if b.port != node_port]
    for b in wrong:
        item = next(
            (r for r in raw if r.get("ServerId") == b.server_id and int(r.get("Port", 0)) == b.port), {}
        )
        message = (
            f"Backend {b.server_ip}:{b.port} (ECS {b.server_id}) receives listener {listener.port}'s traffic "
            f"on port {b.port}, but Service {namespace}/{name} exposes port {listener.port} on NodePort "
            f"{node_port}: nothing on the node listens on {b.port}."
        )
        locator = api.group_locator.format(group=listener.server_group_id) + f"[ServerId={b.server_id}]"
        evidence = (cloud_evidence(api.product, api.group, locator, item), port_evidence)
        result.findings.append(
            Finding("LB_NODEPORT_MISMATCH", Severity.ERROR, b.hop_id, message, evidence, check)
        )
    if wrong and len(wrong) == len(backends):
        result.dead_end = result.dead_end or (
            f"listener {listener.port} of {result.load_balancer_name} sends to NodePort {wrong[0].port}, but "
            f"Service {namespace}/{name} listens on NodePort {node_port}"
        )


def listener_stopped(result: LoadBalancerResult, li: Listener, hop_id: str, region: str) -> None:
    message = (
        f"Listener {li.port} of {result.load_balancer_name} is {li.status}, not running: "
        "the load balancer refuses connections on that port."
    )
    api = result.api
    evidence = (cloud_evidence(api.product, api.listeners, f"Listeners[ListenerPort={li.port}]", li.summary),)
    check = api.check(api.listeners_command, region=region, lb=result.load_balancer_id)
    result.findings.append(Finding("LB_LISTENER_STOPPED", Severity.ERROR, hop_id, message, evidence, check))
    result.dead_end = result.dead_end or f"listener {li.port} of {result.load_balancer_name} is {li.status}"
