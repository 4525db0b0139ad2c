"""ARM error bodies: `{"error": {"code", "message"}}`, raised as exceptions by handlers."""

from __future__ import annotations

import json


class ArmError(Exception):
    """An ARM error answer: HTTP status, error code, message and optional extra headers."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        details: list[dict] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.details = details

    def body(self) -> bytes:
        error: dict = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return json.dumps({"error": error}).encode()


def bad_request(code: str, message: str) -> ArmError:
    return ArmError(400, code, message)


def not_found_resource(resource_type: str, name: str, resource_group: str) -> ArmError:
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{resource_type}/{name}' under resource group '{resource_group}' was not "
        "found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def resource_group_not_found(resource_group: str) -> ArmError:
    return ArmError(
        404, "ResourceGroupNotFound", f"Resource group '{resource_group}' could not be found."
    )


def subscription_not_found(subscription_id: str) -> ArmError:
    return ArmError(
        404, "SubscriptionNotFound", f"The subscription '{subscription_id}' could not be found."
    )


def authorization_failed(action: str, scope: str) -> ArmError:
    return ArmError(
        403,
        "AuthorizationFailed",
        "The client 'acrfence-emulator-user' with object id "
        "'00000000-0000-0000-0000-0000000000aa' does not have authorization to perform action "
        f"'{action}' over scope '{scope}' or the scope is invalid. If access was recently "
        "granted, please refresh your credentials.",
    )
