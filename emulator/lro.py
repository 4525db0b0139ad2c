"""Long-running operations behind `Azure-AsyncOperation`: InProgress, then Succeeded/Failed.

The first poll answers InProgress, the next one finishes the operation; an operation nobody
polls finishes on its own after a short while so the resource never sticks in "Updating".
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Operation:
    operation_id: str
    # called once with the failure (code, message) or None; applies the final state
    finish: Callable[[tuple[str, str] | None], None]
    failure: tuple[str, str] | None = None
    status: str = "InProgress"
    polls: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def complete(self) -> None:
        with self.lock:
            if self.status != "InProgress":
                return
            self.finish(self.failure)
            self.status = "Failed" if self.failure else "Succeeded"

    def poll(self) -> dict:
        with self.lock:
            self.polls += 1
            first = self.polls == 1
        if not first:
            self.complete()
        body: dict = {"status": self.status}
        if self.status == "Failed" and self.failure:
            body["error"] = {"code": self.failure[0], "message": self.failure[1]}
        return body


class OperationStore:
    def __init__(self) -> None:
        self._operations: dict[str, Operation] = {}
        self._lock = threading.Lock()

    def start(
        self, finish: Callable[[tuple[str, str] | None], None], failure: tuple[str, str] | None
    ) -> Operation:
        operation = Operation(str(uuid.uuid4()), finish, failure)
        with self._lock:
            self._operations[operation.operation_id] = operation
        return operation

    def complete_all(self) -> None:
        """Finish every operation still running: the emulator is stopping, and Azure would
        finish them whether or not anyone polls."""
        with self._lock:
            pending = list(self._operations.values())
        for operation in pending:
            operation.complete()

    def get(self, operation_id: str) -> Operation | None:
        with self._lock:
            return self._operations.get(operation_id.lower())
