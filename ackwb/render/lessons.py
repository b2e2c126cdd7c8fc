"""The branch a world takes, in words, for the section notebooks (03, 05, 06, 07, 08).

Each function reads a step result of the loaded world and returns Markdown that says which
branch of DESIGN.md section 7 this world's path takes, and why, with the world's own names and
rule lines: node ENI, NodePort or Pod IP backends; Pod IPs or the ClusterIP behind nginx;
kube-proxy's NodePort chain and where the masquerade happens; how the request crosses to the
Pod's node; how each Pod leaves for the internet. Nothing here is true of one world only: a
sentence appears because the result holds the fact. Every value from the world goes through
``markdown_text``, so a name can never become markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ackwb.model import Evidence, Hop, Path, Severity, StepResult
from ackwb.render.html import markdown_text as md
from ackwb.steps.ecs.result import Branch, NodeResult
from ackwb.steps.egress import EgressResult
from ackwb.steps.ingress.result import IngressResult
from ackwb.steps.kube_proxy import KubeProxyResult
from ackwb.steps.pod.result import PodResult
from ackwb.steps.service.result import ServiceResult

HEADING = "#### The branch this world takes"
_JUMP = re.compile(r"-A (\S+) .*?-j (\S+)")
_DNAT = re.compile(r"--to-destination (\S+)")
_NFT_GOTO = re.compile(r'"target": "([^"]+)"')
_NFT_DNAT = re.compile(r'"dnat": \{"addr": "([^"]+)", "port": (\d+)')


def _lines(parts: Iterable[str]) -> str:
    return "\n".join([HEADING, "", *parts])


def _code(value: object) -> str:
    """A world value shown as a name: escaped, in bold rather than a code span (which ``md`` escapes)."""
    return f"**{md(value)}**"


# --- 03: what the load balancer's backends are ------------------------------------------------


def backends(ecs: NodeResult) -> str:
    """Node ENIs, ECS instances on a NodePort (Local or Cluster), or Pod IPs; which carry requests."""
    if not ecs.branches:
        return _lines(["The trace did not reach the load balancer's backends, so no branch is known."])
    kinds = [k for k in ("node-eni", "nodeport", "pod") if any(b.kind == k for b in ecs.branches)]
    text = [_KIND_SENTENCES[k](ecs) for k in kinds]
    text += ["", "Backend by backend:", ""]
    text += [_backend_line(ecs, b) for b in ecs.branches]
    return _lines(text)


def _node_eni(ecs: NodeResult) -> str:
    return (
        "The backends are **node ENIs**: each server IP is a node's own address and the port is nginx's "
        "own, because the controller Pods run on the host network. No NodePort and no kube-proxy stand "
        "between the load balancer and nginx."
    )


def _nodeport(ecs: NodeResult) -> str:
    ports = sorted({b.backend.port for b in ecs.branches if b.kind == "nodeport"})
    service = f" of Service {_code(ecs.service)}" if ecs.service else ""
    policy = ecs.traffic_policy or "not read"
    sentence = (
        f"The backends are **ECS instances on NodePort {md(', '.join(map(str, ports)))}**{service}, with "
        f"externalTrafficPolicy **{md(policy)}**: kube-proxy on each backend node turns the NodePort into a "
        "controller Pod (step 6 shows the rule)."
    )
    if policy == "Local":
        sentence += (
            " With Local a node sends the request only to its own controller Pods and keeps the client's "
            "address; a node without a ready controller Pod fails the load balancer's health check on "
            "purpose, so it receives no traffic."
        )
    elif policy == "Cluster":
        sentence += (
            " With Cluster any controller Pod is a target, on this node or another one, and the node "
            "masquerades the packet to its own address: the controller sees the node, not the client. "
            "Every node passes the health check."
        )
    return sentence


def _pod(ecs: NodeResult) -> str:
    return (
        "The backends are **Pod IPs**: the server group holds the controller Pods' own addresses, so the "
        "load balancer reaches nginx directly, with no node, NodePort or kube-proxy in between."
    )


_KIND_SENTENCES = {"node-eni": _node_eni, "nodeport": _nodeport, "pod": _pod}


def _backend_line(ecs: NodeResult, branch: Branch) -> str:
    backend = branch.backend
    where = f" (node {md(branch.node.name)})" if branch.node else ""
    head = f"- {_code(f'{backend.server_ip}:{backend.port}')}{where}: "
    if not branch.carries:
        reason = _finding_for(ecs, f"backend:{backend.server_ip}:{backend.port}")
        why = md(reason or branch.why or "the load balancer sends it nothing")
        return head + f"receives no traffic: {why}"
    serving = [c.name for c in branch.controllers if c.ready]
    to = f"carries requests to {md(', '.join(serving))}" if serving else "carries requests"
    if branch.masquerade:
        to += ", masqueraded to the node's address on the way"
    return head + to + (f" ({md(branch.why)})" if branch.why else "")


def _finding_for(result: StepResult, hop_id: str) -> str:
    order = (Severity.ERROR, Severity.WARNING, Severity.INFO)
    found = sorted((f for f in result.findings if f.hop == hop_id), key=lambda f: order.index(f.severity))
    return found[0].message if found else ""


# --- 05: how nginx reaches the Pods -----------------------------------------------------------


def upstream(ing: IngressResult, svc: ServiceResult) -> str:
    """Pod IPs from the dynamic backends, or the ClusterIP with ``service-upstream``."""
    if ing.location is None:
        return _lines(["nginx has no location for this request, so it reaches no Service."])
    name = f"{svc.namespace}/{svc.name}" if svc.name else ing.service_name
    endpoints = ", ".join(ing.backend_endpoints) or "none"
    if ing.service_upstream:
        where = f"{svc.cluster_ip}:{svc.port.port}" if svc.port else svc.cluster_ip
        return _lines(
            [
                f"The Ingress carries `service-upstream: \"true\"`: nginx's only endpoint for "
                f"{_code(name)} is the ClusterIP {_code(where)} (it balances to {md(endpoints)}). nginx "
                "connects to the ClusterIP, and kube-proxy on the controller's node picks the Pod: the "
                "Service's virtual IP and step 6 are **on the request path**.",
            ]
        )
    ready = sorted(f"{e.address}:{svc.port.target_port}" for e in svc.ready_endpoints) if svc.port else []
    text = [
        f"nginx sends the request straight to **Pod IPs**: its dynamic backends for {_code(name)} list "
        f"{md(endpoints)}, taken from the Service's EndpointSlices. The ClusterIP {_code(svc.cluster_ip)} "
        "is **not on the request path**: it is the in-cluster path (a client inside the cluster calling "
        "the Service by name), which step 6 follows.",
    ]
    if svc.port and svc.port.target_port.isdigit():
        ours, theirs = set(ing.backend_endpoints), set(ready)
        if ours == theirs:
            text.append("")
            text.append("nginx's list and the ready endpoints of the EndpointSlices agree.")
        else:
            text += [
                "",
                f"nginx's list and the ready endpoints ({md(', '.join(ready) or 'none')}) differ: the "
                "controller has not caught up (the findings say which).",
            ]
    return _lines(text)


# --- 06: kube-proxy's rules: the NodePort hop and the ClusterIP -------------------------------


def kube_proxy(ecs: NodeResult | None, kp: KubeProxyResult, svc: ServiceResult) -> str:
    """The NodePort hop on the way in (per mode, with the masquerade) and the ClusterIP's rules."""
    text = ["**On the way in (the NodePort hop).** "]
    nodeports = [h for h in (ecs.hops if ecs else []) if h.kind == "nodeport"]
    if not nodeports:
        what = "node ENIs" if ecs and any(b.kind == "node-eni" for b in ecs.branches) else "Pod IPs"
        if ecs is None or not ecs.branches:
            text[0] += "The trace did not reach the backends."
        else:
            text[0] += (
                f"The load balancer's backends are {what}, not NodePorts: kube-proxy does not stand "
                "between the load balancer and nginx."
            )
    else:
        text[0] += (
            "The backends are NodePorts, so kube-proxy on each backend node sends the request on to a "
            "controller Pod. The rules it follows:"
        )
        text.append("")
        text += [_nodeport_line(ecs, hop) for hop in nodeports]
    text += ["", _cluster_ip_heading(svc), ""]
    if not kp.read:
        text.append("- no node's rules were read for the ClusterIP.")
    for node in kp.read:
        text.append(_cluster_ip_line(kp, node.node, node.node_ip, node.mode))
    return _lines(text)


