"""Model fields kept only when they can't be rebuilt, exactly, from the model's other fields.

A resource ID is about 150 characters, and each inventory model kept its own beside its
case-folded key: ~30 MB of the fleet tenant's 50,000 registries and 100,000 subnets
(benchmarks/dashboard.py --fleet). But nearly every ID Azure returns is exactly what the
model's other fields spell in ARM's canonical form (``/subscriptions/{subscription}/
resourceGroups/{group}/providers/Microsoft.Network/virtualNetworks/{network}/subnets/{name}``:
the subscription and group come from the ID itself, the names from the same JSON). Such an
ID is dropped once the model is made and spelled again when read; any other (a fixed segment
in another casing, a name field that differs from the ID's, a trailing slash) is kept as
given. Either way reading gives back exactly the string the model was made with; only its
identity differs (a new string per read, so hold on to it where it is kept).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["id_of_the_model_held", "rebuilt_when_read"]


def rebuilt_when_read(cls: type, name: str, rebuild: Callable[[Any], str]) -> Callable[[Any], None]:
    """Make field ``name`` of the frozen, slotted dataclass ``cls`` read through ``rebuild``
    whenever its slot holds None; return ``compact(model)``, which the model's
    ``__post_init__`` calls (every other field set by then) to empty the slot when
    ``rebuild`` gives the value back exactly.

    The field stays a dataclass field: the constructor, ``replace``, ``==``, ``hash`` and
    ``repr`` read and take it as before (through the property). Only for fields that are
    never None themselves.
    """
    slot = cls.__dict__[name]  # the slot's own descriptor, replaced on the class below

    def read(model: Any) -> str:
        value: str | None = slot.__get__(model, cls)
        return rebuild(model) if value is None else value

    def write(model: Any, value: str) -> None:  # the dataclass's __init__ sets it this way
        slot.__set__(model, value)

    def compact(model: Any) -> None:
        value = slot.__get__(model, cls)
        if value is not None and rebuild(model) == value:
            slot.__set__(model, None)

    setattr(cls, name, property(read, write, doc=f"{cls.__name__}.{name}, as given"))
    return compact


def id_of_the_model_held(cls: type, name: str) -> Callable[[Any, Any], None]:
    """Let field ``name`` (a resource ID or None) of the frozen, slotted dataclass ``cls``
    hold the model it names instead of a copy of its ID; read, it is that model's ``id``.
    Returns ``hold(obj, model)``, which puts ``model`` in (after the constructor).

    A model whose ID is rebuilt when read (``rebuilt_when_read``) hands out a new string per
    read, so a finding that kept ``registry.id`` kept a copy of it: 97,000 findings, one
    per registry or subnet, would have kept back most of what dropping the IDs saved.
    """
    slot = cls.__dict__[name]

    def read(obj: Any) -> str | None:
        value = slot.__get__(obj, cls)
        return value if value is None or type(value) is str else str(value.id)

    def write(obj: Any, value: str | None) -> None:
        slot.__set__(obj, value)

    def hold(obj: Any, model: Any) -> None:
        slot.__set__(obj, model)

    setattr(cls, name, property(read, write, doc=f"{cls.__name__}.{name}, as given"))
    return hold
