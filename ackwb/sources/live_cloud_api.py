"""What ackwb knows about each Alibaba Cloud product's OpenAPI, as data: version, style, endpoint.

``LiveCloud`` makes every call through one generic SDK path, so the differences between
products live here: the API version that goes into ``x-acs-version``, whether the product
speaks RPC (``POST /`` with the parameters in the query string) or ROA (REST paths, only
CS here), the SDK package whose client knows the product's endpoint per region (with a
template for when that package is not installed), and whether read calls need a
``RegionId``. Nothing here imports an SDK; the peer used in tests reads the same table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

READ_PREFIXES = ("Describe", "List", "Get")  # every allow-listed action starts so (a second check)


@dataclass(frozen=True)
class Product:
    """One OpenAPI product as ackwb calls it."""

    version: str  # the API version, e.g. 2014-05-15
    package: str  # the official SDK package; its client maps regions to endpoints
    endpoint_template: str  # used when the package is not installed; {region} is replaced
    style: str = "RPC"  # RPC or ROA
    needs_region: bool = True  # add RegionId to the query when the caller did not
    central_endpoint: str = ""  # one endpoint for every region (the SDK's regional one is not used)


PRODUCTS: dict[str, Product] = {
    # Alidns is a global service: its central endpoint answers for every region (the SDK would pick
    # alidns.<region>.aliyuncs.com outside cn-hangzhou).
    "alidns": Product("2015-01-09", "alibabacloud_alidns20150109", "alidns.aliyuncs.com",
                      needs_region=False, central_endpoint="alidns.aliyuncs.com"),
    # PrivateZone is global too: pvtz.aliyuncs.com answers for every region (the SDK maps a few regions
    # there and the rest to pvtz.<region>.aliyuncs.com). Its read actions take no RegionId.
    "pvtz": Product("2018-01-01", "alibabacloud_pvtz20180101", "pvtz.aliyuncs.com", needs_region=False,
                    central_endpoint="pvtz.aliyuncs.com"),
    "slb": Product("2014-05-15", "alibabacloud_slb20140515", "slb.{region}.aliyuncs.com"),
    "nlb": Product("2022-04-30", "alibabacloud_nlb20220430", "nlb.{region}.aliyuncs.com"),
    # ALB's region is its endpoint's: the SDK's request models (1.3.3) have no RegionId parameter.
    "alb": Product("2020-06-16", "alibabacloud_alb20200616", "alb.{region}.aliyuncs.com", needs_region=False),
    "ecs": Product("2014-05-26", "alibabacloud_ecs20140526", "ecs.{region}.aliyuncs.com"),
    "vpc": Product("2016-04-28", "alibabacloud_vpc20160428", "vpc.{region}.aliyuncs.com"),
    "cs": Product("2015-12-15", "alibabacloud_cs20151215", "cs.{region}.aliyuncs.com", style="ROA",
                  needs_region=False),
}  # fmt: skip

# ROA actions: the path with {Param} placeholders; those parameters leave the query string.
ROA_PATHS: dict[tuple[str, str], str] = {
    ("cs", "DescribeClusterDetail"): "/clusters/{ClusterId}",
    ("cs", "DescribeClusterNodes"): "/clusters/{ClusterId}/nodes",
    ("cs", "ListClusterAddonInstances"): "/clusters/{ClusterId}/addon_instances",
    ("cs", "DescribeClusterAddonsVersion"): "/clusters/{ClusterId}/components/version",
}

# Codes the API answers when it is throttling; the call is repeated after a pause.
THROTTLING_CODES = frozenset({"Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable"})
# Codes that mean "this RAM identity may not make the call".
DENIED_CODES = frozenset({"Forbidden.RAM", "NoPermission", "Forbidden", "Forbidden.NoPermission"})
# Codes that mean the credentials themselves were rejected, whatever the action.
REJECTED_CREDENTIAL_CODES = frozenset({
    "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive", "InvalidAccessKeyId",
    "SignatureDoesNotMatch", "IncompleteSignature", "InvalidTimeStamp.Expired",
    "InvalidSecurityToken.Expired", "InvalidSecurityToken.Malformed",
    "InvalidSecurityToken.MismatchWithAccessKey",
})  # fmt: skip

_PATH_VALUE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_PLACEHOLDER = re.compile(r"{(\w+)}")


def is_read_action(action: str) -> bool:
    """Named like a read: Describe*, List*, Get*. Necessary, not sufficient: ``cloud_actions.is_allowed``
    decides what may be called."""
    return action.startswith(READ_PREFIXES) and action.isalnum()


def product_of_version(version: str) -> str | None:
    """The product whose API has this version (versions are unique among PRODUCTS)."""
    return next((name for name, p in PRODUCTS.items() if p.version == version), None)


def wire_value(value: Any) -> str:
    """A parameter value as the query string carries it (booleans in lower case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def wire_query(params: dict[str, Any]) -> dict[str, str]:
    """Parameters in wire form: scalars as text, lists flattened to ``Name.1``, ``Name.2``…"""
    query: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            query.update({f"{key}.{i}": wire_value(v) for i, v in enumerate(value, start=1)})
        else:
            query[key] = wire_value(value)
    return query


def roa_path(product: str, action: str, query: dict[str, str]) -> tuple[str, dict[str, str]] | None:
    """For an ROA action: its path with the path parameters filled in, and the rest of the query.

    None when the action has no known path. Raises ``ValueError`` naming the parameter
    when a path parameter is missing or is not a plain identifier (it goes into a URL).
    """
    template = ROA_PATHS.get((product, action))
    if template is None:
        return None
    rest = dict(query)

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = rest.pop(name, "")
        if not _PATH_VALUE.match(value):
            raise ValueError(f"{name} must be a plain identifier (letters, digits, - _ .), got {value!r}")
        return quote(value, safe="")

    return _PLACEHOLDER.sub(fill, template), rest
