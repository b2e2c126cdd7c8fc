"""Error types shared by every layer.

They live at the bottom of the import graph so that sources, parsers and steps can
raise them and the notebooks and the CLI can turn each into one clear sentence.
"""

from __future__ import annotations


class AckwbError(Exception):
    """Base class: every error ackwb raises on purpose is one of these."""


class InputError(AckwbError):
    """The user asked for something that does not exist or is malformed."""


class ParseError(AckwbError):
    """Raw text or JSON could not be read; names the source and the line."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.reason = message
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class SourceError(AckwbError):
    """A source (Kubernetes, cloud, DNS, node) could not answer.

    ``source`` names the system and call, for example ``slb:DescribeLoadBalancers``.
    """

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        self.reason = message
        super().__init__(f"{source}: {message}")


class Unreachable(SourceError):
    """Connection refused, timed out, or the peer is not configured."""


class Forbidden(SourceError):
    """The credentials in use may not make this read (RAM policy, RBAC, sudo)."""

    def __init__(self, source: str, message: str, permission: str = "") -> None:
        self.permission = permission
        super().__init__(source, message)


class NotCaptured(SourceError):
    """A stored world cannot answer this query: a snapshot never asked it, or the world lacks the file.

    Never evidence that something does not exist: the hop that needed it is unknown, and the
    message names what the world holds and how to capture the rest.
    """
