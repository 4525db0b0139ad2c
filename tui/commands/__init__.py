"""Headless subcommands. Each module defines HELP, configure(parser) and run(args) -> int.

Modules import their heavy dependencies inside run() so that `acrfence probe` starts fast.
"""
