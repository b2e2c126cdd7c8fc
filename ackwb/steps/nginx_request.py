"""What ingress-nginx does with one request inside the matched server block, in nginx's phase order.

Choosing the server block and location is not the end of the path: nginx may answer the
request itself (403 from ``whitelist-source-range``, 401 from ``auth-type: basic``,
301/302 from ``permanent-redirect``/``temporal-redirect``/``app-root``, 308 from
``ssl-redirect``, 503 from a denied location or a backend without endpoints) or change
it before proxying (``rewrite-target``, ``upstream-vhost``, ``grpc_pass``, canary).
``evaluate_request`` follows nginx's phases on the rendered directives (never on
annotations alone): server rewrite → find location (again after ``rewrite … last``) →
rewrite (the rewrite module in config order, then the Lua ssl-redirect and the Lua
balancer's 503) → preaccess (rate limits: named, never stopping a single request) →
access (``allow``/``deny``, then ``auth_basic`` and the ``auth_request`` gate, under
``satisfy``) → content (the upstream request). The outcome is ``answered`` (status,
Location, the deciding line), ``proxied`` (what the upstream receives), or ``depends``
(the client address or the host's certificate decides and was not given), with notes,
each with its evidence line. Pure: the ingress step reads the config and backends.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ackwb.errors import InputError
from ackwb.model import Evidence, Severity
from ackwb.parse.backends import Backend, find_backend
from ackwb.parse.canary import route_request
from ackwb.parse.nginx_access import ClientAddress, decide_access, effective_rules
from ackwb.parse.nginx_conf import Location, match_location
from ackwb.parse.nginx_directives import Directive, HttpSettings, LocationDirectives, ServerDirectives
from ackwb.parse.nginx_lua import balancer_miss, ssl_redirect
from ackwb.parse.nginx_outcome import (
    CanaryChoice,
    NginxNote,
    NginxOutcome,
    NginxRequest,
    UpstreamRequest,
    normalize_uri,
)
from ackwb.parse.nginx_rewrite import REDIRECT_CODES, Answer, RequestState, pcre, run_rewrite_module
from ackwb.parse.nginx_upstream import host_header, pass_target, rate_limits, timeouts

__all__ = [
    "CanaryChoice", "ClientAddress", "NginxNote", "NginxOutcome", "NginxRequest", "UpstreamRequest",
    "evaluate_request", "normalize_uri",
]  # fmt: skip
MAX_CYCLES = 10  # nginx stops "rewrite … last" loops after 10 rounds with a 500


class _Run:
    """One evaluation: the request state, the notes so far, what is still undecided."""

    def __init__(self, server: ServerDirectives, request: NginxRequest, source: str) -> None:
        self.server, self.request, self.source = server, request, source
        self.notes: list[NginxNote] = []
        self.pending: list[tuple[str, str, Directive | None]] = []  # (code, sentence, line)

    def evidence(self, *lines: Directive | None) -> tuple[Evidence, ...]:
        return tuple(Evidence(self.source, f"line {d.line}", d.raw) for d in lines if d is not None)

    def note(self, code: str, severity: Severity, message: str, *lines: Directive | None) -> None:
        self.notes.append(NginxNote(code, severity, message, self.evidence(*lines)))


def _answered(run: _Run, answer: Answer, code: str, sentence: str, location: Location | None) -> NginxOutcome:
    return _finish(
        run, "answered", answer.status, answer.location, code, answer.directive, sentence, None, location
    )


def _finish(
    run: _Run,
    kind: str,
    status: int | None,
    redirect_to: str | None,
    code: str,
    line: Directive | None,
    sentence: str,
    upstream: UpstreamRequest | None,
    location: Location | None,
) -> NginxOutcome:
    if run.pending:  # an earlier phase depends on what was not given: say both ways
        first_code, first_sentence, first_line = run.pending[0]
        after = f" Otherwise: {sentence}" if sentence else ""
        return NginxOutcome(
            "depends",
            None,
            None,
            first_code,
            (run.evidence(first_line) or (None,))[0],
            first_sentence + after,
            upstream,
            tuple(run.notes),
            location,
            run.request.client,
        )
    decided = run.evidence(line)[0] if line is not None else None
    return NginxOutcome(
        kind,
        status,
        redirect_to,
        code,
        decided,
        sentence,
        upstream,
        tuple(run.notes),
        location,
        run.request.client,
    )


def _answer_code(answer: Answer) -> str:
    return "NGINX_REDIRECT" if answer.status in REDIRECT_CODES and answer.location else "NGINX_FIXED_RESPONSE"


def _answer_sentence(answer: Answer, why: str) -> str:
    target = f" → {answer.location}" if answer.location else ""
    return f"answered by nginx: {answer.status}{target} ({why}: {answer.directive.raw})"


def _undecided(run: _Run, lines: Sequence[Directive]) -> None:
    for d in lines:
        run.note(
            "NGINX_UNDECIDED",
            Severity.INFO,
            f"nginx evaluates '{d.raw}' on something this trace cannot know (a TLS client certificate, "
            "a file); it was taken as not applying.",
            d,
        )


def _state(request: NginxRequest, uri: str, query: str) -> RequestState:
    return RequestState(
        scheme=request.scheme,
        host_header=request.host,
        uri=uri,
        args=query,
        method=request.method,
        remote_addr=request.client.address,
        server_port=request.port,
        headers=request.headers,
        request_uri=request.path,
    )


def evaluate_request(
    server: ServerDirectives,
    request: NginxRequest,
    http: HttpSettings | None = None,
    backends: Sequence[Backend] | None = None,
    source: str = "nginx.conf",
) -> NginxOutcome:
    """What nginx does with ``request`` in ``server`` (``backends``: the dynamic backends, for
    the canary choice and the 503 of a backend without endpoints)."""
    if request.scheme not in ("http", "https"):
        raise InputError(f"scheme {request.scheme!r} must be http or https")
    if not request.path.startswith("/"):
        raise InputError(f"request path {request.path!r} must start with '/'")
    run = _Run(server, request, source)
    raw_path, _, query = request.path.partition("?")
    uri = normalize_uri(raw_path.partition("#")[0])
    if uri is None:
        return _finish(
            run,
            "answered",
            400,
            None,
            "NGINX_FIXED_RESPONSE",
            None,
            f"answered by nginx: 400 (the path {request.path} climbs above /)",
            None,
            None,
        )
    state = _state(request, uri, query)
    for d in server.snippets:
        run.note(
            "INGRESS_SNIPPET",
            Severity.WARNING,
            "A server-snippet runs arbitrary nginx configuration in this server block; what it does "
            "is not evaluated here.",
            d,
        )
    result = run_rewrite_module(server.rewrite_phase, state)
    _undecided(run, result.undecided)
    if result.answer is not None:
        why = "server-level rule, before any location (app-root renders one)"
        return _answered(
            run, result.answer, _answer_code(result.answer), _answer_sentence(result.answer, why), None
        )
    rewrites = list(result.rewrites)
    for _ in range(MAX_CYCLES):
        location = match_location(server.block, state.uri)
        if location is None:
            return _finish(
                run,
                "answered",
                404,
                None,
                "INGRESS_NO_RULE_FOR_PATH",
                None,
                f"answered by nginx: 404 (no location of {server.block.host} matches {state.uri})",
                None,
                None,
            )
        directives = server.of(location)
        if location.is_regex:
            found = (pcre(location.path, location.modifier == "~*") or pcre("$^")).search(state.uri)  # type: ignore[union-attr]
            state.captures = tuple(g or "" for g in found.groups()) if found else ()
        result = run_rewrite_module(directives.rewrite_phase, state)
        _undecided(run, result.undecided)
        rewrites += result.rewrites
        if result.answer is not None:
            return _location_answer(run, result.answer, directives, location)
        if not result.restart:
            break
    else:
        return _finish(
            run,
            "answered",
            500,
            None,
            "NGINX_FIXED_RESPONSE",
            None,
            "answered by nginx: 500 (rewrite cycles: more than 10 'rewrite … last')",
            None,
            location,
        )
    return _after_rewrite_module(run, state, directives, location, rewrites, http or HttpSettings(), backends)


def _location_answer(
    run: _Run, answer: Answer, directives: LocationDirectives, location: Location
) -> NginxOutcome:
    if directives.denied_reason is not None and answer.status == 503:
        sentence = (
            f"answered by nginx: 503 (the controller rendered this location as denied: "
            f"{directives.denied_reason})"
        )
        return _answered(run, answer, "NGINX_FIXED_RESPONSE", sentence, location)
    if answer.status in REDIRECT_CODES and answer.location:
        why = (
            "permanent-redirect"
            if answer.status == 301
            else "temporal-redirect"
            if answer.status == 302
            else "redirect"
        )
        if answer.directive.name == "rewrite":
            why = "a rewrite to another URL"
        return _answered(run, answer, "NGINX_REDIRECT", _answer_sentence(answer, why), location)
    return _answered(
        run, answer, "NGINX_FIXED_RESPONSE", _answer_sentence(answer, "a fixed answer"), location
    )


def _ssl_redirect(
    run: _Run, directives: LocationDirectives, location: Location, http: HttpSettings
) -> NginxOutcome | None:
    """The Lua rewrite (``lua_ingress.rewrite``): ssl-redirect / force-ssl-redirect."""
    r = run.request
    found = ssl_redirect(directives, r.scheme, r.host, r.path, r.certificate, http.redirect_code)
    if found is None:
        return None
    if not found.certain:
        host = RequestState("http", r.host, "/", "").host
        run.pending.append(
            (
                "NGINX_SSL_REDIRECT",
                f"ssl-redirect is on: nginx answers {found.status} → {found.target} if the controller "
                f"holds a certificate for {host} (an Ingress tls entry), which was not read.",
                found.line,
            )
        )
        return None
    why = (
        "force-ssl-redirect: http is always sent to https"
        if found.forced
        else "ssl-redirect: the host has a certificate and the request came over http"
    )
    answer = Answer(found.status, found.target, None, found.line)
    sentence = f"answered by nginx: {found.status} → {found.target} ({why})"
    return _answered(run, answer, "NGINX_SSL_REDIRECT", sentence, location)


def _balancer_503(
    run: _Run, directives: LocationDirectives, location: Location, backends: Sequence[Backend]
) -> NginxOutcome | None:
    miss = balancer_miss(directives, location, backends)
    if miss is None:
        return None
    sentence = (
        f"answered by nginx: 503 (the Lua balancer's rewrite: backend {location.upstream_name} {miss.why})"
    )
    return _finish(run, "answered", 503, None, miss.code, miss.line, sentence, None, location)


def _after_rewrite_module(
    run: _Run,
    state: RequestState,
    directives: LocationDirectives,
    location: Location,
    rewrites: list,
    http: HttpSettings,
    backends: Sequence[Backend] | None,
) -> NginxOutcome:
    redirected = _ssl_redirect(run, directives, location, http)
    if redirected is not None:
        return redirected
    if backends is not None:
        unavailable = _balancer_503(run, directives, location, backends)
        if unavailable is not None:
            return unavailable
    for limit in rate_limits(directives, run.server, http):
        rate = f" at {limit.rate}" if limit.rate else ""
        size = f"burst {limit.burst}" if limit.kind == "requests" else f"{limit.burst} connections per client"
        run.note(
            "NGINX_RATE_LIMIT",
            Severity.INFO,
            f"Rate limit ({limit.kind}): zone {limit.zone}{rate}, {size}; a client over it is answered "
            f"{limit.status}. One request is not stopped by it.",
            limit.directive,
            limit.zone_line,
            limit.status_line,
        )
    stopped = _access(run, directives, location, http)
    if stopped is not None:
        return stopped
    return _content(run, state, directives, location, rewrites, backends)


def _access(
    run: _Run, directives: LocationDirectives, location: Location, http: HttpSettings
) -> NginxOutcome | None:
    client = run.request.client
    rules, level = effective_rules(directives, run.server, http)
    decision = decide_access(rules, level, client.address)
    satisfy_any = directives.satisfy is not None and directives.satisfy.args[:1] == ("any",)
    basic = (
        directives.auth_basic
        if directives.auth_basic and directives.auth_basic.args[:1] != ("off",)
        else None
    )
    has_credentials = any(k.lower() == "authorization" for k in run.request.headers)
    allowed = ", ".join(decision.allowed_sources) or "nobody"
    where = "" if level == "location" else f" (inherited from the {level} level)"
    if directives.auth_request is not None:
        target = run.server.auth_target(directives.auth_path or "")
        url = target.args[-1] if target is not None and target.args else directives.auth_path or "?"
        run.note(
            "NGINX_AUTH_URL",
            Severity.INFO,
            f"External authentication (auth-url): nginx first sends a subrequest to {url}; the request goes "
            "on only if it answers 2xx (401/403 are passed to the client).",
            directives.auth_request,
            target,
        )
    if satisfy_any and decision.allowed:
        return None  # satisfy any: the address rule alone lets it through
    if decision.allowed is None:
        run.pending.append(
            (
                "NGINX_ACCESS_DENIED",
                f"depends on the client: allowed are {allowed}{where}; nginx answers 403 to others "
                f"(the address nginx sees: {client.how}).",
                decision.rules[-1],
            )
        )
    elif not decision.allowed and not (satisfy_any and (basic or directives.auth_request)):
        rule = decision.rule
        assert rule is not None
        sentence = (
            f"answered by nginx: 403 (the client address {client.address} matches '{rule.raw}'{where}; "
            f"allowed are {allowed}; the address nginx sees: {client.how})"
        )
        outcome = _finish(run, "answered", 403, None, "NGINX_ACCESS_DENIED", rule, sentence, None, location)
        allows = [r for r in decision.rules if r.name == "allow"]
        return replace(outcome, also=run.evidence(*allows)) if allows else outcome
    if basic is not None and not has_credentials:
        realm = basic.args[0] if basic.args else ""
        sentence = (
            f"answered by nginx: 401 (auth-type basic, realm {realm!r}: the request carries no Authorization "
            "header; the password file is never read here)"
        )
        return _finish(run, "answered", 401, None, "NGINX_AUTH_BASIC", basic, sentence, None, location)
    if basic is not None:
        run.note(
            "NGINX_AUTH_BASIC",
            Severity.INFO,
            "auth-type basic: the request carries credentials; nginx lets it through only if they match "
            "the password file (never read here), else 401.",
            basic,
            directives.auth_basic_user_file,
        )
    return None


def _content(
    run: _Run,
    state: RequestState,
    directives: LocationDirectives,
    location: Location,
    rewrites: list,
    backends: Sequence[Backend] | None,
) -> NginxOutcome:
    target = pass_target(directives, run.request.scheme)
    if target is None:
        sentence = f"answered by nginx: the location {location.raw} has no proxy_pass: nginx serves it itself"
        return _finish(run, "answered", 200, None, "NGINX_FIXED_RESPONSE", None, sentence, None, location)
    changed = bool(rewrites) and state.uri != run.request.path.partition("?")[0]
    path = (state.uri + ("?" + state.args if state.args else "")) if rewrites else run.request.path
    if changed:
        rewrite, old, new = rewrites[-1]
        run.note(
            "NGINX_REWRITE",
            Severity.INFO,
            f"rewrite-target: the upstream receives {path}, not {run.request.path} ({old} → {new}).",
            rewrite,
        )
    host, host_line = host_header(directives, state)
    if host_line is not None and host_line.args[1:2] != ("$best_http_host",):
        run.note(
            "NGINX_UPSTREAM_VHOST",
            Severity.INFO,
            f"upstream-vhost: the upstream receives Host: {host}, not {run.request.host}.",
            host_line,
        )
    pass_name = target.directive.name
    limits = timeouts(directives, pass_name)
    if pass_name == "grpc_pass":
        ignored = (
            ""
            if any(line for _, _, line in limits)
            else (
                " No grpc_*_timeout line is rendered (before v1.11), so nginx's 60s defaults apply: the "
                "proxy-*-timeout annotations do not reach grpc_pass."
            )
        )
        run.note(
            "NGINX_GRPC",
            Severity.INFO,
            f"backend-protocol {target.protocol.upper()}: nginx speaks gRPC over HTTP/2 to the Pods "
            f"({target.protocol}://), not plain HTTP.{ignored}",
            target.directive,
        )
    choices = _canary(run, location, backends)
    upstream = UpstreamRequest(
        upstream_name=location.upstream_name or "",
        path=path,
        host_header=host,
        protocol=target.protocol,
        pass_directive=pass_name,
        timeouts=tuple((what, value) for what, value, _ in limits),
        targets=choices,
    )
    pages = directives.error_pages or run.server.error_pages
    if pages:
        codes = ", ".join(c for d in pages for c in d.args[:-1])
        intercept = directives.intercept_errors
        run.note(
            "NGINX_CUSTOM_ERRORS",
            Severity.INFO,
            f"custom-http-errors: answers with status {codes} are replaced by the default backend's page"
            + (
                " (also the upstream's, proxy_intercept_errors on)"
                if intercept and intercept.args == ("on",)
                else ""
            ),
            *pages[:1],
            intercept,
        )
    who = (
        "the default backend"
        if location.upstream_name == "upstream-default-backend"
        else location.upstream_name
    )
    sentence = f"proxied to {who} over {target.protocol}: {run.request.method} {path}, Host: {host}"
    return _finish(run, "proxied", None, None, "", target.directive, sentence, upstream, location)


def _canary(run: _Run, location: Location, backends: Sequence[Backend] | None) -> tuple[CanaryChoice, ...]:
    name = location.upstream_name
    if backends is None or not name:
        return ()
    state = RequestState("http", run.request.host, "/", "", headers=run.request.headers)
    targets = route_request(backends, name, run.request.headers, state.cookies())
    choices = tuple(CanaryChoice(t.name, t.canary, t.share, t.reason) for t in targets)
    main = find_backend(backends, name)
    if main is not None and main.alternative_backends:
        split = "; ".join(f"{c.backend} {c.share:.0%} ({c.reason})" for c in choices)
        run.note("NGINX_CANARY", Severity.INFO, f"canary: this request goes to {split}.")
    return choices
