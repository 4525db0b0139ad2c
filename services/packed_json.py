"""ARM's JSON as last read, kept packed: one compressed blob per listing, decoded on demand.

Every inventory model keeps the JSON it was read from for the raw view (`y`). Kept as parsed
dicts, that JSON was most of the dashboard's memory on the fleet tenant (about 400 of 1,000 MB
peak RSS for 50,000 registries and 100,000 subnets, benchmarks/dashboard.py --fleet). A
listing's items are packed together (compact JSON, zlib level 1: their keys and values repeat,
so they shrink about tenfold) and each model holds a ``PackedJson``: a read-only mapping that
decodes its listing when someone looks, which is one resource at a time in the raw view.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import ItemsView, Iterator, KeysView, Mapping, Sequence, ValuesView
from typing import Any

__all__ = ["PackedItems", "PackedJson"]


class PackedItems:
    """JSON (a listing's page as ARM sent it, or items given), compressed."""

    __slots__ = ("_blob", "_dictionary")

    def __init__(self, items: Sequence[Any]) -> None:
        text = json.dumps(items, separators=(",", ":"), ensure_ascii=False)
        self._blob = zlib.compress(text.encode(), 1)
        self._dictionary: bytes | None = None

    @classmethod
    def of_json(cls, body: bytes, dictionary: bytes | None = None) -> PackedItems:
        """The JSON document ``body`` as received: no encoding again (half the cost).

        ``dictionary``: text like the document's (its keys and usual values), for one
        resource on its own: zlib finds little to share inside 2 KB of JSON, and a registry
        read alone packed to ~720 bytes; primed with what it shares with every other
        registry, ~230 (the Resource Graph path keeps 12,500 of them on the fleet tenant)."""
        packed = cls.__new__(cls)
        packed._dictionary = dictionary
        if dictionary is None:
            packed._blob = zlib.compress(body, 1)
        else:
            compressor = zlib.compressobj(1, zdict=dictionary)
            packed._blob = compressor.compress(body) + compressor.flush()
        return packed

    def at(self, path: tuple[int | str, ...]) -> Any:
        """The value at ``path`` (an item's index or key, then keys or indexes inside it)."""
        if self._dictionary is None:
            text = zlib.decompress(self._blob)
        else:
            decompressor = zlib.decompressobj(zdict=self._dictionary)
            text = decompressor.decompress(self._blob) + decompressor.flush()
        value: Any = json.loads(text)
        for step in path:
            value = value[step]
        return value


class PackedJson(Mapping[str, Any]):
    """One resource's JSON inside a ``PackedItems``, decoded each time it is read.

    Small, as there is one per model (150,000 on the fleet tenant): where it is, as the JSON it
    sits in (the packed listing, or another ``PackedJson``: a network's subnets, a page's
    items, shared by their siblings) and one step from there, a key or an index (or a tuple
    of steps). A path tuple per resource cost ~12 MB there.
    """

    __slots__ = ("_source", "_step")

    def __init__(
        self, items: PackedItems | PackedJson, path: tuple[int | str, ...] | int | str
    ) -> None:
        self._source = items
        self._step = path[0] if type(path) is tuple and len(path) == 1 else path

    def inside(self, *path: int | str) -> PackedJson:
        """The JSON at ``path`` inside this one (a network's subnet, say), packed the same."""
        return PackedJson(self, path)

    def unpacked(self) -> dict[str, Any]:
        source, step = self._source, self._step
        value: Any = source.at(()) if isinstance(source, PackedItems) else source.unpacked()
        for key in step if type(step) is tuple else (step,):
            value = value[key]
        result: dict[str, Any] = value
        return result

    def __getitem__(self, key: str) -> Any:
        return self.unpacked()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.unpacked())

    def __len__(self) -> int:
        return len(self.unpacked())

    # Whole-mapping reads decode once, not once per key.
    def items(self) -> ItemsView[str, Any]:
        return self.unpacked().items()

    def keys(self) -> KeysView[str]:
        return self.unpacked().keys()

    def values(self) -> ValuesView[Any]:
        return self.unpacked().values()

    def __repr__(self) -> str:
        return f"PackedJson({self.unpacked()!r})"
