"""Ingress ↔ ALB rule drift: the forwarding rules the ALB Ingress controller should have made
from the Ingresses, compared with the rules the listener really has.

How an Ingress becomes rules, from the public controller (alibaba/alibaba-load-balancer-controller,
``model_build_listener_rules.go``, ``group_loader.go``, ``model_build_server_group.go``; ACK's
managed controller may differ in details): the Ingresses of an AlbConfig are ordered by the
``alb.ingress.kubernetes.io/order`` annotation (default 10), then by namespace/name; each
path of each rule becomes one forwarding rule with priorities 1, 2, 3… in that order, named
``rule-<port>-<priority>``. Its conditions are Host ``[host]`` (when the rule has a host) and
Path: ``Exact`` and ``ImplementationSpecific`` paths as written; ``Prefix`` ``/`` as ``/*``;
another ``Prefix`` path ``p`` as ``p`` and ``p/*`` (trailing ``/`` dropped), or ``~*p`` when the
Ingress has ``use-regex`` or ``rewrite-target``. It forwards to the server group made for the
backend Service and port (tagged ``ingress.k8s.alibaba/service_ns``, ``/service_name``,
``/service_port``; named ``<namespace>-<service>-<port>``). With ``ssl-redirect`` the action on a
non-443 listener is a redirect to HTTPS. Canary Ingresses add weighted groups to the main
Ingress's rule instead of rules of their own; ``actions.<service>`` annotations replace the
forward action. On an HTTPS listener only hosts listed under ``tls`` (or Ingresses without
``tls``) get rules; on HTTP listeners only hosts not listed there, unless ``ssl-redirect`` or
``listen-ports`` is set.

Only hosts, paths and backends are compared, not priorities or names:

- ``ALB_INGRESS_RULE_MISSING`` (error): an Ingress path has no rule with its host and paths.
- ``ALB_RULE_BACKEND_DRIFT`` (error): the rule exists but forwards elsewhere.
- ``ALB_RULE_WITHOUT_INGRESS`` (warning): a rule that no Ingress explains.
Pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ackwb.model import Evidence, Finding, Severity
from ackwb.parse.alb_groups import AlbServerGroup
from ackwb.parse.alb_rules import AlbListener, AlbRule
from ackwb.parse.ingresses import IngressRecord, read_ingresses

ORDER = "alb.ingress.kubernetes.io/order"
USE_REGEX = "alb.ingress.kubernetes.io/use-regex"
REWRITE = "alb.ingress.kubernetes.io/rewrite-target"
LISTEN_PORTS = "alb.ingress.kubernetes.io/listen-ports"
ACTIONS = "alb.ingress.kubernetes.io/actions."  # + the Service name: custom actions replace the forward
# the controller reads these under either name (GetStringAnnotationMutil)
SSL_REDIRECT = ("alb.ingress.kubernetes.io/ssl-redirect", "nginx.ingress.kubernetes.io/ssl-redirect")
CANARY = ("alb.ingress.kubernetes.io/canary", "nginx.ingress.kubernetes.io/canary")
DEFAULT_ORDER = 10


@dataclass(frozen=True)
class ExpectedRule:
    """One forwarding rule an Ingress path asks the controller for."""

    ingress: IngressRecord
    host: str
    paths: tuple[str, ...]
    service: str
    port: str
    index: tuple[int, int]
    forward_checked: bool  # False: the action is not a plain forward (custom actions, ssl-redirect)

    @property
    def locator(self) -> str:
        rule, path = self.index
        return f"{self.ingress.key} spec.rules[{rule}].http.paths[{path}]"


def _annotation(ingress: IngressRecord, *keys: str) -> str:
    return next((ingress.annotations[k].strip() for k in keys if ingress.annotations.get(k)), "")


def path_patterns(path: str, path_type: str, ingress: IngressRecord) -> tuple[str, ...]:
    """The Path condition values the controller writes for one Ingress path."""
    if path_type != "Prefix":
        return (path,)
    if path == "/":
        return ("/*",)
    rewrite, regex = _annotation(ingress, REWRITE), _annotation(ingress, USE_REGEX)
    if (rewrite and rewrite != path) or (regex and regex != path):
        return ("~*" + path,)
    bare = path.rstrip("/")
    return (bare, bare + "/*")


def controller_order(ingresses: Sequence[IngressRecord]) -> list[IngressRecord]:
    def order(ingress: IngressRecord) -> tuple[int, str]:
        text = _annotation(ingress, ORDER)
        return (int(text) if text.lstrip("-").isdigit() else DEFAULT_ORDER, ingress.key)

    return sorted(ingresses, key=order)


def _on_listener(ingress: IngressRecord, host: str, listener: AlbListener | None) -> bool:
    if listener is None or not host:
        return True
    if _annotation(ingress, *SSL_REDIRECT) == "true" or LISTEN_PORTS in ingress.annotations:
        return True
    tls = {h for h, _ in ingress.tls_hosts}
    if listener.protocol.upper() == "HTTPS":
        return not ingress.tls_hosts or host in tls
    return host not in tls


def expected_rules(ingresses: Sequence[Any], listener: AlbListener | None = None) -> list[ExpectedRule]:
    """The rules the Ingress objects (as the API returns them) ask for, in the controller's order."""
    found = []
    for ingress in controller_order(read_ingresses(list(ingresses))):
        if _annotation(ingress, *CANARY) == "true":
            continue
        custom = any(key.startswith(ACTIONS) for key in ingress.annotations)
        redirect = _annotation(ingress, *SSL_REDIRECT) == "true" and (
            listener is None or listener.port != 443
        )
        for p in ingress.paths:
            if p.service is None or not _on_listener(ingress, p.host, listener):
                continue
            patterns = path_patterns(p.path, p.path_type, ingress)
            found.append(
                ExpectedRule(
                    ingress,
                    p.host.lower(),
                    patterns,
                    p.service,
                    p.port,
                    p.index,
                    forward_checked=not (custom or redirect),
                )
            )
    return found


