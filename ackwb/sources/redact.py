"""What a capture removes before anything is written: credential patterns, and the parts of
Kubernetes objects that carry secrets by nature.

Two passes, both applied by ``recording``:

- ``scrub_kube`` cuts Kubernetes objects down to what steps read (``kept_fields``): only the
  kept annotations, no ``managedFields``; for every container, init container and ephemeral
  container, no ``command``, no ``lifecycle``, no probe commands or headers, ``env`` reduced to
  names and no ``envFrom``, and ``args`` reduced to the ingress controller's class flags;
  ConfigMaps keep only the kept data keys.
- ``redact_data`` / ``redact_text`` run over every string of every recorded file (Kubernetes
  objects, nginx.conf, dynamic backends, cloud answers, command output) and replace what looks
  like a credential: Alibaba Cloud AccessKey IDs (``LTAI…``) and STS tokens, PEM blocks (also
  when the END line is missing), ``Basic``/``Bearer`` credentials, ``Authorization`` header
  values, ``password=``/``token:``/``secret=``-style values, and any string under a key named
  like a credential.

The patterns err on the side of removing: a redacted word in a comment costs nothing, a key in
a snapshot costs the account.
"""

from __future__ import annotations

import re
from typing import Any

from ackwb.sources.kept_fields import KEPT_CONFIGMAP_KEYS, keeps_annotation, kept_flag

REDACTED = "<redacted by ackwb>"
_SECRET_WORD = r"(?:pass(?:word|wd|phrase)|pwd|secret|token|api[_-]?key|access[_-]?key(?:[_-]?(?:id|secret))?|private[_-]?key|credentials?|auth[_-]?key)"  # noqa: E501
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # PEM blocks: whole, else from BEGIN through the base64 body that follows (no END line)
    (re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?-----END [A-Z0-9 ]+-----", re.S), REDACTED),
    (re.compile(r"-----BEGIN [A-Z0-9 ]+-----"  # then lines of base64 (or PEM headers), maybe in comments
                r"(?:(?:\r?\n|(?:\\r)?\\n)[ \t#]*(?:[A-Za-z0-9+/=]{4,}|(?:Proc-Type|DEK-Info):[^\n\\\"]*)"
                r"[ \t]*(?=\r?\n|(?:\\r)?\\n|\"|\Z))*"), REDACTED),
    (re.compile(r"\bLTAI[0-9A-Za-z]{8,40}"), REDACTED),  # AccessKey ID
    (re.compile(r"\bSTS\.[0-9A-Za-z._-]{16,}"), REDACTED),  # STS security token
    # an Authorization header's value, whatever its scheme
    (re.compile(r"(?i)(\b(?:proxy-)?authorization[\"']?\s*[:=]?\s*)"
                r"(\"[^\"]*\"|'[^']*'|[^\s;,\"']+(?:\s+[^\s;,\"']+)?)"),
     r"\1" + REDACTED),
    (re.compile(r"(?i)\b(basic|bearer|digest)(\s+)[A-Za-z0-9._~+/-]{8,}=*"), r"\1\2" + REDACTED),
    # key=value, key: value, "key": "value" where the key names a credential
    (re.compile(rf"(?i)(\b[\w.-]*{_SECRET_WORD}[\w.-]*\\?[\"']?\s*[=:]\s*)(?!{re.escape(REDACTED)})"
                r"(\\?\"[^\"\\]*\\?\"|'[^']*'|[^\s&;,\"'}\]\\]+)"),
     r"\1" + REDACTED),
]  # fmt: skip
_SECRET_KEY = re.compile(rf"(?i){_SECRET_WORD}")
NOT_SECRET_KEYS = frozenset(  # names and switches, not credentials (secretName names a Secret object)
    {"NextToken", "nextToken", "next_token", "TokenType", "automountServiceAccountToken", "secretName"}
)
POD_SPEC_PATHS = (
    ("spec",), ("spec", "template", "spec"), ("spec", "jobTemplate", "spec", "template", "spec")
)  # fmt: skip
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def redact_text(text: str) -> str:
    """``text`` with every credential pattern replaced by ``REDACTED``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_data(value: Any, key: str = "") -> Any:
    """A copy of JSON-shaped data with every string passed through ``redact_text``, and any string
    under a key named like a credential (``password``, ``token``, ``accessKeySecret``...) replaced."""
    if isinstance(value, dict):
        return {k: redact_data(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_data(item, key) for item in value]
    if isinstance(value, str):
        if value and key not in NOT_SECRET_KEYS and _SECRET_KEY.search(key):
            return REDACTED
        return redact_text(value)
    return value


def scrub_kube(obj: dict[str, Any], resource: str) -> dict[str, Any]:
    """A copy of a Kubernetes object holding only what steps read of the parts that carry secrets."""
    obj = redact_data(obj)  # a deep copy, with the credential patterns gone already
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict):
            meta["annotations"] = {k: v for k, v in annotations.items() if keeps_annotation(str(k))}
    for path in POD_SPEC_PATHS:
        spec = _dig(obj, path)
        if isinstance(spec, dict):
            for name in CONTAINER_LISTS:
                for container in spec.get(name) or [] if isinstance(spec.get(name), list) else []:
                    if isinstance(container, dict):
                        _scrub_container(container)
    if resource == "configmaps" and isinstance(meta, dict):
        where = (str(meta.get("namespace", "")), str(meta.get("name", "")))
        kept = KEPT_CONFIGMAP_KEYS.get(where, frozenset())
        if isinstance(obj.get("data"), dict):
            obj["data"] = {k: v for k, v in obj["data"].items() if k in kept}
        obj.pop("binaryData", None)
    return obj


def _scrub_container(container: dict[str, Any]) -> None:
    for dropped in ("command", "envFrom", "lifecycle"):
        container.pop(dropped, None)
    if isinstance(container.get("env"), list):
        container["env"] = [{"name": e.get("name")} for e in container["env"] if isinstance(e, dict)]
    if "args" in container:
        container["args"] = _kept_args(container["args"])
    for probe in PROBES:
        if isinstance(container.get(probe), dict):
            container[probe].pop("exec", None)
            if isinstance(container[probe].get("httpGet"), dict):
                container[probe]["httpGet"].pop("httpHeaders", None)


def _kept_args(args: Any) -> list[str]:
    """The kept flags of a container's args (``--flag=value``, or ``--flag value`` as two items)."""
    if not isinstance(args, list):
        return []
    kept: list[str] = []
    for i, argument in enumerate(args):
        if not isinstance(argument, str):
            continue
        if kept_flag(argument):
            kept.append(argument)
            following = args[i + 1] if i + 1 < len(args) else None
            if "=" not in argument and isinstance(following, str) and not following.startswith("-"):
                kept.append(following)
    return kept


def _dig(obj: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj
