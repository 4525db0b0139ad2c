"""The HTTP stages of a host probe: the firewall's answer to ``GET /v2/``, then the token dance.

ACR answers an anonymous ``GET /v2/`` with a 401 challenge when its firewall lets the caller
in, and with ``403 {"errors":[{"code":"DENIED","message":"client with IP '…' is not allowed
access…"}]}`` when a network rule refuses it. With a signed-in identity the probe goes on:
``/oauth2/exchange`` (ARM token -> refresh token), ``/oauth2/token`` (-> access token for the
catalog) and one authorised ``GET /v2/_catalog``; or, asked to pull an image, an access token
for ``repository:R:pull`` and ``GET /v2/R/manifests/TAG`` (pull.py). Tokens stay in local
variables: never in a detail, a log line or an exception message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpcore
import httpx

from acrfence.services.models import Stage, Verdict
from acrfence.services.probe.options import TokenProvider
from acrfence.services.probe.pull import MANIFEST_ACCEPT, ImageReference, manifest_outcome
from acrfence.services.probe.transport import StageFailed, StageRecorder

__all__ = ["HttpOutcome", "parse_denied_client_ip", "run_http_stages"]

_CLIENT_IP = re.compile(r"client with IP '([^']+)'")
CATALOG_SCOPE = "registry:catalog:*"


@dataclass(frozen=True)
class HttpOutcome:
    verdict: Verdict
    stage: Stage
    detail: str
    client_ip: str | None = None
    image: str | None = None  # the image whose manifest came back (a pull)


def parse_denied_client_ip(body: bytes) -> tuple[bool, str | None]:
    """(is a DENIED error, the client IP it names) from an ACR error body."""
    try:
        errors = httpx.Response(200, content=body).json().get("errors") or []
    except (ValueError, AttributeError):
        return False, None
    for error in errors:
        if isinstance(error, dict) and str(error.get("code", "")).upper() == "DENIED":
            match = _CLIENT_IP.search(str(error.get("message", "")))
            return True, match.group(1) if match else None
    return False, None


_REALM = re.compile(r'realm="?https://[^",]+/oauth2/token"?', re.IGNORECASE)


def _is_registry_challenge(response: httpx.Response) -> bool:
    """ACR's 401 names its token endpoint: ``Bearer realm="https://<name>/oauth2/token"``."""
    header = response.headers.get("www-authenticate", "")
    return header.lower().startswith("bearer") and bool(_REALM.search(header))


