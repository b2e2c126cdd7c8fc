"""The ingress-nginx controller's rendered /etc/nginx/nginx.conf.

The text follows the controller template of the v1.12 generation (``*_by_lua_file``, plain
``set`` lines for the redirect settings, unquoted ``server_name`` and ``location``
arguments) and is re-indented the way the controller's ``cleanConf`` does it: leading
blanks dropped, one tab per open brace, runs of empty lines collapsed into one empty line
that still carries the indentation. Which servers and locations exist, in which order and
with which modifier comes from ``ingress_controller`` (the controller's rules); each location
gets its Ingress's annotations as ``tools.fixtures.ingress_nginx_annotations`` renders them
(allow/deny, return, rewrite, grpc_pass, the Host header, timeouts). The dynamic backends are
``nginx_backends``'.
"""

from __future__ import annotations

from pathlib import Path

from tools.demo_world.design import Design
from tools.demo_world.ingress_controller import DEFAULT_UPSTREAM, Location
from tools.demo_world.ingress_controller import servers as controller_servers
from tools.demo_world.model import IngressRule
from tools.fixtures.ingress_nginx_annotations import annotate, before_location, server_lines

GENERATION = "v1.12"

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


SUPPORTED = {  # annotations the generator renders (tools.fixtures.ingress_nginx_annotations)
    "service-upstream", "use-regex", "rewrite-target", "whitelist-source-range", "denylist-source-range",
    "permanent-redirect", "permanent-redirect-code", "temporal-redirect", "backend-protocol",
    "upstream-vhost", "proxy-connect-timeout", "proxy-send-timeout", "proxy-read-timeout",
    "ssl-redirect", "force-ssl-redirect", "canary", "canary-weight", "canary-weight-total",
    "canary-by-header", "canary-by-header-value", "canary-by-cookie",
}  # fmt: skip
DEFAULT_PASS = "proxy_pass http://upstream_balancer;"


def _flat(text: str) -> str:
    """Template text without its indentation (``clean_conf`` re-indents every line)."""
    return "\n".join(line.strip() for line in text.split("\n"))


def _head(loc: Location, regex: bool) -> str:
    modifier = loc.modifier(regex)
    if modifier == "~*":
        return f'location ~* "^{loc.path}" {{'
    return f"location = {loc.path} {{" if modifier == "=" else f"location {loc.path} {{"


def _location(loc: Location, regex: bool) -> str:
    """One location as the v1.12 template renders it, with its Ingress's annotations applied."""
    rule, ann = loc.rule, loc.rule.nginx_annotations
    unknown = sorted(set(ann) - SUPPORTED)
    if unknown:
        raise ValueError(f"Ingress {rule.key}: the generator does not render {unknown}")
    text = template(
        "location",
        namespace=rule.namespace,
        ingress=rule.name,
        service=loc.service,
        port=loc.port,
        upstream=loc.upstream,
        ssl_redirect=ann.get("ssl-redirect", "true"),
    )
    text = text.replace("location / {", _head(loc, regex), 1)
    text = text.replace('set $location_path  "/";', f'set $location_path  "{loc.ingress_path}";', 1)
    if ann.get("force-ssl-redirect") == "true":
        text = text.replace('set $force_ssl_redirect "false";', 'set $force_ssl_redirect "true";', 1)
    annotated = dict(ann)
    annotated.pop("service-upstream", None)
    if not set(annotated) - {"ssl-redirect", "force-ssl-redirect"}:
        return text
    body = annotate(_flat(text), loc.path, loc.path_type, rule.namespace, rule.name, annotated, GENERATION)
    if loc.default_backend:  # buildProxyPass: the default backend is always proxied over plain HTTP
        for scheme in (
            "grpc_pass grpc://",
            "grpc_pass grpcs://",
            "proxy_pass https://",
            "proxy_pass $scheme://",
        ):
            body = body.replace(f"{scheme}upstream_balancer;", DEFAULT_PASS)
    before = before_location(loc.path, loc.path_type, annotated, GENERATION)
    return "\n".join(before) + "\n" + body if before else body


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


def servers(d: Design, rules: list[IngressRule]) -> str:
    catch_all = template(
        "location",
        namespace="",
        ingress="",
        service="",
        port="",
        upstream=DEFAULT_UPSTREAM,
        ssl_redirect="false",
    )
    blocks = [_server("_", catch_all)]
    for server in controller_servers(rules, d.ingress_created):
        regex = server.regex
        extra = server_lines(server.host, [loc.rule.nginx_annotations for loc in server.locations])
        text = "\n".join(extra) + "\n" if extra else ""
        text += "".join(_location(loc, regex) for loc in server.locations)
        blocks.append(_server(server.host, text))
    return "".join(blocks)


def nginx_conf(d: Design, rules: list[IngressRule] | None = None) -> str:
    """The rendered nginx.conf for these Ingress objects (default: the design's)."""
    rules = list(d.ingresses) if rules is None else rules
    return clean_conf("\n" + template("head") + servers(d, rules) + "\n" + template("tail"))
