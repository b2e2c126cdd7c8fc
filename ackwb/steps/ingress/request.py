"""The request as nginx sees it, and what nginx does with it before (or instead of) proxying.

The earlier hops decide what arrives: the port (a host-network controller's backend port, or
the targetPort a NodePort leads to), the scheme (plain HTTP when the load balancer ended TLS,
else the client's), the peer address (the client's when every hop kept it, a node's after a
masquerade, the load balancer's after a layer-7 listener). nginx then answers some requests
itself — plain HTTP sent to an ``ssl`` port (400), ssl-redirect (308), an allow/deny rule
(403), a redirect annotation, basic auth (401) — and rewrites others before it proxies them
(``ackwb.steps.nginx_request`` evaluates the rendered directives in nginx's phase order).
When nginx answers, the path ends at an "answer" hop with the status: a redirect is an
answer, not a failure; a refusal blocks.
"""

from __future__ import annotations

import shlex
from dataclasses import replace
from typing import Any

from ackwb.errors import AckwbError
from ackwb.model import Edge, Evidence, Finding, Hop, Severity, Verdict
from ackwb.parse.common import is_ip_address
from ackwb.parse.nginx_access import ClientAddress, remote_addr
from ackwb.parse.nginx_directives import ServerDirectives, read_server_directives
from ackwb.sources import commands
from ackwb.steps.common import details, dig, sh
from ackwb.steps.ecs.result import NodeResult
from ackwb.steps.ingress.result import ControllerView, IngressResult
from ackwb.steps.nginx_request import NginxOutcome, NginxRequest, evaluate_request
from ackwb.steps.slb.result import LoadBalancerResult

REDIRECTS = (301, 302, 303, 307, 308)
# nginx's 503 for a dynamic backend that is missing or empty: the Ingress step has said so, and why
# there is no endpoint is the Service's and the Pods' story, not nginx's
SAID_BY_THE_BACKENDS = ("INGRESS_BACKEND_MISSING", "INGRESS_BACKEND_NO_ENDPOINTS")


def evaluate(result: IngressResult, view: ControllerView, ingresses: list[dict[str, Any]]) -> None:
    """Evaluate the request in the first controller's server block; draw nginx's answer, or the
    upstream request, on the Ingress hop."""
    lb, nodes = result.earlier("slb"), result.earlier("ecs")
    if not isinstance(lb, LoadBalancerResult) or not isinstance(nodes, NodeResult) or view.block is None:
        return
    source = f"{view.controller.name}: {commands.NGINX_CONF} (server {result.domain})"
    try:
        server = read_server_directives(view.text, result.domain, source)
    except AckwbError as error:
        result.findings.append(
            Finding("INGRESS_CONFIG_UNREADABLE", Severity.WARNING, result.hop_id, str(error))
        )
        return
    port, scheme = _arriving(lb, nodes, view)
    tls_answer = _plain_http_to_tls_port(result, server, port, scheme, source)
    if tls_answer is not None:
        _answer(result, tls_answer)
        return
    certificate = _certificate(result.domain, ingresses)
    if scheme == "https":
        _tls_in_nginx(result, ingresses, certificate)
    request = NginxRequest(
        host=result.domain,
        path=result.path,
        scheme=scheme,
        port=port or lb.client.port,
        headers=dict(lb.client.headers),
        client=_client_address(lb, nodes, view, server),
        certificate=certificate,
    )
    try:
        backends = view.backends if view.backends_read else None  # unread: not known, never empty
        outcome = evaluate_request(server, request, None, backends, source)
    except AckwbError as error:
        result.findings.append(Finding("NGINX_NOT_EVALUATED", Severity.WARNING, result.hop_id, str(error)))
        return
    result.nginx = outcome
    for note in outcome.notes:
        result.findings.append(Finding(note.code, note.severity, result.hop_id, note.message, note.evidence))
    if outcome.kind == "answered" and outcome.status is not None:
        _answer(result, outcome)
    elif outcome.kind == "depends":
        _mark(result, Verdict.DEPENDS, outcome.sentence)
    elif outcome.upstream is not None:
        up = outcome.upstream
        _detail(result, upstream_request=f"{up.protocol} {up.path}, Host: {up.host_header}")


def _arriving(lb: LoadBalancerResult, nodes: NodeResult, view: ControllerView) -> tuple[int, str]:
    """The port and scheme the request reaches the controller with."""
    branch = next((b for b in nodes.branches if view.controller in b.controllers), None)
    port = branch.controller_port if branch else 0
    listener = lb.listener
    scheme = "http" if listener is not None and listener.terminates_tls else lb.client.url_scheme
    return port, scheme


def _client_address(
    lb: LoadBalancerResult, nodes: NodeResult, view: ControllerView, server: ServerDirectives
) -> ClientAddress:
    """``$remote_addr``: the source of the packet the controller receives, through nginx's realip."""
    hop = next((h for h in nodes.hops if h.id == view.controller.hop_id), None)
    src = (hop.arrives.src if hop and hop.arrives else "").removesuffix(":*")
    peer = src if is_ip_address(src) else None
    how = (
        f"the packet arrives from {src}"
        if peer
        else f"the packet arrives from {src or 'an address not known'} (no single address)"
    )
    return remote_addr(None, server, peer, how)


