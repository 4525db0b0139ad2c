"""Subscriptions (Microsoft.Resources): list only what the identity can read; get one."""

from __future__ import annotations

from acrfence.emulator.arm.context import ArmContext, Reply


def list_subscriptions(ctx: ArmContext) -> Reply:
    ctx.require_version("subscriptions")
    with ctx.tenant.lock:
        items = [s.to_json() for s in ctx.tenant.subscriptions.values() if s.accessible]
    return Reply(200, ctx.page(items))


def get_subscription(ctx: ArmContext) -> Reply:
    ctx.require_version("subscriptions")
    sub = ctx.subscription("Microsoft.Resources/subscriptions/read")
    return Reply(200, sub.to_json())