def _error_code(response: httpx.Response) -> str:
    """The error code of an ACR body (``errors[0].code``) or an ARM one (``error.code``)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("code") or "")
    error = body.get("error")
    return str(error.get("code") or "") if isinstance(error, dict) else ""


async def _send(
    client: httpx.AsyncClient,
    recorder: StageRecorder,
    stage: Stage,
    request: httpx.Request,
    began: tuple[float, int] | None = None,
) -> tuple[httpx.Response, tuple[float, int]]:
    began = began or recorder.started(stage)
    try:
        return await client.send(request), began
    except StageFailed:
        raise  # TCP or TLS already recorded their own failure
    except (httpx.TimeoutException, httpcore.TimeoutException, TimeoutError):
        detail = f"{request.method} {request.url.path} got no answer in time"
        recorder.finish(stage, began, False, detail)
        raise StageFailed(stage, Verdict.TIMEOUT, detail) from None
    except (
        httpx.HTTPError,
        httpcore.ConnectError,
        httpcore.NetworkError,
        httpcore.ProtocolError,
        OSError,
    ) as error:
        detail = f"{request.method} {request.url.path} failed: {type(error).__name__}"
        recorder.finish(stage, began, False, detail)
        raise StageFailed(stage, Verdict.CONNECT_FAILED, detail) from None


def _refused(
    recorder: StageRecorder, stage: Stage, began: tuple[float, int], response: httpx.Response
) -> HttpOutcome | None:
    """A 403 DENIED at any HTTP stage is the firewall; anything else is unexpected."""
    denied, client_ip = parse_denied_client_ip(response.content)
    if denied:
        who = f"client IP {client_ip}" if client_ip else "this client"
        detail = f"HTTP 403 DENIED: the registry firewall refused {who}"
        recorder.finish(stage, began, False, detail, response.status_code)
        return HttpOutcome(Verdict.DENIED, stage, detail, client_ip)
    return None


async def run_http_stages(
    client: httpx.AsyncClient,
    recorder: StageRecorder,
    base_url: str,
    service: str,
    token_provider: TokenProvider | None,
    pull: ImageReference | None = None,
    *,
    pull_listed: bool = False,
) -> HttpOutcome:
    """Run ``GET /v2/`` and, on the login server with a token provider, the token stages:
    ending in a catalog read, or with ``pull`` in fetching that image's manifest, or with
    ``pull_listed`` in fetching the manifest of an image the catalog lists."""
    response, began = await _send(
        client, recorder, Stage.CHALLENGE, client.build_request("GET", f"{base_url}/v2/")
    )
    status = response.status_code
    if status == 403:
        outcome = _refused(recorder, Stage.CHALLENGE, began, response)
        if outcome is not None:
            return outcome
    if status == 200:
        detail = "HTTP 200: anonymous access is on"
        recorder.finish(Stage.CHALLENGE, began, True, detail, status)
        return HttpOutcome(Verdict.REACHABLE, Stage.CHALLENGE, detail)
    if status == 401 and not _is_registry_challenge(response):
        # Something answered, but not a registry: a proxy, ARM, a wrong --connect-to.
        code = _error_code(response) or "no registry challenge"
        detail = f"HTTP 401 ({code}) without ACR's Bearer realm .../oauth2/token challenge"
        recorder.finish(Stage.CHALLENGE, began, False, detail, status)
        return HttpOutcome(Verdict.UNEXPECTED_STATUS, Stage.CHALLENGE, detail)
    if status != 401:
        code = _error_code(response)
        detail = f"HTTP {status}{' ' + code if code else ''} where 401 or 403 was expected"
        recorder.finish(Stage.CHALLENGE, began, False, detail, status)
        return HttpOutcome(Verdict.UNEXPECTED_STATUS, Stage.CHALLENGE, detail)
    recorder.finish(
        Stage.CHALLENGE, began, True, "HTTP 401 challenge: the network lets us in", status
    )
    if token_provider is None:
        return HttpOutcome(
            Verdict.AUTH_REQUIRED, Stage.CHALLENGE, "the network lets us in; no credentials tried"
        )
    return await _authorised(client, recorder, base_url, service, token_provider, pull, pull_listed)


async def _authorised(
    client: httpx.AsyncClient,
    recorder: StageRecorder,
    base_url: str,
    service: str,
    token_provider: TokenProvider,
    pull: ImageReference | None,
    pull_listed: bool = False,
) -> HttpOutcome:
    began = recorder.started(Stage.EXCHANGE)
    try:
        arm_token = await token_provider()
    except Exception as error:  # noqa: BLE001 - any sign-in failure ends the token stages
        detail = f"no signed-in token: {type(error).__name__}"
        recorder.finish(Stage.EXCHANGE, began, False, detail)
        return HttpOutcome(Verdict.AUTH_REQUIRED, Stage.EXCHANGE, detail)
    form = {"grant_type": "access_token", "service": service, "access_token": arm_token}
    request = client.build_request("POST", f"{base_url}/oauth2/exchange", data=form)
    response, _ = await _send(client, recorder, Stage.EXCHANGE, request, began)
    refresh_token = _token_field(response, "refresh_token")
    failure = _stage_end(
        recorder, Stage.EXCHANGE, began, response, refresh_token, "refresh token issued"
    )
    if failure is not None:
        return failure
    assert refresh_token is not None  # without one, _stage_end ended the probe above

    scope = pull.scope if pull is not None else CATALOG_SCOPE
    access_token, failure = await _access_token(
        client, recorder, base_url, service, refresh_token, scope
    )
    if failure is not None:
        return failure
    if pull is not None:
        return await _fetch_manifest(client, recorder, base_url, access_token, pull)

    request = client.build_request(
        "GET", f"{base_url}/v2/_catalog", headers={"Authorization": f"Bearer {access_token}"}
    )
    response, began = await _send(client, recorder, Stage.AUTHORISED, request)
    if response.status_code == 200:
        repositories = _listed(response, "repositories")
        if repositories is None:
            detail = "HTTP 200: catalog read"
        else:
            count = len(repositories)
            detail = f"HTTP 200: catalog lists {count} repositor{'y' if count == 1 else 'ies'}"
        recorder.finish(Stage.AUTHORISED, began, True, detail, 200)
        if pull_listed and repositories:
            return await _pull_listed(
                client, recorder, base_url, service, refresh_token, repositories[0]
            )
        return HttpOutcome(Verdict.REACHABLE, Stage.AUTHORISED, detail)
    outcome = _stage_end(recorder, Stage.AUTHORISED, began, response, None, "")
    assert outcome is not None  # with no token to show, the stage always ends the probe
    return outcome


async def _access_token(
    client: httpx.AsyncClient,
    recorder: StageRecorder,
    base_url: str,
    service: str,
    refresh_token: str,
    scope: str,
) -> tuple[str | None, HttpOutcome | None]:
    """POST /oauth2/token: the refresh token for an access token to ``scope``; (the token,
    None), or (None, the outcome that ends the probe here)."""
    form = {
        "grant_type": "refresh_token",
        "service": service,
        "scope": scope,
        "refresh_token": refresh_token,
    }
    request = client.build_request("POST", f"{base_url}/oauth2/token", data=form)
    response, began = await _send(client, recorder, Stage.TOKEN, request)
    access_token = _token_field(response, "access_token")
    failure = _stage_end(
        recorder, Stage.TOKEN, began, response, access_token, f"access token for {scope}"
    )
    return access_token, failure


async def _pull_listed(
    client: httpx.AsyncClient,
    recorder: StageRecorder,
    base_url: str,
    service: str,
    refresh_token: str,
    repository: str,
) -> HttpOutcome:
    """A pull token for ``repository`` (from the same refresh token), its tags, then the
    manifest of ``latest`` or, without one, of its first tag."""
    access_token, failure = await _access_token(
        client, recorder, base_url, service, refresh_token, f"repository:{repository}:pull"
    )
    if failure is not None:
        return failure
    request = client.build_request(
        "GET",
        f"{base_url}/v2/{repository}/tags/list",
        headers={"Authorization": f"Bearer {access_token}"},
    )
    response, began = await _send(client, recorder, Stage.AUTHORISED, request)
    if response.status_code != 200:
        ended = _stage_end(recorder, Stage.AUTHORISED, began, response, None, "")
        assert ended is not None  # with no token to show, the stage always ends the probe
        return ended
    tags = _listed(response, "tags") or []
    detail = f"HTTP 200: {repository} has {len(tags)} tag(s)"
    recorder.finish(Stage.AUTHORISED, began, True, detail, 200)
    if not tags:
        return HttpOutcome(Verdict.REACHABLE, Stage.AUTHORISED, detail)
    image = ImageReference(repository, "latest" if "latest" in tags else tags[0])
    return await _fetch_manifest(client, recorder, base_url, access_token, image)


def _listed(response: httpx.Response, field: str) -> list[str] | None:
    """The names a catalog (``repositories``) or tag list (``tags``) answer holds."""
    try:
        names = response.json().get(field)
    except (ValueError, AttributeError):
        return None
    return [str(n) for n in names or () if isinstance(n, str)]


async def _fetch_manifest(
    client: httpx.AsyncClient,
    recorder: StageRecorder,
    base_url: str,
    access_token: str | None,
    pull: ImageReference,
) -> HttpOutcome:
    headers = {"Authorization": f"Bearer {access_token}", "Accept": MANIFEST_ACCEPT}
    request = client.build_request("GET", f"{base_url}{pull.path}", headers=headers)
    response, began = await _send(client, recorder, Stage.MANIFEST, request)
    check = manifest_outcome(pull, response)
    if check is None:
        ended = _stage_end(recorder, Stage.MANIFEST, began, response, None, "")
        assert ended is not None  # with no token the stage always ends the probe
        return ended
    recorder.finish(Stage.MANIFEST, began, check.ok, check.detail, response.status_code)
    pulled = str(pull) if check.verdict is Verdict.REACHABLE else None
    return HttpOutcome(check.verdict, Stage.MANIFEST, check.detail, image=pulled)


def _token_field(response: httpx.Response, name: str) -> str | None:
    if response.status_code != 200:
        return None
    try:
        value = response.json().get(name)
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value else None


def _stage_end(
    recorder: StageRecorder,
    stage: Stage,
    began: tuple[float, int],
    response: httpx.Response,
    token: str | None,
    success: str,
) -> HttpOutcome | None:
    """None when the stage succeeded; otherwise the outcome that ends the probe here."""
    status = response.status_code
    if token is not None:
        recorder.finish(stage, began, True, success, status)
        return None
    if status == 403:
        outcome = _refused(recorder, stage, began, response)
        if outcome is not None:
            return outcome
    code = _error_code(response)
    if status in (400, 401, 403):
        detail = f"HTTP {status}{' ' + code if code else ''}: the credentials were refused"
        recorder.finish(stage, began, False, detail, status)
        return HttpOutcome(Verdict.AUTH_FAILED, stage, detail)
    detail = f"HTTP {status}{' ' + code if code else ''}" + (
        " without a token" if status == 200 else ""
    )
    recorder.finish(stage, began, False, detail, status)
    return HttpOutcome(Verdict.UNEXPECTED_STATUS, stage, detail)
