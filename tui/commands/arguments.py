"""Command-line parsing that answers bad input with ONE line and exit status 2.

argparse's own errors print the whole usage block before the message (4-6 lines) and its
"unrecognized arguments" comes from the top-level parser, which doesn't say which subcommand
was meant. ``OneLineArgumentParser`` (subparsers inherit its class) turns every argparse error
into a sentence naming the command and the option, with the allowed values, and points to
``--help``. The ``type=`` helpers below refuse numbers argparse would take but the commands
can't use (NaN, infinities, negatives, ports past 65535) with the same one line.
"""

from __future__ import annotations

import argparse
import math
import re
from typing import NoReturn

from acrfence.tui.commands.exit_codes import Exit

__all__ = [
    "OneLineArgumentParser",
    "seconds",
    "positive_seconds",
    "port_number",
    "subscription_guid",
]


_ARGUMENT = re.compile(r"argument (?P<name>[^:]+): (?P<message>.*)", re.DOTALL)
_CHOICE = re.compile(r"invalid choice: (?P<value>.+?) \(choose from (?P<choices>.*)\)")
_TYPE = re.compile(r"invalid (?P<type>\w+) value: (?P<value>.*)")
_NOT_ALLOWED = re.compile(r"not allowed with argument (?P<other>.+)")
_REQUIRED = re.compile(r"the following arguments are required: (?P<names>.+)")
_TYPE_WORDS = {"int": "a whole number", "float": "a number"}


class OneLineArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit 2."""

    def error(self, message: str) -> NoReturn:
        self._fail(self.prog, _sentence(message, self.prog))

    def parse_args(self, args=None, namespace=None):  # type: ignore[override]
        # Unknown options reach the top-level parser; name the subcommand they were given to.
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command = getattr(parsed, "command", None)
            prog = f"{self.prog} {command}" if command else self.prog
            first = extras[0]
            what = "unknown option" if first.startswith("-") else "unexpected argument"
            self._fail(prog, f"{what} {first!r} (see `{prog} --help`)")
        return parsed

    def _fail(self, prog: str, sentence: str) -> NoReturn:
        self.exit(Exit.BAD_INPUT, f"{prog}: {_one_line(sentence)}\n")


def _sentence(message: str, prog: str) -> str:
    """argparse's message, reworded: which option, what it takes, where to read more."""
    help_hint = f"(see `{prog} --help`)"
    required = _REQUIRED.fullmatch(message.strip())
    if required:
        names = required["names"]
        verb = "are" if "," in names else "is"
        return f"{names} {verb} required {help_hint}"
    argument = _ARGUMENT.fullmatch(message.strip())
    if not argument:
        return f"{message} {help_hint}"
    name, text = _option_name(argument["name"]), argument["message"]
    if name == "COMMAND" or name.startswith("{"):
        name = "the command"
    choice = _CHOICE.fullmatch(text)
    if choice:
        allowed = ", ".join(c.strip().strip("'\"") for c in choice["choices"].split(","))
        return f"{name} must be one of {allowed}, not {choice['value']}"
    typed = _TYPE.fullmatch(text)
    if typed:
        kind = _TYPE_WORDS.get(typed["type"], f"a {typed['type']}")
        return f"{name} must be {kind}, not {typed['value']}"
    if text.startswith("expected one argument"):
        return f"{name} needs a value {help_hint}"
    if text.startswith("expected at least one argument"):
        return f"{name} needs at least one value {help_hint}"
    if text.startswith("ignored explicit argument"):
        return f"{name} takes no value"
    other = _NOT_ALLOWED.fullmatch(text)
    if other:
        return f"{name} can't be used with {_option_name(other['other'])}"
    if text.startswith("must "):  # from the type= helpers below
        return f"{name} {text}"
    return f"{name}: {text}"


def _option_name(name: str) -> str:
    # "-h/--help" -> "--help", "--token/--no-token" -> "--token": the first long spelling.
    spellings = [part.strip() for part in name.split("/")]
    return next((s for s in spellings if s.startswith("--")), spellings[-1])


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- type= helpers: each raises ArgumentTypeError, which the parser words as one line --------


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, not {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number of seconds, not {text!r}")
    return value


def seconds(text: str) -> float:
    """A duration of 0 seconds or more (finite)."""
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, not {text!r}")
    return value


def positive_seconds(text: str) -> float:
    """A duration of more than 0 seconds (finite)."""
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text!r}")
    return value


def port_number(text: str) -> int:
    """A TCP port, 0 (any free port) to 65535."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number, not {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port from 0 to 65535, not {text!r}")
    return value


def subscription_guid(text: str) -> str:
    """A subscription ID: exactly a GUID."""
    from acrfence.services.models.resource_id import is_subscription_id

    if not is_subscription_id(text):
        raise argparse.ArgumentTypeError(f"must be a subscription ID (a GUID), not {text!r}")
    return text
