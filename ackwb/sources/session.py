"""A session's shared reads: every source of a ``Sources`` bundle read through one bounded cache.

Traces made in one session (a sweep, a capture, one trace and its read-ahead) ask many of the
same questions: the load balancer, its listeners, ACL and server groups, the ENIs, the route
table, the NAT gateway and its SNAT table. ``session`` wraps a bundle so that each distinct query
(``ackwb.sources.queries``: product, action and normalised parameters; resource, namespace and
selectors; node and command; Pod and command) is read once: a second asker gets the answer,
or waits for the read already under way (single flight). Errors are kept like answers, so a
session never says two different things about the same question.

The cache is a bounded LRU (``size`` entries); answers are handed out as copies, so no caller
can change what another sees. ``concurrency`` bounds how many reads are in flight at once,
whatever the number of threads asking. With ``broad=True`` (a sweep or a capture of a whole
cluster through live sources) narrow queries are answered from a few broad reads instead
(``ackwb.sources.inventory``), so a session's requests do not grow with its hosts.

A session lives as long as its traces: a notebook's ``wb.trace`` calls each make their own, so
nothing read a minute ago answers for the cluster now.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from ackwb.errors import AckwbError
from ackwb.sources import queries
from ackwb.sources.base import CommandOutput, DnsRecord, Sources
from ackwb.sources.commands import Command
from ackwb.sources.world_files import plain_copy

T = TypeVar("T")
DEFAULT_SIZE = 8192  # entries; a sweep of a few hundred hosts asks a few thousand distinct queries
DEFAULT_CONCURRENCY = 8


@dataclass(frozen=True)
class _Failed:
    error: AckwbError


class ReadCache:
    """Bounded LRU read-through cache with single flight; ``stats`` counts hits and reads."""

    def __init__(self, size: int = DEFAULT_SIZE, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self.size = max(1, size)
        self._entries: OrderedDict[str, Any] = OrderedDict()
        self._flying: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self.hits = 0
        self.reads = 0

    def read(self, key: str, fetch: Callable[[], T]) -> T:
        """The answer to ``key``: cached, awaited from the read in flight, or read now with ``fetch``."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return _answer(self._entries[key])
            flying = self._flying.get(key)
            if flying is None:
                flying = self._flying[key] = Future()
                owner = True
            else:
                self.hits += 1
                owner = False
        if not owner:
            return _answer(flying.result())
        try:
            with self._slots:
                value: Any = fetch()
        except AckwbError as error:
            value = _Failed(error)
        except BaseException as error:  # not an answer: let waiters see it, keep nothing
            with self._lock:
                del self._flying[key]
            flying.set_exception(error)
            raise
        with self._lock:
            self.reads += 1
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
            del self._flying[key]
        flying.set_result(value)
        return _answer(value)

    def lookup(self, key: str) -> Any:
        """The cached answer or None (no read, no wait): for a read-ahead deciding what it knows."""
        with self._lock:
            value = self._entries.get(key)
        return None if value is None or isinstance(value, _Failed) else plain_copy(value)


def _answer(value: Any) -> Any:
    if isinstance(value, _Failed):
        raise value.error
    return plain_copy(value)


class _Kube:
    def __init__(self, inner: Any, cache: ReadCache, broad: Any) -> None:
        self.inner, self.cache, self.broad = inner, cache, broad

    def get(self, resource: str, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        if self.broad is not None and self.broad.kube_covers(resource):
            return self.broad.kube_get(resource, name, namespace)
        key = queries.kube_get(resource, name, namespace)
        return self.cache.read(key, lambda: self.inner.get(resource, name, namespace))

    def list(
        self, resource: str, namespace: str | None = None, label_selector: str = "", field_selector: str = ""
    ) -> list[dict[str, Any]]:
        if self.broad is not None and self.broad.kube_covers(resource):
            return self.broad.kube_list(resource, namespace, label_selector, field_selector)
        key = queries.kube_list(resource, namespace, label_selector, field_selector)
        return self.cache.read(
            key, lambda: self.inner.list(resource, namespace, label_selector, field_selector)
        )


class _Cloud:
    def __init__(self, inner: Any, cache: ReadCache, broad: Any) -> None:
        self.inner, self.cache, self.broad, self.region = inner, cache, broad, inner.region

    def call(self, product: str, action: str, params: dict[str, Any]) -> dict[str, Any]:
        if self.broad is not None:
            answer = self.broad.cloud_call(product, action, params)
            if answer is not None:
                return answer
        key = queries.cloud(product, action, params)
        return self.cache.read(key, lambda: self.inner.call(product, action, params))


class _Dns:
    def __init__(self, inner: Any, cache: ReadCache) -> None:
        self.inner, self.cache = inner, cache

    def resolve(self, name: str, rdtype: str = "A") -> list[DnsRecord]:
        return self.cache.read(queries.dns("public", name, rdtype), lambda: self.inner.resolve(name, rdtype))

    def resolve_in_cluster(self, name: str, rdtype: str = "A") -> list[DnsRecord]:
        key = queries.dns("cluster", name, rdtype)
        return self.cache.read(key, lambda: self.inner.resolve_in_cluster(name, rdtype))


class _Nodes:
    def __init__(self, inner: Any, cache: ReadCache, broad: Any) -> None:
        self.inner, self.cache, self.broad = inner, cache, broad

    def run(self, node: str, command: Command) -> CommandOutput:
        if self.broad is not None:
            answer = self.broad.node_run(node, command)
            if answer is not None:
                return answer
        return self.cache.read(queries.node(node, command), lambda: self.inner.run(node, command))


class _PodExec:
    def __init__(self, inner: Any, cache: ReadCache, broad: Any) -> None:
        self.inner, self.cache, self.broad = inner, cache, broad

    def run(self, namespace: str, pod: str, container: str, command: Command) -> CommandOutput:
        if self.broad is not None:
            answer = self.broad.exec_run(namespace, pod, container, command)
            if answer is not None:
                return answer
        key = queries.pod_exec(namespace, pod, container, command)
        return self.cache.read(key, lambda: self.inner.run(namespace, pod, container, command))


def session(
    sources: Sources,
    broad: bool = False,
    size: int = DEFAULT_SIZE,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> Sources:
    """``sources`` read through a new ``ReadCache`` (``.session``); the same bundle if already one."""
    if sources.session is not None:
        return sources
    cache = ReadCache(size, concurrency)
    inventory = None
    if broad:
        from ackwb.sources.inventory import Inventory

        inventory = Inventory(sources, cache)
    wrapped = replace(
        sources,
        kube=_Kube(sources.kube, cache, inventory),
        cloud=_Cloud(sources.cloud, cache, inventory),
        dns=_Dns(sources.dns, cache),
        node=_Nodes(sources.node, cache, inventory),
        pod_exec=_PodExec(sources.pod_exec, cache, inventory),
        session=cache,
    )
    return wrapped
