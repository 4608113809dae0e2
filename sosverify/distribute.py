"""Independent tasks on ``dask.distributed``: the plumbing under :mod:`sosverify.sweep`, which knows nothing
of games or GANs.

:func:`map_tasks` maps a function over items on a local cluster (one worker process per core, one
BLAS thread each) or an existing one (``scheduler="tcp://host:8786"``), yields results as they
arrive, and shows progress; a task that raises is handed back as its exception, and the others go on.
Installed with ``pip install "sosverify[sweep]"``.
"""

from __future__ import annotations

import contextlib
import os

from sosverify.errors import SosverifyError

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def environment(**values):
    """Set (or, for ``None``, unset) environment variables inside the block; restore them after.
    Processes started inside the block inherit the values."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        _set_environment(values)
        yield
    finally:
        _set_environment(saved)


def _set_environment(values: dict) -> None:
    """Set each variable to its value, or unset it for ``None``."""
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def single_threaded_blas():
    """Worker processes started inside this block get one BLAS thread each (the variables are
    read by their NumPy at import), so that N workers on N cores do not oversubscribe them."""
    return environment(**{k: "1" for k in THREAD_VARIABLES})


def check_scheduler(scheduler: str | None) -> None:
    if scheduler is not None and not str(scheduler).strip():
        raise SosverifyError("--scheduler needs an address, e.g. tcp://10.0.0.1:8786 (leave it out for a local cluster)")


def _probe(address: str) -> None:
    """Open and close one connection to the scheduler at ``address``, or raise a one-line error.

    This is done before any ``Client`` is made because a Client whose connection fails stays alive
    half-started ("connecting") until the garbage collector finalises it, and its finaliser takes
    a lock that every starting Client holds: collected while another Client starts, it deadlocks
    the process (seen in the test suite), and at exit it waits 60 s.  The probe runs on an event
    loop of its own in a daemon thread (so it works where a loop is already running, as in
    Jupyter), bounded by Dask's connect timeout including the handshake, which Dask itself does
    not bound (a port that accepts and never answers would hang for ever)."""
    import asyncio
    import threading

    import dask
    from dask.utils import parse_timedelta
    from distributed.comm import connect
    from distributed.security import Security

    timeout = parse_timedelta(dask.config.get("distributed.comm.timeouts.connect"), "seconds")
    outcome: dict = {}

    async def connect_and_close():
        comm = await connect(address, **Security().get_connection_args("client"))
        await comm.close()

    def target():
        try:
            asyncio.run(asyncio.wait_for(connect_and_close(), timeout))
        except asyncio.TimeoutError:
            outcome["error"] = f"no answer within {timeout:g} s"
        except Exception as exc:  # unreachable, or not an address Dask can use (Dask raises OSError,
            # ValueError, TypeError or AssertionError by the kind of address)
            outcome["error"] = f"{exc or type(exc).__name__}"

    thread = threading.Thread(target=target, name="sosverify-probe", daemon=True)
    thread.start()
    thread.join(timeout + 5)
    error = f"no answer within {timeout:g} s" if thread.is_alive() else outcome.get("error")
    if error is not None:
        raise SosverifyError(f"could not reach the Dask scheduler at {address}: {error}")


def start_client(scheduler: str | None, workers: int | None):
    import dask
    from dask.distributed import Client, LocalCluster

    check_scheduler(scheduler)
    if scheduler:
        _probe(scheduler)
        try:
            return Client(scheduler)
        except Exception as exc:  # reached by the probe, but the client could not start (e.g. versions)
            raise SosverifyError(f"could not start a Dask client for the scheduler at {scheduler}: "
                                 f"{exc or type(exc).__name__}") from None
    # Dask sets MALLOC_TRIM_THRESHOLD_ in its workers to return memory to the system early; with
    # it, glibc maps and zeroes every large array afresh, which made a paper-size GAN training 2.7x
    # slower (0.26 against 0.095 s per SOS iteration, measured): the local workers go without it.
    # Dask's nanny writes the variable into this process's own environment when it spawns a
    # worker, so after any earlier cluster it is inherited from there: unset it there too.
    with single_threaded_blas(), environment(MALLOC_TRIM_THRESHOLD_=None), \
            dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=":0")
    return Client(cluster)


def close_client(client) -> None:
    cluster = getattr(client, "cluster", None)
    client.close()
    if cluster is not None:
        cluster.close()


def finished_keys(client, futures, board) -> set:
    """The futures among ``futures`` that have finished, after at most :data:`~sosverify.progress.INTERVAL`
    seconds; meanwhile the tasks' own progress bars (``board``, if any) are drawn."""
    import asyncio

    from dask.distributed import wait

    from sosverify.progress import INTERVAL

    try:
        with client.as_current():  # the futures' client, whether or not it is the default one
            done, _ = wait(list(futures), timeout=INTERVAL, return_when="FIRST_COMPLETED")
    except (TimeoutError, asyncio.TimeoutError):  # two classes before Python 3.11
        done = set()
    if board is not None:
        board.drain()
    return done


def map_tasks(fn, items: list, *, scheduler: str | None = None, workers: int | None = None,
              progress: bool = False, desc: str = "tasks", reports: bool = False) -> list:
    """``[fn(item) for item in items]`` as Dask tasks (a local cluster of ``workers`` single-threaded
    processes, or ``scheduler``), results in the order of ``items``; a progress bar counts tasks.
    A task that raises raises here, after the others have been cancelled.

    ``reports`` (with ``progress``): each task is called as ``fn(item, reports=NAME)`` and may draw
    its own bar through :class:`sosverify.progress.RemoteBar` ``(NAME, ...)``; this process shows it.
    """
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise SosverifyError('Dask tasks need dask.distributed: pip install "sosverify[sweep]"') from None
    from tqdm import tqdm

    client = start_client(scheduler, workers)
    board = None
    try:
        if reports and progress:
            from sosverify.progress import Board

            board = Board(client)
        extra = {"reports": board.name} if board is not None else {}
        futures = client.map(fn, items, pure=False, **extra)
        pending = list(futures)
        with tqdm(total=len(items), desc=desc, disable=not progress, leave=False) as bar:
            while pending:
                done = finished_keys(client, pending, board)
                for future in done:
                    if future.status == "error":  # stop the others now, not hours later
                        error = future.exception()
                        client.cancel([f for f in futures if f is not future])
                        raise error
                    bar.update(1)
                pending = [f for f in pending if f not in done]
            if board is not None:  # the tasks' last messages, before the count's bar closes
                board.close()
        return client.gather(futures)
    finally:
        if board is not None:
            board.close()
        close_client(client)
