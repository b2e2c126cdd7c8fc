"""Read ALB listeners and forwarding rules (``ListListeners``, ``ListRules``) into records.

Field names are the wire names of ``alibabacloud_alb20200616`` (1.3.3): a rule has ``RuleId``,
``RuleName``, ``Priority`` (1–10000, smaller first, unique per listener), ``RuleStatus``
(Provisioning, Configuring, Available), ``Direction`` (Request, the default, or Response),
``RuleConditions[]`` (``Type`` plus ``HostConfig``/``PathConfig``/``MethodConfig``/
``SourceIpConfig``/``ResponseStatusCodeConfig`` ``.Values``, ``HeaderConfig``/
``ResponseHeaderConfig`` ``.Key`` + ``.Values``, ``QueryStringConfig``/``CookieConfig``
``.Values[]`` of ``Key``/``Value``) and ``RuleActions[]`` (``Type``, ``Order`` and one config:
``ForwardGroupConfig.ServerGroupTuples[]`` with ``ServerGroupId`` and ``Weight`` 0–100,
``RedirectConfig`` with ``Protocol``/``Host``/``Port``/``Path``/``Query``/``HttpCode``,
``FixedResponseConfig`` with ``Content``/``ContentType``/``HttpCode``, ``RewriteConfig``,
``InsertHeaderConfig``, ``RemoveHeaderConfig``, ``TrafficMirrorConfig``, ``TrafficLimitConfig``,
``CorsConfig``). A listener's ``DefaultActions[]`` forward to one server group (the SDK model
has no weight there). Each record keeps the JSON it came from, for evidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ackwb.parse.json_fields import Fields

RULES = Fields("alb:ListRules")
LISTENERS = Fields("alb:ListListeners")
# Condition type → the config that holds its values.
CONFIGS = {
    "Host": "HostConfig", "Path": "PathConfig", "Method": "MethodConfig", "SourceIp": "SourceIpConfig",
    "Header": "HeaderConfig", "Cookie": "CookieConfig", "QueryString": "QueryStringConfig",
    "ResponseHeader": "ResponseHeaderConfig", "ResponseStatusCode": "ResponseStatusCodeConfig",
}  # fmt: skip
PAIRED = ("Cookie", "QueryString")  # Values[] of {Key, Value}
KEYED = ("Header", "ResponseHeader")  # Key plus Values[]
TERMINAL = ("ForwardGroup", "Redirect", "FixedResponse")  # each rule has exactly one of these


@dataclass(frozen=True)
class AlbCondition:
    type: str
    values: tuple[str, ...] = ()  # Host, Path, Method, SourceIp, Header, ResponseStatusCode values
    key: str = ""  # Header / ResponseHeader
    pairs: tuple[tuple[str, str], ...] = ()  # Cookie / QueryString (Key, Value); Key may be ""
    locator: str = ""

    def describe(self) -> str:
        if self.type in PAIRED:
            shown = " or ".join(f"{k}={v}" if k else v for k, v in self.pairs)
        else:
            shown = " or ".join(self.values)
        return f"{self.type} {self.key + ' ' if self.key else ''}{shown}".strip()


@dataclass(frozen=True)
class GroupTuple:
    server_group_id: str
    weight: int | None  # None: not in the answer (listener default actions)


@dataclass(frozen=True)
class AlbAction:
    type: str
    order: int
    config: dict[str, Any]  # the action's own config object, as returned
    groups: tuple[GroupTuple, ...] = ()  # ForwardGroup / TrafficMirror
    sticky: bool = False  # ForwardGroupConfig.ServerGroupStickySession.Enabled
    locator: str = ""

    def get(self, name: str, default: str = "") -> str:
        value = self.config.get(name)
        return default if value is None or value == "" else str(value)


@dataclass(frozen=True)
class AlbRule:
    rule_id: str
    name: str
    priority: int
    status: str
    direction: str  # Request or Response
    listener_id: str
    conditions: tuple[AlbCondition, ...]
    actions: tuple[AlbAction, ...]  # in Order
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    locator: str = ""

    @property
    def label(self) -> str:
        return f"{self.name or self.rule_id} (priority {self.priority})"

    @property
    def terminal(self) -> AlbAction | None:
        return next((a for a in self.actions if a.type in TERMINAL), None)

    def json(self) -> str:
        return json.dumps(self.raw, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True)
class AlbListener:
    listener_id: str
    load_balancer_id: str
    port: int
    protocol: str  # HTTP, HTTPS, QUIC
    status: str
    default_actions: tuple[AlbAction, ...]
    raw: dict[str, Any] = field(repr=False, compare=False, default_factory=dict)
    locator: str = ""

    @property
    def scheme(self) -> str:
        return "http" if self.protocol.upper() == "HTTP" else "https"

    def json(self) -> str:
        return json.dumps(self.raw, ensure_ascii=False, sort_keys=True)


def _condition(fields: Fields, obj: dict[str, Any], where: str) -> AlbCondition:
    kind = fields.text(obj.get("Type"), f"{where}.Type")
    config_name = CONFIGS.get(kind)
    if config_name is None:
        raise fields.fail(f"{where}.Type", f"unknown condition type {kind!r} ({', '.join(CONFIGS)})")
    here = f"{where}.{config_name}"
    config = fields.obj(obj.get(config_name), here)
    if kind in PAIRED:
        pairs = tuple(
            (fields.text(v.get("Key"), f"{at}.Key"), fields.text(v.get("Value"), f"{at}.Value"))
            for at, v in fields.objs(config.get("Values"), f"{here}.Values")
        )
        return AlbCondition(kind, pairs=pairs, locator=where)
    key = fields.text(config.get("Key"), f"{here}.Key") if kind in KEYED else ""
    return AlbCondition(kind, fields.texts(config.get("Values"), f"{here}.Values"), key, locator=where)


def _action(fields: Fields, obj: dict[str, Any], where: str, default_order: int) -> AlbAction:
    kind = fields.text(obj.get("Type"), f"{where}.Type")
    order = fields.number(obj.get("Order"), f"{where}.Order", default_order) or default_order
    config_name = f"{kind}Config"  # ForwardGroupConfig, RedirectConfig, FixedResponseConfig, …
    config = fields.obj(obj.get(config_name), f"{where}.{config_name}")
    groups: list[GroupTuple] = []
    sticky = False
    if kind in ("ForwardGroup", "TrafficMirror"):
        holder = config if kind == "ForwardGroup" else fields.obj(config.get("MirrorGroupConfig"), where)
        for at, t in fields.objs(holder.get("ServerGroupTuples"), f"{where}.{config_name}.ServerGroupTuples"):
            group = fields.text(t.get("ServerGroupId"), f"{at}.ServerGroupId")
            groups.append(GroupTuple(group, fields.number(t.get("Weight"), f"{at}.Weight")))
        stick = fields.obj(config.get("ServerGroupStickySession"), f"{where}.ServerGroupStickySession")
        sticky = fields.flag(stick.get("Enabled"), f"{where}.ServerGroupStickySession.Enabled")
    return AlbAction(kind, order, config, tuple(groups), sticky, where)


def read_rule(obj: Any, locator: str = "Rules[0]", fields: Fields = RULES) -> AlbRule:
    """One item of ``ListRules``' ``Rules``."""
    rule = fields.obj(obj, locator)
    rule_id = fields.text(rule.get("RuleId"), f"{locator}.RuleId")
    if not rule_id:
        raise fields.fail(locator, "has no RuleId")
    priority = fields.number(rule.get("Priority"), f"{locator}.Priority")
    if priority is None:
        raise fields.fail(locator, f"rule {rule_id} has no Priority")
    found = fields.objs(rule.get("RuleConditions"), f"{locator}.RuleConditions")
    conditions = tuple(_condition(fields, c, at) for at, c in found)
    listed = fields.objs(rule.get("RuleActions"), f"{locator}.RuleActions")
    actions = [_action(fields, a, at, i + 1) for i, (at, a) in enumerate(listed)]
    return AlbRule(
        rule_id=rule_id,
        name=fields.text(rule.get("RuleName"), f"{locator}.RuleName"),
        priority=priority,
        status=fields.text(rule.get("RuleStatus"), f"{locator}.RuleStatus"),
        direction=fields.text(rule.get("Direction"), f"{locator}.Direction") or "Request",
        listener_id=fields.text(rule.get("ListenerId"), f"{locator}.ListenerId"),
        conditions=conditions,
        actions=tuple(sorted(actions, key=lambda a: a.order)),
        raw=rule,
        locator=locator,
    )


