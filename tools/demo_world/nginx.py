"""The ingress-nginx controller's files: the rendered /etc/nginx/nginx.conf and its dynamic backends.

The text follows the controller template of the v1.12 generation (``*_by_lua_file``, plain
``set`` lines for the redirect settings, unquoted ``server_name`` and ``location``
arguments) and is re-indented the way the controller's ``cleanConf`` does it: leading
blanks dropped, one tab per open brace, runs of empty lines collapsed into one empty line
that still carries the indentation. The backends are what ``/dbg backends all`` prints:
the JSON the controller POSTed to ``127.0.0.1:10246/configuration/backends``, indented
by two spaces, keys in the controller's struct order, endpoint ports as strings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tools.demo_world.design import Design
from tools.demo_world.model import IngressRule

TEMPLATES = Path(__file__).with_name("nginx_templates")


def template(name: str, **values: str) -> str:
    """A piece of the rendered config with its ``@NAME@`` placeholders filled in."""
    text = (TEMPLATES / f"{name}.conf").read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key.upper()}@", value)
    assert "@" not in text.replace("$request_uri", ""), f"unfilled placeholder in {name}.conf"
    return text


def clean_conf(text: str) -> str:
    """Re-indent like ingress-nginx's template writer."""
    out: list[str] = []
    depth, last_empty = 0, False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            if not last_empty:
                out.append("\t" * depth)
            last_empty = True
            continue
        code = line.split("#", 1)[0]
        out.append("\t" * (depth - 1 if line.startswith("}") else depth) + line)
        depth += code.count("{") - code.count("}")
        last_empty = False
    return "\n".join(out) + "\n"


def upstream_name(rule: IngressRule) -> str:
    return f"{rule.namespace}-{rule.service}-{rule.port}"


def _server(host: str, location: str) -> str:
    default = host == "_"
    listen = (
        "listen 80 default_server reuseport backlog=4096 ;\n"
        "listen 443 default_server reuseport backlog=4096 ssl;"
        if default
        else "listen 80  ;\nlisten 443  ssl;"
    )
    return "\n" + template(
        "server",
        host=host,
        listen=listen,
        location="\n" + location,
        reject_handshake="ssl_reject_handshake off;" if default else "",
        default_server_locations=template("default_server_locations") if default else "",
    )


def servers(rules: list[IngressRule]) -> str:
    catch_all = template(
        "location",
        namespace="",
        ingress="",
        service="",
        port="",
        upstream="upstream-default-backend",
        ssl_redirect="false",
    )
    blocks = [_server("_", catch_all)]
    for rule in sorted(rules, key=lambda r: r.host):
        location = template(
            "location",
            namespace=rule.namespace,
            ingress=rule.name,
            service=rule.service,
            port=str(rule.port),
            upstream=upstream_name(rule),
            ssl_redirect="true",
        )
        blocks.append(_server(rule.host, location))
    return "".join(blocks)


def nginx_conf(rules: list[IngressRule]) -> str:
    """The rendered nginx.conf for these Ingress rules."""
    return clean_conf("\n" + template("head") + servers(rules) + "\n" + template("tail"))


# -------------------------------------------------------------------------------------- backends
NO_AFFINITY = {"name": "", "mode": "", "cookieSessionAffinity": {"name": ""}}
NO_SHAPING = {
    "weight": 0,
    "weightTotal": 0,
    "header": "",
    "headerValue": "",
    "headerPattern": "",
    "cookie": "",
}


def _ready(pod: dict[str, Any]) -> bool:
    return any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"]["conditions"])


def _backend(d: Design, rule: IngressRule, pods: list[dict[str, Any]]) -> dict[str, Any]:
    svc = d.service(rule.namespace, rule.service)
    port = next(p for p in svc.ports if p.port == rule.port)
    if rule.service_upstream:
        endpoints = [{"address": svc.cluster_ip, "port": str(port.port)}]
    else:
        endpoints = [
            {"address": p["status"]["podIP"], "port": str(port.target_port)}
            for p in pods
            if p["metadata"]["namespace"] == svc.namespace
            and _ready(p)
            and all(p["metadata"]["labels"].get(k) == v for k, v in svc.selector.items())
        ]
    spec = {
        "ports": [
            {"name": port.name, "protocol": port.protocol, "port": port.port, "targetPort": port.target_port}
        ],
        "selector": dict(svc.selector),
        "clusterIP": svc.cluster_ip,
        "clusterIPs": [svc.cluster_ip],
        "type": "ClusterIP",
        "sessionAffinity": "None",
        "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "internalTrafficPolicy": "Cluster",
    }
    backend = {
        "name": upstream_name(rule),
        "service": {"metadata": {"creationTimestamp": None}, "spec": spec, "status": {"loadBalancer": {}}},
        "port": rule.port,
        "sslPassthrough": False,
        "endpoints": endpoints,
        "sessionAffinityConfig": NO_AFFINITY,
        "upstreamHashByConfig": {"upstream-hash-by-subset-size": 3},
        "noServer": False,
        "trafficShapingPolicy": NO_SHAPING,
    }
    if not endpoints:  # the controller leaves the key out when no endpoint is ready
        del backend["endpoints"]
    return backend


def backends_json(d: Design, pods: list[dict[str, Any]], rules: list[IngressRule] | None = None) -> str:
    """The dynamic backends for these Ingress rules (default: the design's): the ready Pods of each
    Service port, or its ClusterIP with service-upstream."""
    rules = list(d.ingresses) if rules is None else rules
    backends = [_backend(d, rule, pods) for rule in sorted(rules, key=upstream_name)]
    backends.append(
        {
            "name": "upstream-default-backend",
            "port": 0,
            "sslPassthrough": False,
            "endpoints": [{"address": "127.0.0.1", "port": "8181"}],
            "sessionAffinityConfig": NO_AFFINITY,
            "upstreamHashByConfig": {},
            "noServer": False,
            "trafficShapingPolicy": NO_SHAPING,
        }
    )
    return json.dumps(backends, indent=2) + "\n"
