"""The dashboard's inventory read on an event loop of its own, in a thread beside the UI's.

Every read goes through the SDK's pipeline: about a millisecond of CPU per request, spread
over its policies and aiohttp. On the dashboard's loop all of it was the screen's time:
streaming the fleet tenant over Resource Graph (13,000 ARM re-reads at ~500 a second) kept
the UI loop CPU-bound, and its longest stall was 35-59 ms. Here the reads run on a loop of
their own and the UI loop only takes the events. The reading loop gives the interpreter to
the UI loop whenever that works (services.loop_first), before each of its turns and each
callback (``GivingWayLoop``). Waiting at each paced request step instead measured no better
(benchmarks/dashboard.py --fleet --via resource-graph: 99th percentile of the ticker's
lateness 12-19 ms against 11-12) and the load took longer.

SDK clients and their aiohttp session belong to the loop they are used in, so the reading
loop has clients of its own (``AzureClients.for_another_loop``). Their tokens are asked of
the app's credential, on the app's loop: one sign-in for the app, whatever the credential.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable
from contextvars import Context
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from acrfence.services.azure import NothingToClose
from acrfence.services.loop_first import UI_LOOP

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken
    from azure.core.credentials_async import AsyncTokenCredential

    from acrfence.services.azure import AzureClients
    from acrfence.services.inventory import InventoryEvent
    from acrfence.services.read_pacing import PacingStatus

__all__ = ["GivingWayLoop", "ReadOnALoopOfItsOwn", "TokensFromAnotherLoop"]


class StreamingInventory(Protocol):
    """What the dashboard reads a tenant with: the ARM path or the Resource Graph path."""

    @property
    def clients(self) -> AzureClients: ...

    def with_clients(self, clients: AzureClients) -> StreamingInventory: ...

    def pacing(self) -> PacingStatus: ...

    def stream(
        self, subscription_ids: Iterable[str] | None = None
    ) -> AsyncIterator[InventoryEvent]: ...


class TokensFromAnotherLoop(NothingToClose):
    """An async credential whose tokens come from `credential`, run on `loop` (its owner's).

    Credentials may hold sessions or subprocess watchers bound to the loop that made them;
    asking them there keeps one token cache and one sign-in. Closing is the owner's job, so
    this one has nothing to close."""

    def __init__(self, credential: AsyncTokenCredential, loop: asyncio.AbstractEventLoop) -> None:
        self._credential = credential
        self._loop = loop

    def __repr__(self) -> str:
        return f"TokensFromAnotherLoop({self._credential!r})"

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        asked = asyncio.run_coroutine_threadsafe(
            self._credential.get_token(*scopes, **kwargs), self._loop
        )
        return await asyncio.wrap_future(asked)


class _GivingWaySelector(selectors.DefaultSelector):
    """Waits while the UI loop works each time it has found what is ready: before each turn
    of the loop it serves."""

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(timeout)
        UI_LOOP.defer()
        return ready


class GivingWayLoop(asyncio.SelectorEventLoop):
    """A loop that waits while the UI loop works (``UI_LOOP.defer``) before each of its turns
    and before each callback.

    Before each turn alone leaves a whole turn between two waits, and a turn runs every
    callback that is ready: dozens of task steps when answers land together, each a
    pipeline step of the SDK. Meanwhile the UI loop's own turn shares the interpreter. Task
    steps and future callbacks all come through ``call_soon``."""

    def __init__(self) -> None:
        super().__init__(_GivingWaySelector())

    def call_soon(  # type: ignore[override]
        self, callback: Callable[..., object], *args: Any, context: Context | None = None
    ) -> asyncio.Handle:
        return super().call_soon(_after_giving_way, callback, *args, context=context)


def _after_giving_way(callback: Callable[..., object], *args: Any) -> None:
    UI_LOOP.defer()
    callback(*args)


@dataclass
class _Ended:
    """The reading loop's last word: how its stream ended."""

    error: BaseException | None = None


class ReadOnALoopOfItsOwn:
    """Streams `inventory`'s events read on a loop of their own, in a thread (see above).

    It stands in for the inventory where the dashboard uses it: ``stream``, ``pacing`` (the
    reading loop's while it reads) and whether it reads through Resource Graph."""

    def __init__(self, inventory: StreamingInventory) -> None:
        self._inventory = inventory
        self._reading: StreamingInventory | None = None  # the reading loop's, while it reads

    def __repr__(self) -> str:
        return f"ReadOnALoopOfItsOwn({self._inventory!r})"

    @property
    def clients(self) -> AzureClients:
        return self._inventory.clients

    @property
    def reads_through_resource_graph(self) -> bool:
        return bool(getattr(self._inventory, "reads_through_resource_graph", False))

    def pacing(self) -> PacingStatus:
        return (self._reading or self._inventory).pacing()

    async def stream(
        self, subscription_ids: Iterable[str] | None = None
    ) -> AsyncIterator[InventoryEvent]:
        """The inventory's events, in its order; its errors are raised here, as they were
        there. Closing this stream early cancels the reads and waits for the thread."""
        here = asyncio.get_running_loop()
        wanted = None if subscription_ids is None else list(subscription_ids)
        clients = self.clients.for_another_loop(
            TokensFromAnotherLoop(self.clients.credential, here)
        )
        reading = self._inventory.with_clients(clients)
        arrived: asyncio.Queue[InventoryEvent | _Ended] = asyncio.Queue()
        finished = here.create_future()

        def hand_over(item: InventoryEvent | _Ended) -> None:
            # The app's loop may be gone when a cancelled read winds down.
            with contextlib.suppress(RuntimeError):
                here.call_soon_threadsafe(arrived.put_nowait, item)

        async def read() -> None:
            try:
                # aclosing: a cancelled stream winds its own tasks down before the clients
                # close, or they would go on into a closed session.
                stream = cast("AsyncGenerator[InventoryEvent, None]", reading.stream(wanted))
                async with clients, contextlib.aclosing(stream) as events:
                    async for event in events:
                        hand_over(event)
            except BaseException as error:  # cancelled too: the consumer has left then
                hand_over(_Ended(error))
                if not isinstance(error, Exception):
                    raise
            else:
                hand_over(_Ended())

        loop = GivingWayLoop()
        task = loop.create_task(read())

        def run() -> None:
            try:
                with contextlib.suppress(asyncio.CancelledError):
                    loop.run_until_complete(task)
                # As asyncio.run does: whatever is left is cancelled and waited for, so
                # nothing logs "exception was never retrieved" on the user's terminal.
                if left := asyncio.all_tasks(loop):
                    for leftover in left:
                        leftover.cancel()
                    loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()
                with contextlib.suppress(RuntimeError):
                    here.call_soon_threadsafe(_settle, finished)

        thread = threading.Thread(target=run, name="acrfence-reading", daemon=True)
        self._reading = reading
        thread.start()
        try:
            while not isinstance(item := await arrived.get(), _Ended):
                yield item
            if item.error is not None:
                raise item.error
        finally:
            if self._reading is reading:
                self._reading = None
            if not finished.done():
                with contextlib.suppress(RuntimeError):  # the loop may have just closed
                    loop.call_soon_threadsafe(task.cancel)
                await asyncio.shield(finished)
            thread.join()  # its loop is closed: it has only to return


def _settle(finished: asyncio.Future[None]) -> None:
    if not finished.done():
        finished.set_result(None)
