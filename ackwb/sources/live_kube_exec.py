"""Commands inside a Pod's container over the Kubernetes exec websocket: ``PodExecSource``.

Only commands built by ``ackwb.sources.commands`` run, as their argv (the API server
hands argv to the container runtime; no shell is involved). stdout comes from channel 1,
stderr from channel 2, and the exit status from the Status JSON on channel 3, read the
way client-go reads it: ``Success`` is 0, ``NonZeroExitCode`` carries the code in
``details.causes[reason=ExitCode]``, any other failure (the program does not exist in
the image) has no exit code and is reported as the shell would (127, or 126).

The websocket library has no timeout for the opening handshake, so each command runs in
a worker thread that the caller waits for at most ``connect_timeout + command_timeout``
seconds; a server that never answers leaves that daemon thread blocked until the
connection drops, and the caller gets ``Unreachable`` on time. Every command uses its own
``ApiClient`` because ``kubernetes.stream.stream`` swaps the client's transport while it runs.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from ackwb.errors import Forbidden, InputError, SourceError, Unreachable
from ackwb.sources import commands
from ackwb.sources.base import CommandOutput
from ackwb.sources.commands import Command
from ackwb.sources.live_kube import api_client, load_configuration, status_message

STDOUT, STDERR, STATUS = 1, 2, 3


class LivePodExec:
    """``PodExecSource`` for one kubeconfig context; timeouts are seconds."""

    def __init__(
        self,
        kubeconfig: str | Path | None = None,
        context: str | None = None,
        *,
        connect_timeout: float = 5.0,
        command_timeout: float = 20.0,
    ) -> None:
        if connect_timeout <= 0 or command_timeout <= 0:
            raise InputError("LivePodExec: timeouts must be positive")
        self.context = context
        self._configuration = load_configuration(kubeconfig, context)
        self._connect_timeout = float(connect_timeout)
        self._command_timeout = float(command_timeout)

    def run(self, namespace: str, pod: str, container: str, command: Command) -> CommandOutput:
        source = f"pod {namespace}/{pod}"
        if not commands.is_allowed(command):
            raise Forbidden(
                source,
                f"{command.name!r} ({command}) is not on ackwb's allow-list of read commands",
                "an allow-listed command",
            )
        if command.name not in commands.POD_COMMANDS:
            raise Forbidden(source, f"{command.name!r} runs on a node, not inside a Pod", "")
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["output"] = self._exec(source, namespace, pod, container, command)
            except BaseException as error:  # handed to the waiting caller
                outcome["error"] = error

        worker = threading.Thread(target=work, name=f"ackwb exec {namespace}/{pod}", daemon=True)
        worker.start()
        limit = self._connect_timeout + self._command_timeout
        worker.join(limit)
        if worker.is_alive():
            raise Unreachable(source, f"exec of {command.name!r} got no answer within {limit:g} s")
        if "error" in outcome:
            raise outcome["error"]
        return outcome["output"]

    def _exec(self, source: str, namespace: str, pod: str, container: str, command: Command) -> CommandOutput:
        from kubernetes.client import CoreV1Api
        from kubernetes.client.exceptions import ApiException
        from kubernetes.stream import stream

        client = api_client(self._configuration)
        try:
            socket = stream(
                CoreV1Api(client).connect_get_namespaced_pod_exec,
                pod,
                namespace,
                command=list(command.argv),
                container=container,
                stdin=False,
                stdout=True,
                stderr=True,
                tty=False,
                _preload_content=False,
            )
        except ApiException as error:
            raise _handshake_error(error, source, namespace, pod, self._configuration.host) from None
        finally:
            client.close()
        try:
            socket.run_forever(timeout=self._command_timeout)
            if socket.is_open():
                raise Unreachable(
                    source, f"{command.name!r} did not finish within {self._command_timeout:g} s"
                )
            stdout = socket.read_channel(STDOUT)
            stderr = socket.read_channel(STDERR)
            status = socket.read_channel(STATUS)
        except (OSError, ValueError) as error:
            raise Unreachable(source, f"the exec stream broke: {type(error).__name__}: {error}") from None
        finally:
            socket.close()
        exit_status, reason = exit_status_of(source, status)
        if reason:
            stderr = f"{stderr}{'' if not stderr or stderr.endswith(chr(10)) else chr(10)}{reason}"
        return CommandOutput(stdout, exit_status, stderr)


def exit_status_of(source: str, status_text: str) -> tuple[int, str]:
    """(exit status, reason for stderr) from the channel-3 Status JSON; no Status means success."""
    if not status_text.strip():
        return 0, ""
    try:
        status = json.loads(status_text)
    except ValueError:
        raise SourceError(source, f"the exec status is not JSON: {status_text[:200]!r}") from None
    if not isinstance(status, dict):
        raise SourceError(source, "the exec status is not a Kubernetes Status object")
    if status.get("status") == "Success":
        return 0, ""
    causes = (status.get("details") or {}).get("causes") or []
    for cause in causes:
        if isinstance(cause, dict) and cause.get("reason") == "ExitCode":
            try:
                return int(cause.get("message", "")), ""
            except ValueError:
                raise SourceError(source, f"the exit code {cause.get('message')!r} is not a number") from None
    message = str(status.get("message") or status.get("reason") or "the command could not start")
    missing = "not found" in message.lower() or "no such file" in message.lower()
    return (127 if missing else 126), message


def _handshake_error(error: Any, source: str, namespace: str, pod: str, host: str) -> SourceError:
    """The websocket upgrade failed: ``stream`` wraps the cause in ApiException(status=0)."""
    from websocket import WebSocketBadStatusException, WebSocketException

    cause = error.__context__
    if isinstance(cause, WebSocketBadStatusException):
        code = cause.status_code
        message = status_message(getattr(cause, "resp_body", None)) or str(cause.status_message or "")
        if code in (401, 403):
            what = (
                "the credentials were rejected (401)" if code == 401 else f"RBAC forbids it (403): {message}"
            )
            return Forbidden(source, what, f"create pods/exec in namespace {namespace}")
        if code == 404:
            return SourceError(source, f'pods "{pod}" not found in namespace {namespace}')
        return SourceError(source, f"exec refused with HTTP {code}: {message or 'no message'}")
    if isinstance(cause, (OSError, WebSocketException)):
        detail = cause.strerror if isinstance(cause, OSError) and cause.strerror else type(cause).__name__
        return Unreachable(source, f"cannot open the exec stream at {host}: {detail.lower()}")
    return SourceError(source, f"exec failed: {getattr(error, 'reason', '') or error}")
