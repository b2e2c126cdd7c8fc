"""Named live profiles: which cluster, which cloud region, how to reach the nodes.

A profile lives in a TOML file (``[profiles.<name>]`` tables) so that ``Workbook.live("qas")``
and ``ackwb trace DOMAIN --profile qas`` need no more than a name. A profile says *where*
things are, never *who you are*: credentials come from the kubeconfig and the Alibaba Cloud
credential chain, so a key that looks like a secret is refused outright. Unknown keys are
errors too, because a typo (``jump_hots``) would otherwise silently fall back to a default.

The file is found in this order: the explicit path (``--profiles FILE``), ``$ACKWB_PROFILES``,
``./ackwb.toml``, ``$XDG_CONFIG_HOME/ackwb/profiles.toml`` (``~/.config`` by default).
Standard library only, so the CLI can read a profile without loading any live client.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ackwb.errors import InputError
from ackwb.sources.base import ClusterSettings
from ackwb.sources.rate_limit import PRODUCT_NAMES

ENV_VAR = "ACKWB_PROFILES"
LOCAL_FILE = "ackwb.toml"

# Key names that can only mean a credential; such a key is refused wherever it appears.
SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)|secret|token|access_?key|private_?key|api_?key|^credentials?$|"
    r"^auth(orization)?$|bearer|cookie",
    re.IGNORECASE,
)
# Values that look like an Alibaba Cloud AccessKey ID or a PEM block are refused as well.
SECRET_VALUE = re.compile(r"\bLTAI[0-9A-Za-z]{12,}|-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)")
WHERE_CREDENTIALS_COME_FROM = (
    "profiles hold no credentials: Kubernetes credentials come from the kubeconfig, Alibaba Cloud "
    "credentials from the credential chain (ALIBABA_CLOUD_ACCESS_KEY_ID/SECRET environment "
    "variables, the aliyun CLI's config, ~/.alibabacloud/credentials.ini, or an ECS RAM role; "
    "name an aliyun CLI profile with credential_profile), and SSH keys from identity_file or ssh-agent"
)


@dataclass(frozen=True)
class SshSettings:
    """Node access. Empty ``user``/``port``/``identity_file``/``jump_host`` defer to the SSH config."""

    user: str = ""  # "" → the SSH config's User, else root
    port: int = 0  # 0 → the SSH config's Port, else 22
    identity_file: str = ""  # "" → the SSH config's IdentityFile, else ssh-agent and ~/.ssh/id_*
    jump_host: str = ""  # "[user@]host[:port]" (comma-separated chain) or an SSH config alias; "none"
    known_hosts: str = ""  # "" → the SSH config's UserKnownHostsFile, else ~/.ssh/known_hosts(2), as OpenSSH
    accept_unknown_hosts: bool = False  # True: trust a host key seen for the first time (not saved)
    command_timeout: float = 20.0
    connect_timeout: float = 10.0
    config_file: str = "~/.ssh/config"


@dataclass(frozen=True)
class IngressSettings:
    """Where the ingress-nginx controller runs (ACK defaults)."""

    namespace: str = "kube-system"
    selector: str = "app=ingress-nginx"
    container: str = "nginx-ingress-controller"


@dataclass(frozen=True)
class DnsSettings:
    """Resolvers to use instead of the system's, and the cluster DNS address when not discovered."""

    resolvers: tuple[str, ...] = ()
    cluster_dns: str = ""  # "" → the ClusterIP of kube-system/kube-dns
    cluster_dns_port: int = 53


