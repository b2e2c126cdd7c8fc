"""Deterministic IDs, names and timestamps for the demo worlds.

Every ID a world holds is derived from a seed with SHA-256, so a rebuild is byte-for-byte
identical and the IDs look like the real ones (``lb-bp1…``, ``eni-bp1…``, UUID4-shaped
Kubernetes uids, Kubernetes' name suffixes). Every design world is in region cn-hangzhou of
the same account; their seeds differ, so their IDs do too.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

REGION = "cn-hangzhou"
ACCOUNT_ID = "1234567890123456"
NOW = "2024-06-03T08:14:52Z"  # the moment every world is observed (the nodes' last heartbeat)

BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"
# Kubernetes' rand.SafeEncodeString alphabet (no vowels, no look-alikes): pod-template-hash, name suffixes.
K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def _digest(seed: str) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")


def encode(seed: str, length: int, alphabet: str) -> str:
    number, out = _digest(seed), []
    for _ in range(length):
        number, rest = divmod(number, len(alphabet))
        out.append(alphabet[rest])
    return "".join(out)


def hexid(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def ali_id(prefix: str, seed: str, length: int = 17) -> str:
    """An Alibaba Cloud resource ID in region cn-hangzhou, e.g. ``eni-bp1x…``."""
    return f"{prefix}-bp1{encode(prefix + seed, length, BASE36)}"


def uid(seed: str) -> str:
    """A UUID4-shaped Kubernetes uid."""
    h = hexid("uid " + seed, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"


def request_id(seed: str) -> str:
    return uid("request " + seed).upper()


def k8s_suffix(seed: str, length: int = 5) -> str:
    return encode("k8s " + seed, length, K8S_ALPHABET)


def later(timestamp: str, seconds: int) -> str:
    """An RFC 3339 UTC timestamp ``seconds`` after another."""
    moment = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_ms(timestamp: str) -> int:
    moment = datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1000


def resource_version(seed: str) -> str:
    return str(1_000_000 + _digest("rv " + seed) % 8_000_000)


def mac(seed: str) -> str:
    """An ECS MAC address (Alibaba Cloud's OUI 00:16:3e)."""
    h = hexid("mac " + seed, 10)
    return "00:16:3e:" + ":".join(h[i : i + 2] for i in (0, 2, 4))


def resource_group(seed: str = "rg") -> str:
    return "rg-acfm" + encode(seed, 11, BASE36)