def _values(rule: AlbRule, kind: str) -> frozenset[str]:
    values = [v for c in rule.conditions if c.type == kind for v in c.values]
    return frozenset(v.lower() for v in values) if kind == "Host" else frozenset(values)


def _targets(
    rule: AlbRule, groups: dict[str, AlbServerGroup]
) -> list[tuple[str, tuple[str, str, str] | None]]:
    action = rule.terminal
    if action is None or action.type != "ForwardGroup":
        return []
    return [
        (t.server_group_id, groups[t.server_group_id].service() if t.server_group_id in groups else None)
        for t in action.groups
        if t.weight != 0
    ]


def _serves(
    expected: ExpectedRule, target: tuple[str, tuple[str, str, str] | None], groups: dict[str, AlbServerGroup]
) -> bool:
    group_id, service = target
    ns = expected.ingress.namespace
    if service is not None:
        same_port = service[2] == expected.port or not expected.port.isdigit()
        return service[0] == ns and service[1] == expected.service and same_port
    group = groups.get(group_id)
    return group is not None and group.name == f"{ns}-{expected.service}-{expected.port}"


def ingress_rule_drift(
    ingresses: Sequence[Any],
    rules: Sequence[AlbRule],
    groups: Sequence[AlbServerGroup] = (),
    listener: AlbListener | None = None,
    hop: str = "alb",
) -> list[Finding]:
    """Drift between the Ingresses (raw objects of the ALB class) and the listener's rules."""
    by_id = {g.server_group_id: g for g in groups}
    requests = [r for r in rules if r.direction.lower() != "response"]
    claimed: set[str] = set()
    found: list[Finding] = []
    for want in expected_rules(ingresses, listener):
        hosts = frozenset({want.host}) if want.host else frozenset()
        rule = next(
            (r for r in requests if _values(r, "Host") == hosts and _values(r, "Path") == set(want.paths)),
            None,
        )
        shown = f"host {want.host or '(any)'} path {' or '.join(want.paths)}"
        where = Evidence(
            "kube:ingresses", want.locator, f"{want.host or '*'} {want.paths} → {want.service}:{want.port}"
        )
        if rule is None:
            found.append(
                Finding(
                    "ALB_INGRESS_RULE_MISSING",
                    Severity.ERROR,
                    hop,
                    f"Ingress {want.ingress.key} asks for a rule on {shown} → {want.service}:"
                    f"{want.port}, but no forwarding rule of the listener has that host and path.",
                    (where,),
                )
            )
            continue
        claimed.add(rule.rule_id)
        targets = _targets(rule, by_id)
        if want.forward_checked and not any(_serves(want, t, by_id) for t in targets):
            goes = ", ".join(f"{gid} ({'/'.join(s) if s else 'no Service tags'})" for gid, s in targets)
            found.append(
                Finding(
                    "ALB_RULE_BACKEND_DRIFT",
                    Severity.ERROR,
                    hop,
                    f"Ingress {want.ingress.key} sends {shown} to {want.service}:{want.port}, but rule "
                    f"{rule.label} forwards to {goes or 'no server group'}.",
                    (where, Evidence("alb:ListRules", f"{rule.locator} {rule.rule_id}", rule.json())),
                )
            )
    for rule in requests:
        if rule.rule_id not in claimed:
            found.append(
                Finding(
                    "ALB_RULE_WITHOUT_INGRESS",
                    Severity.WARNING,
                    hop,
                    f"Rule {rule.label} ({'; '.join(c.describe() for c in rule.conditions)}) comes "
                    "from no Ingress: it was added by hand or is left over, and the controller may "
                    "remove it.",
                    (Evidence("alb:ListRules", f"{rule.locator} {rule.rule_id}", rule.json()),),
                )
            )
    return found
