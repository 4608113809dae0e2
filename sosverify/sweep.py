"""Sweeps: independent trainings (rules × learning rates × seeds) as tasks on ``dask.distributed``
(the plumbing: :mod:`sosverify.distribute`).

Installed with ``pip install "sosverify[sweep]"``.  By default a local cluster with one worker
process per core (one BLAS thread each); with ``scheduler="tcp://host:8786"`` an existing
cluster.  Workers need no shared filesystem: each task returns its result to the client, which
writes it to ``OUT/<task key>.json`` atomically as it arrives.  A task's key is a hash of its
settings, so ``resume`` skips the tasks whose file exists and a re-run never writes a result
twice.  A worker that dies mid-task loses only that task's work in progress: the scheduler runs the
task again elsewhere, from its start, or for the GAN from its last checkpoint when ``checkpoints``
names a directory the workers share (``sosverify sweep gmm``: ``OUT/checkpoints``, every
:data:`CHECKPOINT_EVERY` iterations; a sweep stopped part-way continues its trainings from there).
A task that raises is written as ``OUT/<key>.error.json`` with its settings and the error, and
the others go on (it is tried again on resume).  While a sweep runs a task it holds
``OUT/<key>.running`` (its process id, host and start): a second sweep on the same ``OUT`` leaves
that task to it and reports it as running elsewhere, so no task is trained twice at once (a file
left by a sweep of this host that has ended is taken over; one of another host, the user removes).

A task is a plain dict: ``{"game": "ipd", "algorithm": "sos", "alpha": 1.0, "seed": 0,
"steps": 200, "runs": 10, "hyper": {}, "backend": "autograd"}``; for a game read from a Gambit
``.nfg`` file ``"game"`` is the file's name and ``"normal_form"`` its payoffs and labels (the record
of :func:`sosverify.games.normal_form.from_record`: workers need no copy of the file, and a file
edited since is a new task), and its result adds which of Gambit's equilibria each run approaches
(:func:`sosverify.equilibria.run_outcomes`); or for the GAN
``{"game": "gmm", "algorithm": .., "alpha": lr, "seed": .., "iterations": .., "eval_every": ..,
"spec": {GanSpec fields}, "hyper": {}, "backend": ..}`` and, unless α inside the rule is tied to
the rate, ``"shaping_alpha"``; with ``"extends": N`` the training starts from the final checkpoint of
the same task run to N iterations (:func:`shorter_task`; e.g. the 8k trainings on to 12k for Figure 7),
which it copies and never changes.  Each result records the git commit of the source that ran it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import socket
import time
from pathlib import Path

from sosverify.distribute import check_scheduler, close_client, finished_keys, start_client
from sosverify.errors import SosverifyError
from sosverify.results import jsonable, source_commit, versions, write_atomic, write_json

# the commit of the source this process imported (read once: a checkout may move on while a sweep runs)
COMMIT = source_commit()


def grid(game: str, algos, alphas, seeds, **common) -> list[dict]:
    """One task per (algorithm, learning rate, seed), each with the ``common`` settings."""
    return [{"game": game, "algorithm": a, "alpha": float(lr), "seed": int(s), **common}
            for a, lr, s in itertools.product(algos, alphas, seeds)]


#: options of a sweep beyond rules × rates × seeds: those of a GAN sweep, and those of any other game
GAN_OPTIONS = ("preset", "iterations", "eval_every", "shaping_alpha", "minibatch", "extends")
GAME_OPTIONS = ("steps", "runs", "game_settings", "normal_form")


def check_options(game: str, options: dict) -> None:
    """Refuse, in one line, an option given (not ``None``) that this kind of sweep does not take."""
    gan = game == "gmm"
    wrong = ["--" + k.replace("_", "-") for k, v in options.items() if v is not None
             and k not in (GAN_OPTIONS if gan else GAME_OPTIONS)]
    if wrong:
        takes = "--preset, --iterations, --eval-every, --shaping-alpha, --minibatch and --extends" if gan else \
            "--steps and --runs"
        verb = "does" if len(wrong) == 1 else "do"
        raise SosverifyError(f"{', '.join(wrong)} {verb} not apply to {game} sweeps; they take {takes}")


def plan(game: str, algos, alphas, seeds, *, hyper=None, backend: str = "autograd", **options) -> list[dict]:
    """Every task of a sweep: rules × rates (× shaping α for a GAN rule that predicts a step) × seeds.

    ``hyper``: ``{rule: its settings}``.  ``options``: for ``gmm`` (the GAN) :data:`GAN_OPTIONS`
    (``shaping_alpha`` a list of values), for any other game :data:`GAME_OPTIONS` (``normal_form``: a
    Gambit game's payoffs, carried by each task); an option of the other kind is refused in one line
    (:func:`check_options`).  ``shaping_alpha`` ``"preset"`` (the default) is each rule's choice for
    the preset (:func:`~sosverify.gan.presets.preset_shaping_alpha`), resolved here so that a task records
    the value itself.  A task tied to the rate (``shaping_alpha`` ``"lr"``), or of a rule that
    predicts no step, has no ``shaping_alpha`` entry (its key as before the setting existed), so
    earlier results are found on resume.  A shaping α other than the default when no rule of ``algos``
    predicts a step is refused (it would be ignored); with one that does, it applies to those.
    """
    from sosverify.algorithms import get_algorithm
    from sosverify.settings import ALPHA, EVAL_EVERY, ITERATIONS, LR, RUNS, SEED, STEPS

    gan = game == "gmm"
    check_options(game, options)
    for a in alphas:  # checked, not converted: a task's key is a hash of the values as given
        (LR if gan else ALPHA).check(a)
    for s in seeds:
        SEED.check(s)
    hyper = hyper or {}
    common: dict = {"backend": backend}
    if gan:
        from dataclasses import replace

        from sosverify.gan.presets import preset_settings
        from sosverify.gan.train import SHAPING_ALPHA, check_gan_algorithm, shaping_alpha_of

        for a in algos:
            check_gan_algorithm(a)
        preset = options.get("preset") or "small"
        chosen = preset_settings(preset)
        spec = replace(chosen["spec"], minibatch=options.get("minibatch") or "random")
        given = {k: options.get(k) for k in ("iterations", "eval_every")}
        iterations = chosen["iterations"] if given["iterations"] is None else ITERATIONS.check(given["iterations"])
        eval_every = chosen["eval_every"] if given["eval_every"] is None else EVAL_EVERY.check(given["eval_every"])
        common.update(spec=spec.as_dict(), iterations=iterations, eval_every=min(eval_every, iterations))
        if options.get("extends") is not None:  # only when given, so that other tasks keep their keys
            extends = ITERATIONS.check(options["extends"])
            if extends >= iterations:
                raise SosverifyError(f"extends ({extends}) must be below iterations ({iterations}): a training "
                                     "is continued to more iterations than it ran")
            common["extends"] = extends
        shaping = options.get("shaping_alpha")
        shaping = [SHAPING_ALPHA.default] if shaping is None else \
            [shaping] if isinstance(shaping, (str, int, float)) else list(shaping)
        for sa in shaping:
            SHAPING_ALPHA.check(sa)
        if any(sa != SHAPING_ALPHA.default for sa in shaping):  # a value of its own that no chosen rule takes
            from sosverify.gan.train import check_shaping_alpha_used

            check_shaping_alpha_used(algos, shaping)
        shaping = list(dict.fromkeys(shaping or [SHAPING_ALPHA.default]))
    else:
        common.update(steps=STEPS.default if options.get("steps") is None else STEPS.check(options["steps"]),
                      runs=RUNS.default if options.get("runs") is None else RUNS.check(options["runs"]))
        for extra in ("game_settings", "normal_form"):  # only when given, so that other tasks keep their keys
            if options.get(extra):
                common[extra] = options[extra]
    tasks = []
    for a in algos:
        settings = hyper.get(a, {})
        if not gan:
            tasks += grid(game, [a], alphas, seeds, hyper=settings, **common)
            continue
        for rate in alphas:
            # "preset": the rule's choice for the preset; two values that resolve alike are one task
            mine = dict.fromkeys(shaping_alpha_of(a, sa, preset) if sa == "preset" else sa for sa in shaping) \
                if get_algorithm(a).predicts else [None]
            for sa in mine:
                extra = {} if sa in (None, "lr") else {"shaping_alpha": sa}
                tasks += grid(game, [a], [rate], seeds, hyper=settings, **common, **extra)
    return tasks


def describe_result(task: dict, result: dict) -> str:
    """One line for a finished task: its rule, rate, shaping α and seed, and its final KL (the GAN) or
    mean final loss, or where and why it diverged."""
    gan = task["game"] == "gmm"
    if gan:
        from sosverify.gan.train import divergence_of

        why = divergence_of(result)
    else:
        why = None
    metric = "final_kl" if gan else "final_loss_mean"
    at = f" at iteration {result['diverged_at']}" if result.get("diverged_at") is not None else ""
    value = f"diverged{at} ({why})" if why else f"{metric}={result.get(metric)}"
    sa = f" shaping_alpha={task['shaping_alpha']}" if "shaping_alpha" in task else ""
    eq = result.get("equilibria")  # a normal-form game's: how many runs approach each Nash equilibrium
    if eq and eq.get("none") is None and eq.get("statement"):  # the solver's list held no equilibrium
        near = "; which equilibrium each run approaches is unknown"
    else:
        near = f"; runs near each equilibrium {eq['counts']}, near none {eq['none']}" if eq else ""
    return f"  {task['algorithm']:<6} alpha={task['alpha']:<10g}{sa} seed={task['seed']:<4} {value}{near}"


def task_key(task: dict) -> str:
    """A readable, unique file name for a task: ``sos-a0.001-s0-<hash of all settings>``."""
    digest = hashlib.sha256(json.dumps(jsonable(task), sort_keys=True).encode()).hexdigest()[:12]
    return f"{task['algorithm']}-a{task['alpha']:g}-s{task['seed']}-{digest}"


CHECKPOINT_EVERY = 500


def shorter_task(task: dict) -> dict:
    """The task a GAN task with ``extends`` continues: the same one run to ``extends`` iterations."""
    base = {k: v for k, v in task.items() if k != "extends"}
    base["iterations"] = task["extends"]
    if "eval_every" in base:  # as plan() writes it: never beyond the training's iterations
        base["eval_every"] = min(base["eval_every"], base["iterations"])
    return base


def _start_from_shorter(task: dict, checkpoints) -> None:
    """Before a GAN task with ``extends`` first trains: copy the final checkpoint of :func:`shorter_task`
    to this task's checkpoint (the shorter training's own file is never changed), so that the training
    continues it; a shorter training that did not finish (or diverged) is one clear error."""
    from sosverify.gan.train import load_checkpoint

    if checkpoints is None:
        raise SosverifyError("a task that extends a shorter training needs the sweep's checkpoints directory")
    mine = Path(checkpoints) / f"{task_key(task)}.npz"
    if mine.exists():  # started before: it resumes from its own checkpoint
        return
    base = Path(checkpoints) / f"{task_key(shorter_task(task))}.npz"
    if not base.exists():
        raise SosverifyError(f"{task['algorithm']} at rate {task['alpha']:g}, seed {task['seed']}: no checkpoint of the "
                             f"same training (same settings and backend) at {task['extends']} iterations ({base.name}) "
                             "to extend: run that sweep first")
    at = load_checkpoint(base)["t"]
    if at != task["extends"]:
        raise SosverifyError(f"{base.name} stopped at iteration {at}, not at {task['extends']}: the training to "
                             "extend did not finish (or diverged)")
    write_atomic(mine, base.read_bytes())


def run_task(task: dict, reports: str | None = None, checkpoints: str | None = None) -> dict:
    """Run one task (in a worker); return its JSON-ready result.  ``reports``: the client's progress
    queue, where a GAN training draws its bar (:mod:`sosverify.progress`).  ``checkpoints``: a
    directory where a GAN training keeps ``<task key>.npz`` and resumes from it."""
    from sosverify.backends import use_backend

    with use_backend(task.get("backend")):
        if task["game"] == "gmm":
            from sosverify.games.gmm import GanSpec
            from sosverify.gan.train import train

            bar = None
            if reports is not None:
                from sosverify.progress import RemoteBar

                def bar(total, initial, desc):  # keyed by the task: tasks may differ in more than rate and seed
                    return RemoteBar(reports, task_key(task), total, initial)
            saved: dict = {} if checkpoints is None else {
                "checkpoint": Path(checkpoints) / f"{task_key(task)}.npz", "checkpoint_every": CHECKPOINT_EVERY,
                "resume": True}
            if task.get("extends") is not None:
                _start_from_shorter(task, checkpoints)
            result = train(task["algorithm"], task["alpha"], spec=GanSpec(**task.get("spec", {})), **saved,
                           iterations=task["iterations"], eval_every=task.get("eval_every", task["iterations"]),
                           seed=task["seed"], hyper=task.get("hyper") or None, bar=bar,
                           shaping_alpha=task.get("shaping_alpha", "lr")).summary()
        elif "normal_form" in task:  # a game from an .nfg file, its payoffs in the task: which equilibria runs approach
            from sosverify.equilibria import run_outcomes
            from sosverify.games.normal_form import from_record
            from sosverify.runner import run, summarise

            game = from_record(task["normal_form"], str(task["game"]).rsplit(".", 1)[0]).game()
            h = run(game, task["algorithm"], alpha=task["alpha"], steps=task["steps"], runs=task.get("runs", 1),
                    seed=task["seed"], params_every=max(1, task["steps"] // 100), **(task.get("hyper") or {}))
            result = {**summarise(h), "equilibria": run_outcomes(h)}
        else:
            from sosverify.games import get_game
            from sosverify.runner import run, summarise

            game = get_game(task["game"], **task["game_settings"]) if task.get("game_settings") else task["game"]
            h = run(game, task["algorithm"], alpha=task["alpha"], steps=task["steps"],
                    runs=task.get("runs", 1), seed=task["seed"], params_every=None, **(task.get("hyper") or {}))
            result = summarise(h)
        return sealed({"task": task, "result": result, "versions": versions(), "commit": COMMIT})


def sweep(tasks: list[dict], out, *, scheduler: str | None = None, workers: int | None = None,
          resume: bool = True, progress: bool = False, client=None, checkpoints=None) -> dict:
    """Run ``tasks`` on Dask and write each result to ``out``; returns counts and failures.

    ``checkpoints``: a directory (seen by the workers) where GAN trainings keep checkpoints and
    resume from them (:func:`run_task`); with ``resume=False`` they are deleted before their task runs.

    ``client``: an existing ``dask.distributed.Client`` (else one is made for ``scheduler`` or a
    local cluster of ``workers`` processes and closed at the end).
    """
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise SosverifyError('sweeps need dask.distributed: pip install "sosverify[sweep]"') from None
    check_scheduler(scheduler)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    keys = [task_key(t) for t in tasks]
    if len(set(keys)) != len(keys):
        raise SosverifyError("the sweep has the same task twice")
    for key in keys:
        if (out / f"{key}.json").is_dir():
            raise SosverifyError(f"{out / (key + '.json')} is a directory; the sweep writes that task's result there: "
                                 "remove it or choose another --out")
    pending = [(k, t) for k, t in zip(keys, tasks) if not (resume and _stored(out, t) is not None)]
    report: dict = {"tasks": len(tasks), "skipped": len(tasks) - len(pending), "done": 0, "failed": [],
                    "elsewhere": []}
    held = []
    for key, task in pending:
        holder = _claim(out, key)
        if holder is None:
            held.append((key, task))
        else:
            report["elsewhere"].append({"key": key, "task": task, **holder})
    pending = held
    if not pending:
        return report
    try:
        return _run(pending, out, report, scheduler, workers, resume, progress, client, checkpoints)
    finally:  # a task not finished (stopped, or an error in the client) is free for the next sweep
        for key, _ in pending:
            _release(out, key)


def _run(pending, out, report, scheduler, workers, resume, progress, client, checkpoints) -> dict:
    """:func:`sweep`'s work on the tasks it holds."""
    from tqdm import tqdm

    own = client is None
    if own:
        client = start_client(scheduler, workers)
    bar = tqdm(total=report["tasks"], initial=report["skipped"], desc="sweep", disable=not progress, leave=False)
    board = None
    try:
        if progress and any(t["game"] == "gmm" for _, t in pending):  # trainings of minutes: a bar each
            from sosverify.progress import Board

            board = Board(client)
        extra = {"reports": board.name} if board is not None else {}
        if checkpoints is not None:
            Path(checkpoints).mkdir(parents=True, exist_ok=True)
            extra["checkpoints"] = str(checkpoints)
            if not resume:  # run every task again: from its start
                for key, _ in pending:
                    (Path(checkpoints) / f"{key}.npz").unlink(missing_ok=True)
        # Tasks go out in the order given, one more as each finishes (as many in flight as the
        # cluster has threads, plus one), so a sweep stopped part-way has finished the first rows of
        # its grid rather than a scattering (Dask alone runs independent tasks in its own order).
        queue, futures = iter(pending), {}

        def submit_next():
            item = next(queue, None)
            if item is not None:
                futures[client.submit(run_task, item[1], key=item[0], pure=False, **extra)] = item

        for _ in range(sum(client.nthreads().values()) + 1):
            submit_next()
        while futures:
            done = finished_keys(client, futures, board)
            for future in [f for f in futures if f in done]:  # in the order given, as written files show
                key, task = futures.pop(future)
                submit_next()
                try:
                    write_json(out / f"{key}.json", future.result())
                    (out / f"{key}.error.json").unlink(missing_ok=True)
                    report["done"] += 1
                except Exception as exc:  # a task that raised: recorded with its settings
                    error = f"{type(exc).__name__}: {exc}"
                    write_json(out / f"{key}.error.json", {"task": jsonable(task), "error": error})
                    report["failed"].append({"key": key, "task": task, "error": error})
                _release(out, key)
                bar.update(1)
    finally:
        if board is not None:
            board.close()
        bar.close()
        if own:
            close_client(client)
    return report


