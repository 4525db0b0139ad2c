"""The emulator's identity: the bearer token it accepts, and a managed-identity endpoint.

Azure clients log in with tokens they can decode: `az login --identity` reads the tenant from
the access token's `tid` claim (PyJWT, signature unchecked), so the emulator's default token
is an unsigned-in-spirit JWT (RS256 header, random signature bytes) with the claims a managed
identity's ARM token carries. `acrfence emulator --token T` replaces it with any string.

The managed-identity endpoint answers `GET /metadata/identity/oauth2/token` on the ARM
listener in the two shapes MSAL's ManagedIdentityClient (what az 2.91 uses) speaks:

- App Service (`IDENTITY_ENDPOINT` = that URL, `IDENTITY_HEADER` = the emulator's
  identity_header): `api-version=2019-08-01`, header `X-IDENTITY-HEADER`, answer with
  `expires_on`;
- IMDS (`AZURE_POD_IDENTITY_AUTHORITY_HOST` = the ARM endpoint): `api-version=2018-02-01`,
  header `Metadata: true`, answer with `expires_in`.

Whatever the `resource`, it hands out the one token the emulator accepts (ARM and the data
plane's `/oauth2/exchange` alike): the emulator has a single identity.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
import uuid

from acrfence.emulator.state import Subscription

IDENTITY_PATH = "/metadata/identity/oauth2/token"
# The managed identity's ids (a system-assigned identity of a VM in the demo tenant).
IDENTITY_OBJECT_ID = "5f1b9c3e-7d2a-4e8b-9c61-0a3d4e5f6a7b"
IDENTITY_CLIENT_ID = "8e2d4f6a-1b3c-4d5e-8f70-9a1b2c3d4e5f"
TOKEN_LIFETIME_S = 30 * 24 * 3600
ISSUED_LIFETIME_S = 24 * 3600  # what the endpoint says each handed-out token lasts


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def default_tenant_id() -> str:
    return Subscription("", "").tenant_id


def make_token(tenant_id: str | None = None) -> str:
    """A fresh JWT for the emulator's identity; every run gets a different one (jti, bytes)."""
    tenant_id = tenant_id or default_tenant_id()
    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "kid": "acrfence-emulator"}
    claims = {
        "aud": "https://management.core.windows.net/",
        "iss": f"https://sts.windows.net/{tenant_id}/",
        "iat": now,
        "nbf": now,
        "exp": now + TOKEN_LIFETIME_S,
        "appid": IDENTITY_CLIENT_ID,
        "appidacr": "2",
        "idtyp": "app",
        "oid": IDENTITY_OBJECT_ID,
        "sub": IDENTITY_OBJECT_ID,
        "tid": tenant_id,
        "jti": str(uuid.uuid4()),
        "ver": "1.0",
    }
    parts = (json.dumps(header).encode(), json.dumps(claims).encode(), secrets.token_bytes(64))
    return ".".join(_b64(part) for part in parts)


def identity_answer(
    query: dict[str, str], headers: dict[str, str], token: str, identity_header: str
) -> tuple[int, dict]:
    """(status, JSON body) for a managed-identity token request, as App Service / IMDS answer."""
    resource = query.get("resource")
    app_service = "x-identity-header" in {k.lower() for k in headers}
    lowered = {k.lower(): v for k, v in headers.items()}
    if app_service:
        if lowered["x-identity-header"] != identity_header:
            return 401, {"statusCode": 401, "message": "The X-IDENTITY-HEADER is not valid."}
    elif lowered.get("metadata", "").lower() != "true":
        return 400, {
            "error": "invalid_request",
            "error_description": "Required metadata header not specified",
        }
    if not resource:
        return 400, {"error": "invalid_request", "error_description": "Required query variable "
                     "'resource' is missing"}  # fmt: skip
    expires_on = int(time.time()) + ISSUED_LIFETIME_S
    body = {
        "access_token": token,
        "expires_on": str(expires_on),
        "resource": resource,
        "token_type": "Bearer",
        "client_id": IDENTITY_CLIENT_ID,
    }
    if not app_service:
        body.update(expires_in=str(ISSUED_LIFETIME_S), ext_expires_in=str(ISSUED_LIFETIME_S))
        body["not_before"] = str(expires_on - ISSUED_LIFETIME_S)
    return 200, body
