"""ACS3-HMAC-SHA256 request signatures checked as the Alibaba Cloud gateway checks them (signature V3).

The canonical request is rebuilt from what arrived: the method, the path, the query string
re-encoded canonically (sorted, RFC 3986 percent-encoding), the signed headers (lower-case name,
trimmed value), the list of signed headers and the SHA-256 of the body, which must equal the
``x-acs-content-sha256`` header. The signature is HMAC-SHA256 with the secret of the access key
named in ``Credential`` over ``ACS3-HMAC-SHA256\\n`` + the hex SHA-256 of the canonical request.
``host``, every ``x-acs-*`` header and ``content-type`` (when sent) must be signed, and
``x-acs-date`` must be within 15 minutes. A failure is the gateway's error code and status.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from urllib.parse import parse_qsl, quote

ALGORITHM = "ACS3-HMAC-SHA256"
MAX_SKEW = datetime.timedelta(minutes=15)

# Test access keys the server knows: ID → secret (none of them is real).
TEST_KEYS: dict[str, str] = {
    "LTAI5tTestOnlyKeyId0000001": "TestOnlySecret-must-never-leak-7f3a9c",  # test_live_cloud
    "LTAI5tLabKeyId000": "lab-secret-never-stored",  # peers.lab
    "LTAI5tFromTheEnvironment": "env-secret",
    "LTAI5tCliQas": "cli-secret",
    "LTAI5tCliOther": "x",
    "LTAI5tIniOps": "ini-secret",
}


class AuthFailure(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _canonical_query(raw_query: str) -> str:
    pairs = sorted(parse_qsl(raw_query, keep_blank_values=True))
    return "&".join(f"{key}={quote(value, safe='~')}" for key, value in pairs)


def verify(
    method: str, path: str, raw_query: str, headers: dict[str, list[str]], body: bytes, keys: dict[str, str]
) -> str:
    """The access key ID of a correctly signed request; ``AuthFailure`` otherwise.

    ``headers`` maps lower-case names to every value received under that name."""
    authorization = (headers.get("authorization") or [""])[0]
    scheme, _, rest = authorization.partition(" ")
    fields = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
    if scheme != ALGORITHM or not {"Credential", "SignedHeaders", "Signature"} <= set(fields):
        raise AuthFailure("IncompleteSignature", f"the Authorization header is not an {ALGORITHM} signature")
    key_id = fields["Credential"]
    if key_id not in keys:
        raise AuthFailure("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
    signed = fields["SignedHeaders"].split(";")
    must = {"host", "content-type"} | {name for name in headers if name.startswith("x-acs-")}
    missing = sorted(name for name in must if name in headers and name not in signed)
    if missing or signed != sorted(signed):
        raise AuthFailure("IncompleteSignature", f"these headers must be signed: {', '.join(missing)}")
    payload = hashlib.sha256(body).hexdigest()
    if (headers.get("x-acs-content-sha256") or [""])[0] != payload:
        raise AuthFailure("SignatureDoesNotMatch", "x-acs-content-sha256 is not the SHA-256 of the body")
    _check_date((headers.get("x-acs-date") or [""])[0])
    canonical_headers = "".join(
        f"{name}:{','.join(sorted(v.strip() for v in headers.get(name, [])))}\n" for name in signed
    )
    canonical = "\n".join([method, path or "/", _canonical_query(raw_query), canonical_headers,
                           fields["SignedHeaders"], payload])  # fmt: skip
    to_sign = f"{ALGORITHM}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    expected = hmac.new(keys[key_id].encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["Signature"]):
        raise AuthFailure(
            "SignatureDoesNotMatch", "The request signature does not conform to Aliyun standards."
        )
    return key_id


def _check_date(text: str) -> None:
    try:
        sent = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
    except ValueError:
        raise AuthFailure("MissingTimestamp", "x-acs-date is missing or not yyyy-MM-ddTHH:mm:ssZ") from None
    if abs(datetime.datetime.now(datetime.UTC) - sent) > MAX_SKEW:
        raise AuthFailure("InvalidTimeStamp.Expired", "x-acs-date is more than 15 minutes away from now")