def _certificate(host: str, ingresses: list[dict[str, Any]]) -> bool | None:
    """Whether an Ingress names a TLS certificate for ``host`` (None: the Ingresses were not read)."""
    if not ingresses:
        return None
    return any(host in (t.get("hosts") or []) for i in ingresses for t in dig(i, "spec", "tls") or [])


def _tls_in_nginx(result: IngressResult, ingresses: list[dict[str, Any]], certificate: bool | None) -> None:
    """TLS passes the load balancer and ends in nginx: with the host's certificate (an Ingress
    ``tls`` section names its Secret, which ackwb never reads) or nginx's default fake one."""
    if certificate is None:
        _detail(result, tls="ends in nginx; the Ingresses naming certificates could not be read")
        return
    if certificate:
        secrets = sorted(
            f"{dig(i, 'metadata', 'namespace')}/{t.get('secretName')}"
            for i in ingresses
            for t in dig(i, "spec", "tls") or []
            if result.domain in (t.get("hosts") or [])
        )
        _detail(result, tls=f"ends in nginx, with the certificate of Secret {', '.join(secrets)} (not read)")
        return
    _detail(result, tls="ends in nginx, with its default (fake) certificate")
    names = ", ".join(f"{dig(i, 'metadata', 'namespace')}/{dig(i, 'metadata', 'name')}" for i in ingresses)
    message = (
        f"TLS for {result.domain} passes the load balancer and ends in nginx, but no Ingress of the host "
        f"({names or 'none'}) has a tls section for it: nginx presents its default self-signed certificate "
        '("Kubernetes Ingress Controller Fake Certificate"), which clients refuse unless told to ignore it.'
    )
    evidence = tuple(
        Evidence(
            "kube:ingresses",
            f"{dig(i, 'metadata', 'namespace')}/{dig(i, 'metadata', 'name')} spec.tls",
            "(none)",
        )
        for i in ingresses
    )
    host = sh(result.domain)
    check = f"openssl s_client -connect {host}:443 -servername {host} </dev/null | grep subject"
    result.findings.append(
        Finding("INGRESS_DEFAULT_CERTIFICATE", Severity.WARNING, result.hop_id, message, evidence, check)
    )


def _plain_http_to_tls_port(
    result: IngressResult, server: ServerDirectives, port: int, scheme: str, source: str
) -> NginxOutcome | None:
    """nginx answers 400 when plain HTTP arrives on a port it listens on with ``ssl``."""
    if scheme != "http" or not port:
        return None
    listen = next(
        (d for d in server.listens if d.args and _port_of(d.args[0]) == port and "ssl" in d.args[1:]), None
    )
    if listen is None:
        return None
    evidence = Evidence(source, f"line {listen.line}", listen.raw)
    sentence = (
        f'answered by nginx: 400 ("The plain HTTP request was sent to HTTPS port"): the request reaches '
        f"nginx as plain HTTP on port {port}, where it listens with ssl"
    )
    code = "NGINX_PLAIN_HTTP_TO_TLS_PORT"
    return NginxOutcome(
        "answered", 400, None, code, evidence, sentence, None, (), None, ClientAddress(None, "")
    )


def _port_of(address: str) -> int:
    tail = address.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def _answer(result: IngressResult, outcome: NginxOutcome) -> None:
    """The request ends at nginx: an answer hop after the Ingress hop, ok for a redirect."""
    result.nginx = outcome
    status = outcome.status or 0
    verdict = Verdict.OK if status in REDIRECTS or 200 <= status < 300 else Verdict.BLOCKED
    if status == 401:
        verdict = Verdict.DEPENDS  # answered 401 without credentials: a client that has them gets in
    hop_id = f"answer:{result.domain}{result.path}"
    target = f"\n→ {outcome.redirect_to}" if outcome.redirect_to else ""
    source = result.hop_id if any(h.id == result.hop_id for h in result.hops) else ""
    result.hops.append(
        Hop(
            hop_id,
            "answer",
            f"nginx answers {status}{target}",
            verdict=verdict,
            details=details(why=outcome.sentence),
        )
    )
    if source:
        result.edges.append(Edge(source, hop_id, f"{status}"))
    evidence = ((outcome.decided_by,) if outcome.decided_by else ()) + outcome.also
    severity = Severity.INFO if verdict is not Verdict.BLOCKED else Severity.ERROR
    lb = result.earlier("slb")
    scheme = lb.client.url_scheme if isinstance(lb, LoadBalancerResult) else "http"
    url = f"{scheme}://{result.domain}{result.path}"
    check = "curl -s -o /dev/null -w '%{http_code} %{redirect_url}\\n' " + shlex.quote(url)
    code = outcome.code or "NGINX_ANSWERS"
    if code in SAID_BY_THE_BACKENDS:  # the empty backend's finding is there; the Service step says why
        return
    result.findings.append(Finding(code, severity, hop_id, outcome.sentence, evidence, check))
    if verdict is Verdict.BLOCKED:
        result.dead_end = result.dead_end or outcome.sentence


def _mark(result: IngressResult, verdict: Verdict, why: str) -> None:
    result.hops = [
        replace(h, verdict=verdict, details=(*h.details, ("nginx", why))) if h.id == result.hop_id else h
        for h in result.hops
    ]


def _detail(result: IngressResult, **values: str) -> None:
    extra = details(**values)
    result.hops = [
        replace(h, details=(*h.details, *extra)) if h.id == result.hop_id else h for h in result.hops
    ]