def read_rules(body: Any) -> list[AlbRule]:
    """Every rule of a ``ListRules`` answer (or of a plain list of rules), in the answer's order."""
    items = body.get("Rules") if isinstance(body, dict) else body
    return [read_rule(rule, at) for at, rule in RULES.objs(items, "Rules")]


def read_listener(obj: Any, locator: str = "Listeners[0]", fields: Fields = LISTENERS) -> AlbListener:
    """One item of ``ListListeners``' ``Listeners`` (or a ``GetListenerAttribute`` answer)."""
    listener = fields.obj(obj, locator)
    listener_id = fields.text(listener.get("ListenerId"), f"{locator}.ListenerId")
    if not listener_id:
        raise fields.fail(locator, "has no ListenerId")
    listed = fields.objs(listener.get("DefaultActions"), f"{locator}.DefaultActions")
    actions = tuple(_action(fields, a, at, i + 1) for i, (at, a) in enumerate(listed))
    return AlbListener(
        listener_id=listener_id,
        load_balancer_id=fields.text(listener.get("LoadBalancerId"), f"{locator}.LoadBalancerId"),
        port=fields.number(listener.get("ListenerPort"), f"{locator}.ListenerPort", 0) or 0,
        protocol=fields.text(listener.get("ListenerProtocol"), f"{locator}.ListenerProtocol") or "HTTP",
        status=fields.text(listener.get("ListenerStatus"), f"{locator}.ListenerStatus"),
        default_actions=actions,
        raw=listener,
        locator=locator,
    )


def read_listeners(body: Any) -> list[AlbListener]:
    items = body.get("Listeners") if isinstance(body, dict) else body
    return [read_listener(listener, at) for at, listener in LISTENERS.objs(items, "Listeners")]
