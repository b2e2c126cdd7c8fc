"""Read what one ingress-nginx controller Pod does with a host: its server block and the dynamic
backend of the location a path lands in.

Every controller behind a healthy backend is read, not only the first: replicas that render
different configurations or balance over different endpoints (one missed an update) each
serve their share of the requests. Two allow-listed reads inside the Pod: the host's server
block (``awk`` between the ``## start server HOST`` markers), then that location's backend
(``/dbg backends get NAME``, or ``curl 127.0.0.1:10246/configuration/backends`` where the
image has no ``/dbg``). A read that fails leaves the view incomplete with the reason: never
an empty list read as "no endpoints".
"""

from __future__ import annotations

from dataclasses import replace

from ackwb.errors import AckwbError, SourceError
from ackwb.model import Evidence
from ackwb.parse.backends import find_backend, parse_backends
from ackwb.parse.nginx_conf import match_location, parse_server_block
from ackwb.sources import Sources, commands
from ackwb.steps.ecs.result import ControllerPod
from ackwb.steps.ingress.result import ControllerView

DEFAULT_BACKEND = "upstream-default-backend"


def read_view(sources: Sources, controller: ControllerPod, host: str, path: str) -> ControllerView:
    """The controller's server block for ``host``, the location ``path`` lands in and its backend.
    Raises ``SourceError`` when the Pod cannot be asked at all (the caller shows it unknown)."""
    container = sources.settings.ingress_container
    command = commands.nginx_server_block(host)
    output = sources.pod_exec.run(controller.namespace, controller.name, container, command)
    view = ControllerView(controller, text=output.stdout)
    if not output.stdout.strip():
        return replace(view, problem="no server block")
    try:
        block = parse_server_block(output.stdout, host, f"{controller.name}: {commands.NGINX_CONF}")
    except AckwbError as error:
        return replace(view, problem=f"unreadable server block: {error}")
    location = match_location(block, path)
    view = replace(view, block=block, location=location)
    if location is None or location.upstream_name == DEFAULT_BACKEND:
        return view
    where = f"{controller.name}: {commands.NGINX_CONF} (server {host})"
    evidence = Evidence(where, f"line {location.line}", location.raw)
    return _read_backend(sources, replace(view, evidence=(evidence,)), location.upstream_name or "")


def _read_backend(sources: Sources, view: ControllerView, name: str) -> ControllerView:
    controller, container = view.controller, sources.settings.ingress_container
    command = commands.nginx_backend(name)
    try:
        output = sources.pod_exec.run(controller.namespace, controller.name, container, command)
        text = f"[{output.stdout}]"  # /dbg backends get prints one backend object
        if output.exit_status != 0 or not output.stdout.strip():  # no /dbg in the image, or no such backend
            command = commands.nginx_backends_curl()
            answer = sources.pod_exec.run(controller.namespace, controller.name, container, command)
            if answer.exit_status != 0 or not answer.stdout.strip():
                said = (answer.stderr or answer.stdout).strip() or "no output"
                return replace(view, problem=f"the dynamic backends could not be read ({command}: {said})")
            text = answer.stdout
        backends = tuple(parse_backends(text, f"{controller.name}: {command}"))
    except SourceError as error:
        return replace(view, problem=f"the dynamic backends could not be read: {error}")
    except AckwbError as error:
        return replace(view, problem=f"the dynamic backends are unreadable: {error}")
    source = f"{controller.name}: {command}"
    return replace(
        view,
        backends=backends,
        backend=find_backend(list(backends), name),
        backends_source=source,
        backends_read=True,
    )
