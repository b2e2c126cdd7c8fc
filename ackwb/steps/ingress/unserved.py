"""Step 4's dead ends: a host the controller has no server block for (and which Ingress, if any,
asks for it), a path no location takes (the default backend's 404), and a server block that
could not be read or understood (unknown). Kept apart from the step that follows a served request.
"""

from __future__ import annotations

from ackwb.errors import SourceError
from ackwb.model import Edge, Evidence, Finding, Hop, Path, Severity, Verdict
from ackwb.sources import Sources, commands
from ackwb.steps.common import dig, sh, source_finding
from ackwb.steps.ingress.checks import class_not_served, class_verdicts, close_hosts
from ackwb.steps.ingress.objects import object_findings
from ackwb.steps.ingress.result import IngressResult

NOT_RENDERED_BECAUSE = ("INGRESS_WITHOUT_CLASS",)  # object findings that say why a host has no server


def no_server_block(sources: Sources, result: IngressResult) -> IngressResult:
    """No server block for the host: say whether any Ingress asks for it at all."""
    assert result.controller is not None
    try:
        ingresses = sources.kube.list("ingresses")
    except SourceError:
        ingresses = []
    claimed = [
        i for i in ingresses if any(r.get("host") == result.domain for r in dig(i, "spec", "rules") or [])
    ]
    names = ", ".join(f"{i['metadata']['namespace']}/{i['metadata']['name']}" for i in claimed)
    hop_id = f"ingress:{result.domain}"
    check = (
        f"kubectl -n {sh(result.controller.namespace)} exec {sh(result.controller.name)} -- "
        f"grep -n {sh('start server ' + result.domain)} {sh(commands.NGINX_CONF)}"
    )
    absent = Evidence(
        f"{result.controller.name}: {commands.NGINX_CONF}",
        f"## start server {result.domain}",
        "(no such marker: no server block for the host)",
    )
    across = object_findings(sources, result.domain, result.controller, hop_id, ingresses)
    why = [f for f in across if f.code in NOT_RENDERED_BECAUSE and f.severity is Severity.ERROR]
    why += [f for f in across if f.code == "INGRESS_CANARY_WITHOUT_MAIN" and claimed]
    finding = why[0] if why else None
    if finding is None and claimed:
        finding = class_not_served(sources, class_verdicts(sources, claimed), result.domain)
    if finding is None and claimed:
        message = (
            f"Ingress {names} asks for host {result.domain}, but controller {result.controller.name} has "
            "no server block for it: the controller is out of sync (check its logs)."
        )
        finding = Finding("INGRESS_NOT_RENDERED", Severity.ERROR, hop_id, message, (absent,), check)
    elif finding is None:
        similar = close_hosts(result.domain, ingresses)
        hint = f" Ingress hosts that look alike: {', '.join(similar)} (a typo?)." if similar else ""
        message = (
            f"No Ingress in any namespace has a rule for host {result.domain}; the controller sends the "
            f"request to its default backend (404).{hint}"
        )
        finding = Finding("INGRESS_NO_RULE_FOR_HOST", Severity.ERROR, hop_id, message, (absent,), check)
    result.hops.append(Hop(hop_id, "ingress", f"no server block\n{result.domain}", verdict=Verdict.BLOCKED))
    for view in result.views:
        if view.block is None:
            result.edges.append(Edge(view.controller.hop_id, hop_id, f"Host: {result.domain}"))
    result.findings.append(finding)
    result.findings += [f for f in across if f is not finding]
    result.dead_end = finding.message
    return result


def default_backend(result: IngressResult) -> IngressResult:
    assert result.controller is not None
    hop_id = f"ingress:{result.domain}"
    message = (
        f"No location of the {result.domain} server block matches path {result.path}; the request goes "
        "to the default backend (404)."
    )
    result.hops.append(
        Hop(hop_id, "ingress", f"default backend\n{result.domain}{result.path}", verdict=Verdict.BLOCKED)
    )
    for view in result.views:
        if view.block is not None and view.route == (None, None, None) or view.location == result.location:
            result.edges.append(Edge(view.controller.hop_id, hop_id, f"Host: {result.domain}"))
    block = result.server_block
    locations = [f"{loc.modifier} {loc.path}".strip() for loc in block.locations] if block else []
    evidence = (
        Evidence(
            f"{result.controller.name}: {commands.NGINX_CONF} (server {result.domain})",
            "location",
            ", ".join(locations) or "(none)",
        ),
    )
    check = (
        f"kubectl -n {sh(result.controller.namespace)} exec {sh(result.controller.name)} -- "
        f"grep -n 'location ' {sh(commands.NGINX_CONF)}"
    )
    result.findings.append(
        Finding("INGRESS_NO_RULE_FOR_PATH", Severity.ERROR, hop_id, message, evidence, check)
    )
    result.dead_end = message
    return result


def unknown(result: IngressResult, error: SourceError, what: str) -> IngressResult:
    assert result.controller is not None
    hop_id = f"ingress:{result.domain}"
    result.hops.append(Hop(hop_id, "ingress", result.domain, verdict=Verdict.UNKNOWN))
    result.edges.append(Edge(result.controller.hop_id, hop_id, f"Host: {result.domain}"))
    result.findings.append(source_finding(error, hop_id, what))
    result.dead_end = f"could not read {what}"
    return result


def unreadable(result: IngressResult, reason: str) -> IngressResult:
    assert result.controller is not None
    hop_id = f"ingress:{result.domain}"
    result.hops.append(Hop(hop_id, "ingress", result.domain, verdict=Verdict.UNKNOWN, path=Path.REQUEST))
    result.findings.append(Finding("INGRESS_CONFIG_UNREADABLE", Severity.WARNING, hop_id, reason))
    result.dead_end = reason
    return result
