"""Errors as users read them: one line, the ARM error code when Azure gave one, no secrets."""

from __future__ import annotations

import re
import ssl

__all__ = ["AcrfenceError", "VerificationFailed", "describe_error", "error_code"]

# Bearer tokens and JWT-looking strings, so a message quoting a header can't leak one.
_SECRET = re.compile(r"(?i)(bearer\s+)\S+|eyJ[\w-]{8,}\.[\w-]+\.[\w-]*")
_MAX_LENGTH = 300


class AcrfenceError(Exception):
    """A failure with a one-line, user-facing message and, when known, the ARM error code."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code

    def __str__(self) -> str:
        return one_line(super().__str__())


class VerificationFailed(AcrfenceError):
    """A write Azure accepted, but the read-back does not show what was planned."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="VerificationFailed")


def one_line(text: str, limit: int = _MAX_LENGTH) -> str:
    """Collapse whitespace, hide anything token-like, and keep it short."""
    flat = " ".join(str(text).split())
    flat = _SECRET.sub(lambda m: f"{m.group(1)}<redacted>" if m.group(1) else "<redacted>", flat)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _with_code(sentence: str, code: str | None) -> str:
    """``sentence (ARM error CODE)``; a long sentence is shortened, never the code."""
    suffix = f" (ARM error {code})" if code else ""
    return one_line(sentence, _MAX_LENGTH - len(suffix)) + suffix


def error_code(exc: BaseException) -> str | None:
    """The ARM error code of ``exc`` (or the HTTP status as text), when there is one."""
    if isinstance(exc, AcrfenceError):
        return exc.code
    error = getattr(exc, "error", None)
    code = getattr(error, "code", None)
    if code:
        return str(code)
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return str(status) if status else None


def _arm_message(exc: BaseException) -> str:
    error = getattr(exc, "error", None)
    message = getattr(error, "message", None)
    if message:
        return str(message)
    reason = getattr(exc, "reason", None)
    status = getattr(getattr(exc, "response", None), "status_code", None)
    if status:
        return f"HTTP {status} {reason or ''}".strip()
    return str(getattr(exc, "message", None) or exc)


def _root_causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        inner = getattr(current, "inner_exception", None)
        current = inner or current.__cause__ or current.__context__
    return chain


def _is_tls_failure(chain: list[BaseException]) -> bool:
    for cause in chain:
        if isinstance(cause, ssl.SSLError):
            return True
        if type(cause).__name__ in {"ClientConnectorCertificateError", "ClientSSLError"}:
            return True
    return False


def describe_error(exc: BaseException) -> str:
    """One sentence for a user: what went wrong and, from Azure, its ARM error code."""
    from azure.core.exceptions import (
        ClientAuthenticationError,
        HttpResponseError,
        ServiceRequestError,
        ServiceResponseError,
    )

    if isinstance(exc, AcrfenceError):
        return str(exc)
    chain = _root_causes(exc)
    if isinstance(exc, HttpResponseError) and exc.response is not None:
        code = error_code(exc)
        message = _arm_message(exc)
        if isinstance(exc, ClientAuthenticationError) or exc.status_code == 401:
            return _with_code(f"Azure did not accept the credentials: {message}", code)
        return _with_code(f"Azure refused: {message}", code)
    if isinstance(exc, ClientAuthenticationError):
        # azure.identity: no credential could produce a token (no response from ARM at all).
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        # Say what to do, not only that the chain failed (its own list of eight is not shown).
        return one_line(
            f"could not get an Azure token: {first} (sign in with `az login`, or set "
            "ACRFENCE_TOKEN)"
        )
    if _is_tls_failure(chain):
        return one_line(
            "TLS verification of the ARM endpoint failed (wrong or missing CA bundle? "
            f"see ACRFENCE_CA_CERT): {chain[-1]}"
        )
    if isinstance(exc, ServiceRequestError | ServiceResponseError | OSError):
        return one_line(f"could not reach the ARM endpoint: {chain[-1]}")
    if isinstance(exc, TimeoutError):
        return "the request to Azure timed out"
    return one_line(f"{type(exc).__name__}: {exc}")
