"""ACR's data-plane tokens: refresh and access tokens as JWTs, and the scopes they grant.

ACR hands out JWTs: the refresh token from `/oauth2/exchange` (clients read its `exp` to know
when to exchange again; the ACR SDK decodes it), and the access token from `/oauth2/token`,
whose `access` claim lists what it grants, in the docker token format:
`[{"type": "repository", "name": "samples/nginx", "actions": ["pull"]}]`. The emulator signs
them (HS256, a key of its own) so it can check them without remembering every token.

The ACR SDK decodes the payload with `base64.b64decode` (standard alphabet, after adding
`len % 4` padding characters), not the URL-safe decoder JWTs need; a payload whose encoding
holds `-` or `_` or needs padding would be read wrong. So payloads are padded to a multiple
of three bytes and re-drawn (a new `jti`) until their encoding uses only characters both
alphabets share.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass

ISSUER = "Azure Container Registry"
REFRESH_LIFETIME_S = 3 * 3600
ACCESS_LIFETIME_S = 75 * 60


@dataclass(frozen=True)
class Scope:
    """`type:name:actions`, e.g. repository:samples/nginx:pull,push or registry:catalog:*."""

    type: str
    name: str
    actions: tuple[str, ...]

    def to_claim(self) -> dict:
        return {"type": self.type, "name": self.name, "actions": list(self.actions)}


def parse_scopes(values: list[str]) -> list[Scope]:
    """Scopes from one or more `scope` parameters (each may hold several, space-separated).

    The name may itself hold colons (a repository behind a port), so the type is what comes
    before the first colon and the actions what comes after the last. Malformed scopes are
    skipped, as ACR grants nothing for them.
    """
    scopes = []
    for value in values:
        for item in value.split():
            kind, _, rest = item.partition(":")
            name, _, actions = rest.rpartition(":")
            if kind and name and actions:
                scopes.append(Scope(kind, name, tuple(a for a in actions.split(",") if a)))
    return scopes


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class TokenSigner:
    """Mints and checks the tokens of one emulator run."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())

    def _mint(self, claims: dict) -> str:
        for _ in range(1000):
            body = {"jti": str(uuid.uuid4()), **claims}
            payload = json.dumps(body, separators=(",", ":")).encode()
            payload += b" " * (-len(payload) % 3)  # no padding needed (see the docstring)
            encoded = _b64(payload)
            if "-" not in encoded and "_" not in encoded:
                break
        signing_input = f"{self._header}.{encoded}"
        signature = hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{_b64(signature)}"

    def _claims(self, audience: str, lifetime: int, subject: str) -> dict:
        now = int(time.time())
        return {
            "sub": subject,
            "nbf": now - 60,
            "exp": now + lifetime,
            "iat": now,
            "iss": ISSUER,
            "aud": audience,
            "version": "1.0",
        }

    def refresh_token(self, audience: str, subject: str) -> str:
        claims = self._claims(audience, REFRESH_LIFETIME_S, subject)
        claims.update(grant_type="refresh_token", permissions={"actions": ["*"]})
        return self._mint(claims)

    def access_token(self, audience: str, subject: str, scopes: list[Scope]) -> str:
        claims = self._claims(audience, ACCESS_LIFETIME_S, subject)
        claims.update(grant_type="access_token", access=[s.to_claim() for s in scopes])
        return self._mint(claims)

    def sign_path(self, path: str, lifetime_s: int = 20 * 60) -> str:
        """A query string that lets anyone GET `path` until it expires, as the URLs ACR
        redirects blob downloads to (on a data endpoint, or storage) carry their own grant."""
        expires = int(time.time()) + lifetime_s
        mac = hmac.new(self._key, f"{path}|{expires}".encode(), hashlib.sha256).digest()
        return f"se={expires}&sp=r&sig={_b64(mac)}"

    def verify_path(self, path: str, expires: str, signature: str) -> bool:
        try:
            if int(expires) < time.time():
                return False
        except ValueError:
            return False
        mac = hmac.new(self._key, f"{path}|{expires}".encode(), hashlib.sha256).digest()
        return hmac.compare_digest(_b64(mac), signature)

    def verify(self, token: str, audience: str, grant_type: str) -> dict | None:
        """The claims of a token this run issued for `audience`, unexpired; else None."""
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256)
        if not hmac.compare_digest(_b64(expected.digest()), parts[2]):
            return None
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:
            return None
        if claims.get("aud", "").lower() != audience.lower():
            return None
        if claims.get("grant_type") != grant_type or claims.get("exp", 0) < time.time():
            return None
        return claims


def grants(claims: dict, kind: str, name: str, action: str) -> bool:
    """Whether an access token's `access` claim allows `action` on `kind:name`."""
    for entry in claims.get("access") or []:
        if entry.get("type") != kind or entry.get("name") != name:
            continue
        actions = entry.get("actions") or []
        if action in actions or "*" in actions:
            return True
    return False
