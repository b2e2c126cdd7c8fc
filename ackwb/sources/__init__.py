"""The only package that does I/O. Steps receive a ``Sources`` bundle and nothing else."""

from ackwb.sources.base import (
    CloudSource,
    ClusterSettings,
    CommandOutput,
    DnsRecord,
    DnsSource,
    KubeSource,
    NodeSource,
    PodExecSource,
    Sources,
)
from ackwb.sources.commands import Command

__all__ = [
    "CloudSource",
    "ClusterSettings",
    "Command",
    "CommandOutput",
    "DnsRecord",
    "DnsSource",
    "KubeSource",
    "NodeSource",
    "PodExecSource",
    "Sources",
]