@dataclass(frozen=True)
class CloudSettings:
    """How to reach the Alibaba Cloud OpenAPI: the SDK's public endpoints unless told otherwise."""

    endpoint: str = ""  # "" → the SDK's endpoint for the region; "host:port" for a VPC or local endpoint
    protocol: str = "https"
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    # requests per second per product (slb, nlb, alb, ecs, vpc, alidns, pvtz, cs); others: DEFAULT_RATE
    rate_limits: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    """One ``[profiles.<name>]`` table; paths are expanded (``~``, relative to the profile file)."""

    name: str
    file: Path
    region: str
    kubeconfig: str = "~/.kube/config"
    context: str = ""  # "" → the kubeconfig's current context
    credential_profile: str = ""  # an aliyun CLI / credentials.ini profile name (not a secret)
    cluster_id: str = ""
    cluster_domain: str = "cluster.local"
    ssh: SshSettings = field(default_factory=SshSettings)
    ingress: IngressSettings = field(default_factory=IngressSettings)
    dns: DnsSettings = field(default_factory=DnsSettings)
    cloud: CloudSettings = field(default_factory=CloudSettings)

    def cluster_settings(self) -> ClusterSettings:
        return ClusterSettings(
            region=self.region,
            cluster_id=self.cluster_id,
            cluster_domain=self.cluster_domain,
            ingress_namespace=self.ingress.namespace,
            ingress_selector=self.ingress.selector,
            ingress_container=self.ingress.container,
        )


MAX_SECONDS = 3600  # the longest timeout a profile may set
PATH_KEYS = {"kubeconfig", "identity_file", "known_hosts", "config_file"}
TABLES: dict[str, type] = {
    "ssh": SshSettings,
    "ingress": IngressSettings,
    "dns": DnsSettings,
    "cloud": CloudSettings,
}
TOP_LEVEL = [f for f in fields(Profile) if f.name not in ("name", "file", *TABLES)]


def candidate_files(path: str | Path | None = None) -> list[Path]:
    """Where profiles are looked for, in order (an explicit path or $ACKWB_PROFILES is the only one)."""
    if path:
        return [Path(path).expanduser()]
    if os.environ.get(ENV_VAR):
        return [Path(os.environ[ENV_VAR]).expanduser()]
    config_home = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return [Path.cwd() / LOCAL_FILE, config_home / "ackwb" / "profiles.toml"]


def find_profiles_file(path: str | Path | None = None) -> Path:
    candidates = candidate_files(path)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    if path or os.environ.get(ENV_VAR):
        origin = "--profiles" if path else f"${ENV_VAR}"
        raise InputError(f"profiles file {candidates[0]} (from {origin}) does not exist")
    looked = ", ".join(str(c) for c in candidates)
    raise InputError(
        f"no profiles file found (looked for {looked}); create one with a [profiles.<name>] table, "
        f"or pass --profiles FILE or set ${ENV_VAR}"
    )


def _read(file: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"{file} is not valid TOML: {error}") from error
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read profiles file {file}: {error}") from error
    extra = sorted(set(data) - {"profiles"})
    if extra:
        raise InputError(
            f"{file}: unknown top-level key {extra[0]!r}; profiles go in [profiles.<name>] tables"
        )
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict) or not all(isinstance(v, dict) for v in profiles.values()):
        raise InputError(f"{file}: 'profiles' must hold tables, one [profiles.<name>] per profile")
    return profiles


def profile_names(path: str | Path | None = None) -> list[str]:
    return sorted(_read(find_profiles_file(path)))


def load_profile(name: str, path: str | Path | None = None) -> Profile:
    """The profile ``name`` from the profiles file; ``InputError`` names file, profile and key."""
    file = find_profiles_file(path)
    profiles = _read(file)
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none"
        raise InputError(f"{file} has no profile {name!r} (profiles there: {known})")
    return _build(name, file, profiles[name])


def load_profiles(path: str | Path | None = None) -> dict[str, Profile]:
    file = find_profiles_file(path)
    return {name: _build(name, file, table) for name, table in sorted(_read(file).items())}


