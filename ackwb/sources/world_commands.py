"""Command output of a stored world: what nodes and the ingress controller Pods answer.

``nodes/<internal-ip>/<command-name>.txt`` is a node command's stdout (``ipvsadm -Ln -t VIP:PORT``
is its own answer under ``ipvsadm-service/``, or cut from the whole listing);
``pods/<namespace>/<pod>/`` holds the controller's nginx.conf and dynamic backends. Only
allow-listed commands are answered. A file the world does not hold is a node that cannot answer
(complete worlds: a node without the tool) or a query never captured (snapshots).
"""

from __future__ import annotations

import json

from ackwb.errors import Forbidden, SourceError, Unreachable
from ackwb.sources import commands
from ackwb.sources.base import CommandOutput
from ackwb.sources.commands import Command
from ackwb.sources.world_files import WorldFiles, absent, safe_name
from ackwb.sources.world_kube import WorldKube


def _refuse_unlisted(source: str, command: Command) -> None:
    if not commands.is_allowed(command):
        raise Forbidden(
            source,
            f"{command.name!r} ({command}) is not on ackwb's allow-list of read commands",
            "an allow-listed command",
        )


class WorldNodes:
    """``NodeSource``: ``nodes/<internal-ip>/<command-name>.txt`` is the command's stdout."""

    def __init__(self, files: WorldFiles) -> None:
        self._files = files

    def run(self, node: str, command: Command) -> CommandOutput:
        source = f"node {node}"
        _refuse_unlisted(source, command)
        if command.name not in commands.NODE_COMMANDS:
            raise Forbidden(source, f"{command.name!r} runs inside a Pod, not on a node", "")
        if not safe_name(node) or not self._files.is_dir(f"nodes/{node}"):
            raise Unreachable(source, f"this world has no node with internal IP {node}")
        if command.name == "ipvsadm-service":
            return self._ipvsadm_service(node, command)
        stdout = self._files.text(f"nodes/{node}/{command.name}.txt")
        if stdout is None:
            said = f"this world holds no output of {command.name!r} ({command}) for this node"
            raise _missing(self._files, source, f"nodes/{node}/{command.name}.txt", command, said)
        return CommandOutput(stdout)

    def _ipvsadm_service(self, node: str, command: Command) -> CommandOutput:
        """``ipvsadm -Ln -t VIP:PORT``: as a snapshot stored it, else cut from the full listing."""
        relative = f"nodes/{node}/ipvsadm-service/{commands.service_file_name(command)}"
        stored = self._files.text(relative)
        if stored is not None:
            return CommandOutput(stored)
        listing = self._files.text(f"nodes/{node}/ipvsadm.txt")
        if listing is None:  # neither this service's answer nor the whole listing
            said = f"this world holds no output of 'ipvsadm' ({command}) for this node"
            raise _missing(self._files, f"node {node}", relative, command, said)
        return ipvs_service_output(listing, command)


def _missing(files: WorldFiles, source: str, relative: str, command: Command, said: str) -> SourceError:
    """A command output the world does not hold: in a complete world the node or Pod cannot answer
    it (Unreachable, as a node without the tool); in a snapshot it was not captured."""
    if files.complete:
        return Unreachable(source, said)
    return absent(files.label, source, relative, f"what {command.name} prints")


def ipvs_service_output(listing: str, command: Command) -> CommandOutput:
    """What ``ipvsadm -Ln -t VIP:PORT`` prints, cut from the node's full ``ipvsadm -Ln`` listing:
    the two column-title lines and the service with its real servers, or ipvsadm's failure."""
    protocol, address, port = commands.service_of(command)
    host = f"[{address}]" if ":" in address else address
    lines = listing.splitlines(keepends=True)
    wanted = f"{protocol} {host}:{port}"
    start = next((i for i, line in enumerate(lines) if " ".join(line.split()[:2]) == wanted), None)
    if start is None:
        return CommandOutput("", 1, "Memory allocation problem\n")  # what ipvsadm says for no such service
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].startswith("  ->")), len(lines))
    return CommandOutput("".join(lines[1:3] + lines[start:end]))


class WorldPodExec:
    """``PodExecSource``: the ingress controller's files under ``pods/<namespace>/<pod>/``."""

    def __init__(self, files: WorldFiles, kube: WorldKube) -> None:
        self._files = files
        self._kube = kube

    def run(self, namespace: str, pod: str, container: str, command: Command) -> CommandOutput:
        source = f"pod {namespace}/{pod}"
        _refuse_unlisted(source, command)
        if command.name not in commands.POD_COMMANDS:
            raise Forbidden(source, f"{command.name!r} runs on a node, not inside a Pod", "")
        obj = self._kube.get("pods", pod, namespace) if safe_name(namespace) and safe_name(pod) else None
        if obj is None:
            raise SourceError(source, f'pods "{pod}" not found in namespace {namespace}')
        containers = [c.get("name") for c in (obj.get("spec") or {}).get("containers") or []]
        if container not in containers:
            raise SourceError(
                source, f"container {container} is not valid for pod {pod} (it has {containers})"
            )
        if command.name == "nginx-server-block":
            conf = self._read(source, namespace, pod, "nginx.conf", command)
            return CommandOutput(server_block(conf, commands.host_of(command)))
        if command.name == "nginx-conf":
            return CommandOutput(self._read(source, namespace, pod, "nginx.conf", command))
        backends = self._read(source, namespace, pod, "backends.json", command)
        if command.name == "nginx-backend":
            return one_backend(backends, command.argv[3])
        if command.argv[0] != "curl":
            return CommandOutput(backends)
        try:  # curl gets the raw body the Lua side stores; /dbg pretty-prints it
            raw = json.dumps(json.loads(backends), separators=(",", ":"), ensure_ascii=False)
        except json.JSONDecodeError as error:
            raise SourceError(source, f"its stored backends.json is not valid JSON: {error}") from error
        return CommandOutput(raw)

    def _read(self, source: str, namespace: str, pod: str, name: str, command: Command) -> str:
        text = self._files.text(f"pods/{namespace}/{pod}/{name}")
        if text is None:
            said = f"this world holds no {name} of pod {namespace}/{pod} (for {command})"
            raise _missing(self._files, source, f"pods/{namespace}/{pod}/{name}", command, said)
        return text


def one_backend(backends: str, name: str) -> CommandOutput:
    """``/dbg backends get NAME``: that backend's JSON object, pretty-printed, or a failure."""
    try:
        stored = json.loads(backends)
    except json.JSONDecodeError:
        stored = []
    stored = stored if isinstance(stored, list) else []
    found = [b for b in stored if isinstance(b, dict) and b.get("name") == name]
    if not found:
        return CommandOutput("", 1, f"no backend named {name}\n")
    return CommandOutput(json.dumps(found[0], indent=2, ensure_ascii=False) + "\n")


def server_block(conf: str, host: str) -> str:
    """The lines from ``## start server HOST`` to ``## end server HOST``; '' when there is none.

    The rendered nginx.conf indents the markers with a tab, so the marker lines are
    compared without their leading blanks.
    """
    start, end = f"## start server {host}", f"## end server {host}"
    out: list[str] = []
    for line in conf.splitlines(keepends=True):
        bare = line.strip()
        if not out and bare != start:
            continue
        out.append(line)
        if bare == end:
            break
    return "".join(out)
