"""The ``sosverify`` command: it parses and prints; the work is the library's.

One module per subcommand (``run``, ``verify``, ``analyse``, ``reproduce``, ``sweep``, ``audit``,
``listing``), each with ``register(sub)`` (its flags) and its command function; :mod:`.args`
holds the argument types and setting flags they share.  Every error from bad input is one line on
stderr and exit status 2; no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from sosverify.cli import analyse, audit, listing, reproduce, run, sweep, verify
from sosverify.cli.args import Parser
from sosverify.errors import SosverifyError

COMMANDS = (run, verify, analyse, reproduce, sweep, audit, listing)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="sosverify", description="Check and reproduce 'Stable Opponent Shaping in "
                    "Differentiable Games' (ICLR 2019).")
    from sosverify import __version__

    parser.add_argument("--version", action="version", version=f"sosverify {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.register(sub)
    return parser


def tune_allocator() -> None:
    """Keep freed memory in the process (glibc only), for the command-line process alone.

    Each step allocates and frees the same few hundred-kilobyte arrays; by default glibc maps
    and unmaps them with the kernel every time, and on this project's VMs the page faults
    cost about 0.9 s in the first run of SOS on the IPD (2.3 s instead of 1.4 s).  Raising
    the mmap and trim thresholds keeps them on the heap.  The library never does this: a
    program importing sosverify keeps its own allocator settings.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(name)
        M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
        libc.mallopt(M_MMAP_THRESHOLD, 256 << 20)
        libc.mallopt(M_TRIM_THRESHOLD, 512 << 20)
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def main(argv=None) -> int:
    from sosverify.results import CREATED

    CREATED.clear()  # only this command's own directories are removed if it is refused
    tune_allocator()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if getattr(args, "backend", None):
            from sosverify.backends import ENV, load

            load(args.backend)  # a missing package is one line here, not a traceback later
            os.environ[ENV] = args.backend  # this process and the worker processes it starts
        return args.func(args)
    except SosverifyError as exc:
        from sosverify.results import remove_empty_created

        remove_empty_created()  # a refusal leaves no empty results directory behind
        print(f"sosverify: error: {exc}", file=sys.stderr)
        return 2
    except MemoryError:
        print("sosverify: error: out of memory; use fewer steps, runs or a smaller game", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sosverify: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        sys.stderr.close()
        return 141