def _build(name: str, file: Path, table: dict[str, Any]) -> Profile:
    where = f"{file}, profile {name!r}"
    _refuse_secrets(where, table)
    known = {f.name: f for f in TOP_LEVEL}
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in TABLES:
            if not isinstance(value, dict):
                raise InputError(f"{where}: {key!r} must be a table ([profiles.{name}.{key}])")
            values[key] = _section(f"{where}, [{key}]", file, TABLES[key], value)
        elif key in known:
            values[key] = _value(where, file, key, known[key].type, value)
        else:
            raise InputError(
                f"{where}: unknown key {key!r} (valid keys: {', '.join(sorted(known) + sorted(TABLES))})"
            )
    for key, cls in TABLES.items():
        values.setdefault(key, _section(f"{where}, [{key}]", file, cls, {}))
    _expand_default_paths(file, TOP_LEVEL, values)
    if not values.get("region"):
        raise InputError(f"{where}: 'region' is missing (for example region = \"cn-hangzhou\")")
    return Profile(name=name, file=file, **values)


def _section(where: str, file: Path, cls: type, table: dict[str, Any]) -> Any:
    known = {f.name: f for f in fields(cls)}
    values = {}
    for key, value in table.items():
        if key not in known:
            raise InputError(f"{where}: unknown key {key!r} (valid keys: {', '.join(sorted(known))})")
        values[key] = _value(where, file, key, known[key].type, value)
    _expand_default_paths(file, fields(cls), values)
    return cls(**values)


def _expand_default_paths(file: Path, declared: Any, values: dict[str, Any]) -> None:
    """Default paths (``~/.ssh/config``...) are expanded like the ones a profile gives."""
    for f in declared:
        if f.name in PATH_KEYS and f.name not in values and f.default:
            values[f.name] = _path(file, f.default)


def _value(where: str, file: Path, key: str, kind: Any, value: Any) -> Any:
    kind = str(kind)  # annotations are strings under `from __future__ import annotations`
    bad = f"{where}: {key} = {value!r} is not valid: expected "
    if kind == "str":
        if not isinstance(value, str):
            raise InputError(bad + "a string")
        return _path(file, value) if key in PATH_KEYS and value else value
    if kind == "bool":
        if not isinstance(value, bool):
            raise InputError(bad + "true or false")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
            raise InputError(bad + "a whole number from 0 to 65535")
        return value
    if kind == "float":  # seconds: nan and inf are floats in TOML, and neither is a timeout
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise InputError(bad + "a positive number of seconds")
        if not 0 < value <= MAX_SECONDS:
            raise InputError(bad + f"a positive number of seconds, at most {MAX_SECONDS}")
        return float(value)
    if kind == "dict[str, float]":  # rate_limits: product → requests per second
        if not isinstance(value, dict):
            raise InputError(bad + "a table of products and requests per second, e.g. { slb = 5 }")
        for product, rate in value.items():
            if product not in PRODUCT_NAMES:
                raise InputError(f"{where}: {key}: unknown product {product!r} ({', '.join(PRODUCT_NAMES)})")
            number = isinstance(rate, (int, float)) and not isinstance(rate, bool)
            if not number or not math.isfinite(rate) or not 0 < rate <= 1000:
                raise InputError(f"{where}: {key}.{product} = {rate!r} must be 0 < rate ≤ 1000")
        return {product: float(rate) for product, rate in value.items()}
    if kind == "tuple[str, ...]":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise InputError(bad + 'a list of strings, for example ["223.5.5.5"]')
        return tuple(value)
    raise AssertionError(f"no check for {kind}")  # a new field without a validator


def _path(file: Path, value: str) -> str:
    expanded = Path(value).expanduser()
    return str(expanded if expanded.is_absolute() else file.parent / expanded)


def _refuse_secrets(where: str, table: dict[str, Any], prefix: str = "") -> None:
    for key, value in table.items():
        dotted = f"{prefix}{key}"
        if key != "credential_profile" and SECRET_KEY.search(key):
            raise InputError(
                f"{where}: key {dotted!r} looks like a credential and is refused; "
                + WHERE_CREDENTIALS_COME_FROM
            )
        if isinstance(value, dict):
            _refuse_secrets(where, value, dotted + ".")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and SECRET_VALUE.search(item):
                raise InputError(
                    f"{where}: the value of {dotted!r} looks like a credential and is refused; "
                    + WHERE_CREDENTIALS_COME_FROM
                )
