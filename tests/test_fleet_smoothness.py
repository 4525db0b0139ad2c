"""What keeps the dashboard's loop free while a fleet streams in over Resource Graph: reads
spread over the loop's turns (services.loop_turns), pages decoded row by row
(services.json_rows). Both are counted in turns and rows, never timed."""

from __future__ import annotations

import asyncio
import json

import pytest

from acrfence.services.json_rows import decode_rows
from acrfence.services.loop_turns import LoopTurns


async def test_a_burst_of_waiters_goes_on_a_few_per_turn_in_order() -> None:
    turns = LoopTurns(per_turn=4)
    turn = 0
    running = True

    def count_turns() -> None:  # one call per turn of the loop
        nonlocal turn
        turn += 1
        if running:
            asyncio.get_running_loop().call_soon(count_turns)

    asyncio.get_running_loop().call_soon(count_turns)
    admitted: list[tuple[int, int]] = []

    async def read(index: int) -> None:
        await turns.wait()
        admitted.append((index, turn))

    await asyncio.gather(*(read(i) for i in range(50)))
    running = False
    assert [index for index, _ in admitted] == list(range(50))  # first come, first served
    per_turn: dict[int, int] = {}
    for _, at in admitted:
        per_turn[at] = per_turn.get(at, 0) + 1
    assert max(per_turn.values()) <= 4
    assert len(per_turn) >= 50 // 4


async def test_a_cancelled_waiter_leaves_its_place() -> None:
    turns = LoopTurns(per_turn=1)
    await turns.wait()  # the turn's one place
    waiting = [asyncio.ensure_future(turns.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    waiting[1].cancel()
    await asyncio.gather(*waiting, return_exceptions=True)
    assert waiting[1].cancelled() and waiting[0].done() and waiting[2].done()
    assert turns.waiting == 0


def test_rows_decode_one_by_one_as_json_loads_reads_the_page() -> None:
    page = {
        "totalRecords": 3,
        "count": 3,
        "data": [{"id": "/a", "p": {"x": [1, 2.5, None, True]}}, {"id": "é\u2603"}, []],
        "$skipToken": "token",
        "facets": [],
    }
    for body in (
        json.dumps(page),
        json.dumps(page, indent=2),
        json.dumps(page, separators=(",", ":")),
    ):
        rows: list[tuple[int, object]] = []
        rest = decode_rows(body.encode(), "data", lambda i, row, rows=rows: rows.append((i, row)))
        assert rows == list(enumerate(page["data"]))
        assert rest == {k: v for k, v in page.items() if k != "data"}
    assert decode_rows(b'{"data": []}', "data", lambda i, row: None) == {}
    assert decode_rows(b'{"data": null}', "data", lambda i, row: None) == {"data": None}


@pytest.mark.parametrize("body", [b'{"data": [1, 2', b'{"data": [1 2]}', b"[1]", b'{"a": 1} x'])
def test_malformed_pages_fail_as_json_loads_does(body: bytes) -> None:
    with pytest.raises(json.JSONDecodeError):
        decode_rows(body, "data", lambda i, row: None)


def test_what_the_row_builder_raises_comes_through() -> None:
    def build(index: int, row: object) -> None:
        raise KeyError("name")

    with pytest.raises(KeyError):
        decode_rows(b'{"data": [{}]}', "data", build)