def _nodeport_line(ecs: NodeResult, hop: Hop) -> str:
    node_ip = hop.arrives.dst.rsplit(":", 1)[0] if hop.arrives else ""
    chain = _rule_chain(_evidence_on(ecs.evidence, node_ip))
    mode = dict(hop.details).get("mode", "")
    head = f"- {md(hop.label.splitlines()[0])} ({md(mode or 'mode not read')}): "
    body = md(_join(chain)) if chain else md(hop.label.splitlines()[-1])
    rewrite = hop.rewrite or "nothing is forwarded"
    return f"{head}{body}. {md(rewrite)}."


def _cluster_ip_heading(svc: ServiceResult) -> str:
    where = f"{svc.cluster_ip}:{svc.port.port}" if svc.port else svc.cluster_ip
    on_path = "the in-cluster path"
    if svc.path_kind is Path.REQUEST:
        on_path = "on the request path: service-upstream"
    return f"**The Service's ClusterIP** {md(where)} ({on_path}):"


def _cluster_ip_line(kp: KubeProxyResult, node: str, node_ip: str, mode: str) -> str:
    rules = next(n for n in kp.read if n.node == node)
    head = f"- on {md(node)}, kube-proxy in **{md(mode or 'an unknown')}** mode: "
    if rules.virtual_service is not None:
        vs = rules.virtual_service
        real = ", ".join(f"{r.address}:{r.port} (weight {r.weight})" for r in vs.real_servers) or "none"
        head += f"IPVS virtual server {md(vs.raw.splitlines()[0].strip())}, real servers {md(real)}"
    elif rules.rules is not None:
        chain = _rule_chain(_evidence_on(kp.evidence, node_ip)) or [rules.rules.rule]
        head += md(_join(chain))
    else:
        head += "no rule was found for the ClusterIP (the findings say why)"
    return head + "."


