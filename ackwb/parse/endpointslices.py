"""Read a Service's EndpointSlices into the endpoints behind one Service port.

The Service step compares three views of "who is behind this Service": the
EndpointSlices (what the control plane says), kube-proxy's rules and ingress-nginx's
dynamic backends. This module gives the first view, with the API's nil rules applied:
``ready`` nil means ready, ``serving`` nil means "same as ready", ``terminating`` nil
means not terminating. A slice port is matched to a Service port by **name** (``""``
for an unnamed port); its number is the target port.

Input: the objects as the API returns them (dicts), a List object with ``items``
(``kubectl get endpointslices -o json``), or that JSON as text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ackwb.errors import ParseError


@dataclass(frozen=True)
class SliceEndpoint:
    address: str  # the endpoint's first address (the one kube-proxy uses)
    port: int | None  # None: the slice port has no number ("all ports")
    protocol: str
    ready: bool
    serving: bool
    terminating: bool
    node: str | None
    zone: str | None
    pod: str | None  # targetRef name when it is a Pod
    slice_name: str


class _Slice:
    """Checks one slice's fields; every error names the slice and the field."""

    def __init__(self, raw: Any, index: int, source: str) -> None:
        self.source = source
        metadata = raw.get("metadata") if isinstance(raw, dict) else None
        name = metadata.get("name") if isinstance(metadata, dict) else None
        namespace = metadata.get("namespace") if isinstance(metadata, dict) else None
        self.name = name if isinstance(name, str) and name else f"[{index}]"
        prefix = f"{namespace}/" if isinstance(namespace, str) and namespace else ""
        self.label = f"EndpointSlice {prefix}{self.name}"
        if not isinstance(raw, dict):
            raise self.fail("", "is not an object")
        self.raw = raw

    def fail(self, where: str, message: str) -> ParseError:
        field = f" {where}" if where else ""
        return ParseError(self.source, f"{self.label}{field} {message}")

    def items(self, key: str) -> list[Any]:
        value = self.raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(key, "is not a list")
        return value

    def optional(self, value: Any, where: str, kind: type) -> Any:
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool) and kind is int):
            raise self.fail(where, f"is {json.dumps(value)}, expected {kind.__name__} or null")
        return value

    def port(self, port_name: str) -> tuple[bool, int | None, str]:
        """(found, number, protocol) of the slice port named ``port_name``."""
        found: tuple[bool, int | None, str] = (False, None, "TCP")
        for i, port in enumerate(self.items("ports")):
            where = f"ports[{i}]"
            if not isinstance(port, dict):
                raise self.fail(where, "is not an object")
            name = self.optional(port.get("name"), f"{where}.name", str) or ""
            number = self.optional(port.get("port"), f"{where}.port", int)
            protocol = self.optional(port.get("protocol"), f"{where}.protocol", str) or "TCP"
            if number is not None and not 1 <= number <= 65535:
                raise self.fail(f"{where}.port", f"{number} is out of range")
            if name == port_name and not found[0]:
                found = (True, number, protocol)
        return found

    def endpoints(self, number: int | None, protocol: str) -> list[SliceEndpoint]:
        result = []
        for i, endpoint in enumerate(self.items("endpoints")):
            where = f"endpoints[{i}]"
            if not isinstance(endpoint, dict):
                raise self.fail(where, "is not an object")
            addresses = endpoint.get("addresses")
            if (
                not isinstance(addresses, list)
                or not addresses
                or not all(isinstance(a, str) and a for a in addresses)
            ):
                raise self.fail(f"{where}.addresses", "must be a non-empty list of addresses")
            conditions = self.optional(endpoint.get("conditions"), f"{where}.conditions", dict) or {}
            ready, serving, terminating = (
                self.optional(conditions.get(key), f"{where}.conditions.{key}", bool)
                for key in ("ready", "serving", "terminating")
            )
            ready = True if ready is None else ready
            target = self.optional(endpoint.get("targetRef"), f"{where}.targetRef", dict) or {}
            pod = target.get("name") if target.get("kind") == "Pod" else None
            result.append(
                SliceEndpoint(
                    address=addresses[0],
                    port=number,
                    protocol=protocol,
                    ready=ready,
                    serving=ready if serving is None else serving,
                    terminating=bool(terminating),
                    node=self.optional(endpoint.get("nodeName"), f"{where}.nodeName", str),
                    zone=self.optional(endpoint.get("zone"), f"{where}.zone", str),
                    pod=self.optional(pod, f"{where}.targetRef.name", str),
                    slice_name=self.name,
                )
            )
        return result


def _slice_list(slices: Any, source: str) -> Sequence[Any]:
    if isinstance(slices, (str, bytes)):
        if not slices.strip():
            raise ParseError(source, "empty input: no EndpointSlice JSON")
        try:
            slices = json.loads(slices)
        except json.JSONDecodeError as err:
            raise ParseError(source, f"not JSON: {err.msg}", err.lineno) from None
        except RecursionError:
            raise ParseError(source, "JSON nested too deeply") from None
    if isinstance(slices, Mapping):
        # a List object (kubectl -o json) or a single EndpointSlice
        slices = slices["items"] or [] if "items" in slices else [slices]
    if not isinstance(slices, Sequence) or isinstance(slices, (str, bytes)):
        raise ParseError(source, f"expected a list of EndpointSlices, got {type(slices).__name__}")
    return slices


def endpoints_for_port(
    slices: Any, port_name: str, source: str = "endpointslices"
) -> tuple[SliceEndpoint, ...]:
    """Every endpoint of the slices that carry the Service port named ``port_name``.

    Slices without that port contribute nothing; every slice is still checked, so a
    malformed one is reported even when it does not carry the port.
    """
    result: list[SliceEndpoint] = []
    for index, raw in enumerate(_slice_list(slices, source)):
        checked = _Slice(raw, index, source)
        found, number, protocol = checked.port(port_name)
        endpoints = checked.endpoints(number, protocol)
        if found:
            result.extend(endpoints)
    return tuple(result)


def kube_proxy_endpoints(endpoints: Sequence[SliceEndpoint]) -> tuple[SliceEndpoint, ...]:
    """The endpoints kube-proxy sends traffic to: the ready ones, or, when none is
    ready, those that are serving and terminating (graceful termination fallback)."""
    ready = tuple(e for e in endpoints if e.ready)
    if ready:
        return ready
    return tuple(e for e in endpoints if e.serving and e.terminating)
