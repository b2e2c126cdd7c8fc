"""Step 4 when the front door is an ALB (host → Service by forwarding rules): the rule the request
matches, what its action does, and the server groups and servers a forward sends it to.

The ALB Ingress controller turns Ingresses into forwarding rules and server groups and then
stays off the data path: the ALB itself answers a redirect or a fixed response, or forwards to
server groups by weight. A group of type Ip holds Pod IPs (Terway): the ALB connects to the
Pods directly, with no node, NodePort or kube-proxy in between, so the Pod step follows those
addresses. A group of Ecs servers holds nodes on the Service's NodePort; kube-proxy on the node
forwards to a Pod. Which Service a group stands for is in the controller's tags (``service()``);
which Ingress and AlbConfig asked for the rule, and whether the rules drifted from them, is in
``alb_sync``. The result is an ``IngressResult`` so the Service and Pod steps follow it as they
follow nginx. Rule matching and findings are part 1's pure functions (``alb_rules``,
``alb_findings``).
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from ackwb.errors import SourceError
from ackwb.model import Edge, Finding, Hop, Packet, Severity, Verdict
from ackwb.parse.alb_groups import (
    NO_TRAFFIC,
    AlbServer,
    AlbServerGroup,
    GroupHealth,
    read_health,
    read_server_groups,
    read_servers,
)
from ackwb.parse.alb_rules import read_rules
from ackwb.sources import Sources
from ackwb.steps import alb_nodes
from ackwb.steps.alb_findings import group_findings, no_rule_findings
from ackwb.steps.alb_gateway import gateway_on_alb
from ackwb.steps.alb_result import AlbPathResult
from ackwb.steps.alb_rules import AlbMatch, AlbRequest, match_rule
from ackwb.steps.alb_sync import sync_findings
from ackwb.steps.cluster import Cluster, read_cluster
from ackwb.steps.common import cloud_evidence, cloud_items, details, settle_verdicts, sh, source_finding
from ackwb.steps.ecs import l4
from ackwb.steps.slb.result import LoadBalancerResult

TITLE = "4. Host → Service (ALB forwarding rules)"
PAGE = 100
POD_SERVER_TYPES = ("Ip", "Eni", "Eci")  # server addresses that are Pod IPs


def alb_path(
    sources: Sources, lb: LoadBalancerResult, path: str = "/", cluster: Cluster | None = None
) -> AlbPathResult:
    result = AlbPathResult(step="ingress", title=TITLE, domain=lb.domain, prev=lb, path=path or "/")
    front = lb.alb
    if lb.dead_end or front is None or front.listener is None:
        result.dead_end = lb.dead_end or "the ALB has no listener for the client's port"
        return result
    listener, region = front.listener, sources.settings.region
    listener_hop = f"listener:{lb.load_balancer_id}:{listener.port}"
    parts = urlsplit(result.path)
    request = AlbRequest(result.domain, parts.path or "/", parts.query, "GET", lb.client.headers,
                         lb.client.ip, listener.scheme, listener.port)  # fmt: skip
    query = {"ListenerIds": [listener.listener_id], "MaxResults": PAGE}
    try:
        rules = read_rules({"Rules": cloud_items(sources, "alb", "ListRules", query, "Rules")})
    except SourceError as error:
        result.rule_hop = f"alb-rules:{listener.listener_id}"
        result.hops.append(Hop(result.rule_hop, "ingress", "ALB rules ?", verdict=Verdict.UNKNOWN))
        result.edges.append(Edge(listener_hop, result.rule_hop, request.url))
        result.findings.append(source_finding(error, result.rule_hop, f"the rules of {listener.listener_id}"))
        result.dead_end = f"could not read the forwarding rules of {listener.listener_id}"
        return result
    match = result.match = match_rule(listener, rules, request)
    rule_id = match.identity[0] if match.rule is not None else "default"
    result.rule_hop = f"alb-rule:{listener.listener_id}:{rule_id}"
    _draw_rule(result, match, listener_hop, lb.client_text)
    result.findings.extend(no_rule_findings(match, result.rule_hop))
    if match.kind == "forward":
        _forward(sources, result, match, lb, cluster)
    else:
        _answer(result, match)
    sync_findings(sources, result, lb, rules)
    gateway_on_alb(sources, result, lb)  # a Gateway programmed on this ALB: its route rule beside the ALB's
    _checks(result, region, listener.listener_id)
    settle_verdicts(result)
    return result


def _checks(result: AlbPathResult, region: str, listener: str) -> None:
    """How to check each ALB finding by hand: the rules, or the health the ALB reports."""
    rules = f"aliyun alb ListRules --region {sh(region)} --ListenerIds.1 {sh(listener)}"
    health = (
        f"aliyun alb GetListenerHealthStatus --region {sh(region)} --ListenerId {sh(listener)} "
        "--IncludeRule true"
    )
    result.findings = [
        f if f.check or not f.code.startswith("ALB_") else replace(f, check=health if "GROUP" in f.code or
                                                                    "SERVERS" in f.code else rules)
        for f in result.findings
    ]  # fmt: skip


def _draw_rule(result: AlbPathResult, match: AlbMatch, listener_hop: str, client: str) -> None:
    rule = match.rule
    conditions = "; ".join(c.describe() for c in rule.conditions) if rule else ""
    label = f"ALB rule {rule.label}" if rule else "ALB default action"
    result.hops.append(Hop(
        result.rule_hop, "ingress", f"{label}\n{match.request.bare_host}{match.request.path}",
        details=details(rule=match.identity[0], conditions=conditions, does=match.sentence(),
                        notes="; ".join(match.outcome.notes),
                        tried="; ".join(f"{t.rule.label}: {t.reason}" for t in match.tried)),
        arrives=Packet(f"{client}:*", f"{match.request.bare_host}:{match.request.port}"),
    ))  # fmt: skip
    result.edges.append(Edge(listener_hop, result.rule_hop, match.request.url))
    result.evidence.extend(match.evidence)


def _answer(result: AlbPathResult, match: AlbMatch) -> None:
    """A redirect or fixed response: the ALB answers, the path ends here (a redirect is not broken)."""
    outcome = match.outcome
    status = outcome.status or 0
    verdict = Verdict.OK if 300 <= status < 400 or 200 <= status < 300 else Verdict.BLOCKED
    target = f" → {outcome.location}" if outcome.location else ""
    hop_id = f"answer:{result.domain}{result.path}"
    text = f"answered by the ALB: {status or '?'}{target}"
    label = f"ALB answers {status or '?'}" + (f"\n→ {outcome.location}" if outcome.location else "")
    result.hops.append(Hop(hop_id, "answer", label, verdict=verdict, details=details(why=match.sentence())))
    result.edges.append(Edge(result.rule_hop, hop_id, str(status or "")))
    severity = Severity.INFO if verdict is Verdict.OK else Severity.ERROR
    code = "ALB_ANSWERS" if outcome.kind in ("redirect", "fixed") else "ALB_NO_TERMINAL_ACTION"
    result.findings.append(Finding(code, severity, hop_id, f"{match.sentence()}: {text}.", match.evidence))
    if verdict is Verdict.BLOCKED:
        result.dead_end = text


def _forward(
    sources: Sources, result: AlbPathResult, match: AlbMatch, lb: LoadBalancerResult, cluster: Cluster | None
) -> None:
    wanted = [f.server_group_id for f in match.outcome.forward]
    listener = match.listener
    try:
        query = {"ServerGroupIds": wanted, "MaxResults": PAGE}
        raw = cloud_items(sources, "alb", "ListServerGroups", query, "ServerGroups")
        result.groups = read_server_groups({"ServerGroups": raw})
        for group in wanted:
            body = cloud_items(
                sources,
                "alb",
                "ListServerGroupServers",
                {"ServerGroupId": group, "MaxResults": PAGE},
                "Servers",
            )
            result.servers[group] = read_servers({"Servers": body}, group)  # fmt: skip
        health_query = {"ListenerId": listener.listener_id, "IncludeRule": True}
        health = read_health(sources.cloud.call("alb", "GetListenerHealthStatus", health_query))
    except SourceError as error:
        result.findings.append(source_finding(error, result.rule_hop, "the server groups of the rule"))
        result.dead_end = "could not read the server groups the rule forwards to"
        return
    for share in match.outcome.forward:
        group = next((g for g in result.groups if g.server_group_id == share.server_group_id), None)
        instances = _draw_group(
            result, match, share.server_group_id, share.weight, share.share, group, health
        )
        if instances and group is not None:  # ECS nodes on the NodePort: kube-proxy there, then the Pods
            alb_nodes.follow(sources, result, lb, cluster or read_cluster(sources), group, instances)
        service = group.service() if group else None
        if service is not None and share.share:
            result.shares.append((f"{service[0]}/{service[1]}", share.share))
    if len(result.shares) > 1:  # the rule hop says every Service that gets a share, not only the main one
        hop = next(i for i, h in enumerate(result.hops) if h.id == result.rule_hop)
        split = ", ".join(f"{name} {share:.0%}" for name, share in result.shares)
        result.hops[hop] = replace(
            result.hops[hop], details=result.hops[hop].details + details(services=split)
        )
    weightless = group_findings(match, {}, {}, result.rule_hop)
    result.findings.extend(f for f in weightless if f.code == "ALB_NO_WEIGHT")
    main = max(match.outcome.forward, key=lambda f: f.share, default=None)
    chosen = next((g for g in result.groups if main and g.server_group_id == main.server_group_id), None)
    service = chosen.service() if chosen else None
    if service is not None:
        result.namespace, result.service_name, result.service_port = service
        result.evidence.append(cloud_evidence("alb", "ListServerGroups", f"{chosen.locator}.Tags",
                                              chosen.tags))  # fmt: skip
    if not result.backend_endpoints and not any(h.kind == "node" for h in result.hops):
        result.dead_end = result.dead_end or "no server of the rule's server groups carries requests"
    elif not result.backend_endpoints and not l4.carrying(result.branches):
        result.dead_end = result.dead_end or "no node of the rule's server groups forwards to a ready Pod"


def _draw_group(result: AlbPathResult, match: AlbMatch, group_id: str, weight: int, share: float,
                group: AlbServerGroup | None, health: dict[str, GroupHealth],
                ) -> list[tuple[AlbServer, str]]:  # fmt: skip
    """Draw the group; the Ecs servers that carry requests, with their health state, for ``alb_nodes``."""
    hop_id = f"alb-group:{group_id}"
    servers = result.servers.get(group_id, [])
    one = replace(match, outcome=replace(match.outcome, forward=tuple(
        f for f in match.outcome.forward if f.server_group_id == group_id)))  # fmt: skip
    found = group_findings(one, {group_id: servers}, health, hop_id) if share else []
    result.findings.extend(f for f in found if f.code != "ALB_NO_WEIGHT")
    state = {s.key: health[group_id].state_of(s) if group_id in health else "Normal" for s in servers}
    carrying = [s for s in servers if s.weight and state[s.key] not in NO_TRAFFIC]
    kind = group.type if group else "?"
    service = "/".join(group.service() or ()) if group else ""
    result.hops.append(Hop(
        hop_id, "backend", f"server group {group.name if group else group_id}\n{kind}, {share:.0%}",
        details=details(id=group_id, type=kind, weight=weight, service=service,
                        servers=", ".join(f"{s.ip}:{s.port} {state[s.key]}" for s in servers) or "none",
                        carrying=len(carrying)),
    ))  # fmt: skip
    result.edges.append(Edge(result.rule_hop, hop_id, f"weight {weight} ({share:.0%})"))
    if not share:
        return []
    instances = []
    for server in carrying:
        if server.type in POD_SERVER_TYPES or kind == "Ip":
            result.backend_endpoints.append(f"{server.ip}:{server.port}")
        else:  # an ECS node on the Service's NodePort: kube-proxy there forwards to a Pod
            instances.append((server, state[server.key]))
    return instances