def _join(chain: list[str]) -> str:
    """Steps joined by arrows; a note in parentheses follows as a sentence of its own."""
    steps = [c for c in chain if not c.startswith("(")]
    notes = [c for c in chain if c.startswith("(")]
    return " ".join([" → ".join(steps), *notes])


def _evidence_on(evidence: Iterable[Evidence], node_ip: str) -> list[Evidence]:
    """The rule lines read on one node (iptables-save or nft), in the order the step quoted them."""
    prefix = f"node {node_ip}: "
    rules = ("iptables-save", "nft")
    return [e for e in evidence if e.source.startswith(prefix) and any(r in e.source for r in rules)]


def _rule_chain(evidence: list[Evidence]) -> list[str]:
    """The way through the quoted rules, as steps: the chains a packet jumps through, then the
    endpoints one of which it is DNATed to. iptables: ``KUBE-NODEPORTS → KUBE-EXT-… → KUBE-SVL-… →
    one of: KUBE-SEP-… (DNAT 172.20.0.3:80)``; nftables: the map, its chains, the endpoint chains."""
    head: list[str] = []
    endpoints: dict[str, str] = {}
    masquerade = False

    def add(name: str) -> None:
        if name and name not in head and name not in endpoints:
            head.append(name)

    for e in evidence:
        if "iptables-save" in e.source:
            jump, dnat = _JUMP.search(e.excerpt), _DNAT.search(e.excerpt)
            if not jump:
                continue
            source, target = jump.groups()
            if target == "KUBE-MARK-MASQ":
                masquerade = True
            elif dnat:
                endpoints[source] = f"DNAT {dnat.group(1)}"
            elif target.startswith("KUBE-SEP-"):
                add(source)
                endpoints.setdefault(target, "")
            else:
                add(source)
                add(target)
        elif e.locator.startswith("map "):
            # kube-proxy's NodePort map is keyed by protocol . port only (no address)
            add("map service-nodeports" if '[null, "' in e.excerpt else e.locator)
            goto = _NFT_GOTO.search(e.excerpt)
            add(f"chain {goto.group(1)}" if goto else "")
        elif e.locator.startswith("chain "):
            address = _NFT_DNAT.search(e.excerpt)
            if address:
                endpoints[e.locator] = f"dnat {address.group(1)}:{address.group(2)}"
            else:
                add(e.locator)
    steps = head + (
        ["one of: " + ", ".join(f"{name} ({dnat})" if dnat else name for name, dnat in endpoints.items())]
        if endpoints
        else []
    )
    if masquerade:
        steps.append("(KUBE-MARK-MASQ marks packets from outside the Pod CIDR for masquerade)")
    return steps