def _claim(out: Path, key: str) -> dict | None:
    """Hold task ``key`` for this sweep: create ``OUT/<key>.running`` exclusively with this
    process's id, host and start time.  None when held; else the record of the sweep that holds it.
    A file left by a process of this host that has ended is taken over; one still being written
    (unreadable, under a minute old) counts as held."""
    path = out / f"{key}.running"
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _holder(path)
            if holder is not None:
                return holder
            path.unlink(missing_ok=True)  # its sweep has ended: take it over
            continue
        with os.fdopen(fd, "w") as f:
            json.dump({"pid": os.getpid(), "host": socket.gethostname(),
                       "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, f)
        return None
    return _holder(path) or {"pid": None, "host": None, "since": None}


def _holder(path: Path) -> dict | None:
    """The record in a ``.running`` file if the sweep that wrote it may still be running, else None."""
    try:
        record = json.loads(path.read_text())
        pid, host = int(record["pid"]), str(record["host"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        try:  # not written yet by a sweep that has just created it, or damaged: a minute's grace
            young = time.time() - path.stat().st_mtime < 60
        except OSError:
            return None
        return {"pid": None, "host": None, "since": None} if young else None
    if host != socket.gethostname():
        return {"pid": pid, "host": host, "since": record.get("since")}  # cannot be checked from here
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's
    return {"pid": pid, "host": host, "since": record.get("since")}


def _release(out: Path, key: str) -> None:
    """Give up task ``key`` (its result or error is written, or this sweep stops), if this process holds it."""
    path = out / f"{key}.running"
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError, AttributeError):
        pass


def _digest(record: dict) -> str:
    body = {k: v for k, v in record.items() if k != "sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, allow_nan=True).encode()).hexdigest()


def sealed(record: dict) -> dict:
    """``record`` (JSON-ready) with ``sha256``, the digest of its task, result, versions and commit: a task
    file edited by hand no longer matches it and is not taken for a finished result."""
    record = jsonable(record)
    return {**record, "sha256": _digest(record)}


def _read_result(path: Path, task: dict | None = None) -> dict | None:
    """The result stored at ``path`` if it is one (of ``task``, when given), else None: a file
    that is empty, truncated, not a task result or another task's is not a finished task."""
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not (isinstance(data, dict) and isinstance(data.get("task"), dict) and "result" in data):
        return None
    if "sha256" in data and data["sha256"] != _digest(data):
        return None  # edited since it was written: run again (results written before the digest have none)
    if task is not None and data["task"] != jsonable(task):
        return None
    if (task is not None and task.get("game") == "gmm" and data["result"].get("diverged_at") is None
            and str(task["iterations"]) not in (data["result"].get("kl") or {})):
        return None  # written before the last iteration was always evaluated: its final KL is an earlier one
    return data


def _stored(out: Path, task: dict) -> dict | None:
    """The finished result of ``task`` in ``out``: under its key, or under the key sweeps gave it
    before they recorded the backend (``None``) when that result says it ran on this task's backend."""
    found = _read_result(out / f"{task_key(task)}.json", task)
    if found is None and task.get("backend") is not None:
        old = {**task, "backend": None}
        found = _read_result(out / f"{task_key(old)}.json", old)
        if found is not None and (found.get("versions") or {}).get("backend", {}).get("name") != task["backend"]:
            found = None
    return found


def collect(out, tasks: list[dict] | None = None) -> list[dict]:
    """The finished results in ``out`` (``{"task", "result", "versions"}``): of ``tasks`` in their
    order, or every task result there sorted by key.  Files that are not task results are skipped."""
    out = Path(out)
    if tasks is not None:
        found = (_stored(out, t) for t in tasks)
    else:
        found = (_read_result(p) for p in sorted(out.glob("*.json")) if not p.name.endswith(".error.json"))
    return [r for r in found if r is not None]
