"""The user's rule, kept from harming the audit: each property is checked in a forked child.

A rule is the user's own code.  Run in the audit's process it could change the arrays the audit
reuses, run for ever, print into the report on stdout, or end the process (``os._exit(0)``: exit
status 0 and no report, which reads as "every required property holds").  So each property is
checked by :func:`run_isolated` in a forked child:

- every call gets a copy of θ (:func:`sosverify.audit.properties.call`), and a call that changes
  its copy is counted: the audit reports the rule "mutates its input" (:data:`WATCH`);
- each call has a time limit (``call_seconds``, a ``SIGALRM`` timer in the child) and the whole
  property another (``seconds``: the child is killed);
- the child's file descriptor 1 is a temporary file: what the rule prints (Python or C) is kept
  for the report and never reaches sosverify's stdout;
- a rule that calls ``sys.exit`` or ``os._exit`` (or kills its process) ends only the child: the
  property is "inconclusive — the rule ended the process".

Without ``fork`` (Windows) the check runs in this process, with copies but without limits.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field

#: how much of what the rule printed is kept in the report
MAX_OUTPUT = 4000


def describe(exc: BaseException) -> str:
    """``Type: message`` of an exception the rule raised, even one whose ``str`` raises or never ends
    being long (its message is the user's code too)."""
    try:
        text = str(exc)
    except BaseException:  # noqa: BLE001 (the rule's own __str__)
        text = "(its message could not be read)"
    return f"{type(exc).__name__}: {text}"[:300]


def exit_call(exc: SystemExit) -> str:
    """``sys.exit(code)`` as the rule called it (its code's repr guarded like :func:`describe`)."""
    try:
        code = repr(exc.code)
    except BaseException:  # noqa: BLE001
        code = "…"
    return f"sys.exit({code[:100]})"


class CallTimedOut(BaseException):
    """Raised in the child by the per-call timer (a BaseException, so ``except Exception`` in the
    rule does not swallow it)."""


@dataclass
class Watch:
    """What the audit saw of the rule in this process (a child, when isolated)."""

    send: object = None            # the pipe to the parent, in an isolated child
    call_seconds: float | None = None
    mutated: int = 0               # calls that changed their copy of θ
    calls: int = 0
    first_mutation: str = ""
    notes: list = field(default_factory=list)

    @property
    def isolated(self) -> bool:
        return self.send is not None

    def stop(self, kind: str, message: str) -> None:
        """In a child: tell the parent how the check ended (``ended``: the rule ended the process;
        ``call-timeout``) and end the child at once.  In this process: nothing (the caller raises)."""
        if not self.isolated:
            return
        _flush()
        try:
            self.send.send((kind, message, self.report()))
        finally:
            os._exit(0)

    def report(self) -> dict:
        return {"mutated": self.mutated, "calls": self.calls, "first_mutation": self.first_mutation}


WATCH = Watch()


class _Timer:
    """The per-call limit: a ``SIGALRM`` timer, in an isolated child only."""

    def __enter__(self):
        if WATCH.isolated and WATCH.call_seconds:
            signal.setitimer(signal.ITIMER_REAL, WATCH.call_seconds)
        return self

    def __exit__(self, *exc):
        if WATCH.isolated and WATCH.call_seconds:
            signal.setitimer(signal.ITIMER_REAL, 0)
        return False


def call_timer() -> _Timer:
    return _Timer()


def _on_alarm(signum, frame):
    raise CallTimedOut()


def _flush() -> None:
    try:
        sys.stdout.flush()
    except Exception:  # the rule may have replaced or closed sys.stdout
        pass


def _child(send, out_fd: int, fn, args, call_seconds):
    os.setpgid(0, 0)  # its own process group: whatever the rule starts is ended with it
    os.dup2(out_fd, 1)  # what the rule prints, from Python or from C, goes to the parent's temporary file
    sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 (fd 1 of this child, closed by os._exit)
    WATCH.send, WATCH.call_seconds = send, call_seconds
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        result = ("ok", fn(*args), WATCH.report())
    except SystemExit as exc:
        result = ("ended", f"it called {exit_call(exc)}", WATCH.report())
    except CallTimedOut:
        result = ("call-timeout", f"a call to the rule ran past {call_seconds:g} s", WATCH.report())
    except BaseException as exc:  # the check itself failed: reported, not raised in the parent
        result = ("error", describe(exc), WATCH.report())
    _flush()
    try:
        send.send(result)
    except BaseException as exc:  # an unpicklable result
        send.send(("error", describe(exc), WATCH.report()))
    finally:
        os._exit(0)


@dataclass
class Outcome:
    """How an isolated check ended: ``kind`` is ``ok`` (``value`` is its result), ``ended`` (the rule
    ended the process), ``timeout`` (the property's limit), ``call-timeout`` or ``error``."""

    kind: str
    value: object
    output: str
    watch: dict


def run_isolated(fn, args=(), *, seconds: float, call_seconds: float | None) -> Outcome:
    """``fn(*args)`` in a forked child (see the module docstring)."""
    if sys.platform == "win32" or "fork" not in multiprocessing.get_all_start_methods():
        watch = Watch()
        globals()["WATCH"] = watch
        try:
            return Outcome("ok", fn(*args), "", watch.report())
        finally:
            globals()["WATCH"] = Watch()
    from sosverify.symbolic.exact import _start

    ctx = multiprocessing.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)
    with tempfile.TemporaryFile() as out:
        _flush()
        sys.stderr.flush()
        proc = ctx.Process(target=_child, args=(send, out.fileno(), fn, args, call_seconds), daemon=True)
        _start(proc)
        send.close()
        deadline = time.monotonic() + seconds
        try:
            left = deadline - time.monotonic()
            if left > 0 and recv.poll(left):
                try:
                    kind, value, watch = recv.recv()
                except EOFError:  # the child ended without a word: os._exit, a signal, a crash in C
                    proc.join(5)
                    code = proc.exitcode
                    how = (f"it ended with exit status {code}" if code is not None and code >= 0
                           else f"it was killed by signal {-code}" if code is not None else "it ended")
                    kind, value, watch = "ended", f"{how} (os._exit or a crash) without an answer", {}
            else:
                kind, value, watch = "timeout", f"the check ran past {seconds:g} s", {}
        finally:
            recv.close()
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the child and any process the rule started
            except (ProcessLookupError, PermissionError):
                pass
            if proc.is_alive():
                proc.kill()
            proc.join(5)
        out.seek(0)
        printed = out.read(MAX_OUTPUT + 1).decode("utf-8", "replace")
    if len(printed) > MAX_OUTPUT:
        printed = printed[:MAX_OUTPUT] + " …"
    return Outcome(kind, value, printed, watch)