# --- 07: how the request crosses to the Pod's node --------------------------------------------


def crossing(pod: PodResult, network: str, heading: bool = True) -> str:
    """Same node, Terway's VPC addresses, or Flannel's VPC route entry per node's Pod CIDR."""
    if not pod.pods:
        text = ["The trace reached no Pod, so there is no hop to cross."]
        return _lines(text) if heading else "\n".join(text)
    text = [f"This cluster's network plugin: **{md(network)}**. "]
    if network.startswith("Terway"):
        text[0] += (
            "A Pod IP is a VPC address held by an ENI, so the VPC routes a request from the controller's "
            "node to the Pod's node natively: no route entry per node is needed."
        )
    elif network.startswith("Flannel"):
        text[0] += (
            "Each node owns a Pod CIDR, and a Pod IP is not a VPC address: the VPC carries a packet to "
            "another node's Pod only through the custom route entry for that node's Pod CIDR (Pod CIDR → "
            "the node's ECS instance), which the cloud controller manager writes."
        )
    else:
        text[0] += "How Pod IPs cross nodes depends on it, and it was not read."
    text += ["", "Pod by Pod:", ""]
    for info in pod.pods:
        hop = next((h for h in pod.hops if h.id == info.hop_id), None)
        reached = dict(hop.details).get("reached", "not known") if hop else "not known"
        text.append(f"- {_code(info.name)} on {md(info.node or 'an unknown node')}: {md(reached)}")
    return _lines(text) if heading else "\n".join(text)


# --- 08: how each Pod leaves for the internet -------------------------------------------------


def egress(out: EgressResult) -> str:
    """Per vSwitch: the Pods, whether they keep their address or are masqueraded to the node's."""
    if not out.groups:
        return _lines(["No way out was followed (the findings say why)."])
    how = {e.src: e.label for e in out.edges if e.path is Path.EGRESS and e.src.startswith("pod:")}
    text = []
    for group in out.groups:
        ways = sorted({label for src, label in how.items() if src.split("/", 1)[-1] in group.pods})
        masq = [w.removeprefix("masquerade to ") for w in ways if w.startswith("masquerade to ")]
        own = [w.removeprefix("from ") for w in ways if w.startswith("from ")]
        pods = md(", ".join(group.pods))
        line = f"- vSwitch {_code(group.vswitch_id)} ({pods}): "
        if masq:
            line += (
                f"the node masquerades the Pods' traffic to the node's address {md(', '.join(masq))} "
                "(Flannel or the host network), so the node's vSwitch decides the way out"
            )
        if own:
            line += "; " if masq else ""
            line += (
                f"the Pods keep their own VPC address {md(', '.join(own))} (Terway: the address of an ENI), "
                "so the Pod's vSwitch decides the way out"
            )
        nat = group.nat_gateway_id or "no NAT gateway"
        eips = ", ".join(group.egress_ips) or "no EIP"
        line += f" → route table {md(group.route_table_id or '?')} → {md(nat)} → SNAT → {md(eips)}"
        line += "." if group.verdict.value == "ok" else f" ({md(group.verdict.value)})."
        text.append(line)
    if len(out.groups) > 1:
        text += ["", "Each vSwitch needs its own SNAT entry (or one for a CIDR that covers it): one group "
                 "getting out says nothing about the others."]  # fmt: skip
    return _lines(text)
