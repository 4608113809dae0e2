"""Sweeps on dask.distributed: every result written once, resumable, faults contained."""

import json
import os
import signal
import subprocess
import sys
import threading
import time

import numpy
import pytest

import sosverify
from sosverify.sweep import collect, grid, sweep, task_key

pytest.importorskip("dask.distributed")  # the [sweep] extra; the test extra installs it
from conftest import experiment
from dask.distributed import Client, LocalCluster  # noqa: E402

pytestmark = pytest.mark.slow  # Dask clusters start in seconds each, a killed worker takes a minute: tox -e slow


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as c:
        yield c


def test_a_sweep_writes_each_result_once_and_matches_a_direct_run(client, tmp_path):
    tasks = grid("tandem", ["nl", "sos"], [0.05, 0.1], [0, 1], steps=40, runs=3, hyper={}, backend=None)
    report = sweep(tasks, tmp_path, client=client)
    assert report == {"tasks": 8, "skipped": 0, "done": 8, "failed": [], "elsewhere": []}
    results = collect(tmp_path)
    assert sorted(task_key(r["task"]) for r in results) == sorted(task_key(t) for t in tasks)
    one = next(r for r in results if r["task"]["algorithm"] == "sos" and r["task"]["alpha"] == 0.1
               and r["task"]["seed"] == 1)
    direct = sosverify.run("tandem", "sos", alpha=0.1, steps=40, runs=3, seed=1)
    numpy.testing.assert_array_equal(one["result"]["final_losses"], direct.losses[-1].T.tolist())
    assert one["versions"]["backend"]["name"] == "autograd"


def test_resume_skips_finished_tasks_and_never_rewrites_them(client, tmp_path):
    tasks = grid("cyclic", ["nl"], [0.1], [0, 1, 2], steps=10, runs=1, hyper={}, backend=None)
    sweep(tasks[:2], tmp_path, client=client)
    stamps = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.json")}
    report = sweep(tasks, tmp_path, client=client)
    assert (report["skipped"], report["done"]) == (2, 1)
    assert all(tmp_path.joinpath(name).stat().st_mtime_ns == t for name, t in stamps.items())


def test_a_task_another_sweep_is_running_is_left_to_it_and_one_left_by_an_ended_sweep_is_taken_over(client, tmp_path):
    """Two sweeps on one OUT (e.g. one per core) never train the same task at once: a task held by a
    live process (``<key>.running``) is reported as running elsewhere and not run; a file left by a
    process of this host that has ended is taken over; every file this sweep held is gone after it."""
    import socket

    tasks = grid("tandem", ["nl"], [0.1], [0, 1, 2], steps=5, runs=1, hyper={}, backend=None)
    keys = [task_key(t) for t in tasks]
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    try:
        host = socket.gethostname()
        (tmp_path / f"{keys[0]}.running").write_text(json.dumps({"pid": live.pid, "host": host, "since": "then"}))
        (tmp_path / f"{keys[1]}.running").write_text(json.dumps({"pid": ended.pid, "host": host, "since": "then"}))
        report = sweep(tasks, tmp_path, client=client)
        assert report["done"] == 2 and [e["key"] for e in report["elsewhere"]] == [keys[0]]
        assert report["elsewhere"][0]["pid"] == live.pid
        assert not (tmp_path / f"{keys[0]}.json").exists()                    # left to the live sweep
        assert (tmp_path / f"{keys[1]}.json").exists() and (tmp_path / f"{keys[2]}.json").exists()
        assert sorted(p.name for p in tmp_path.glob("*.running")) == [f"{keys[0]}.running"]  # its file untouched
    finally:
        live.kill()
        live.wait()
    report = sweep(tasks, tmp_path, client=client)                            # its holder has ended
    assert (report["skipped"], report["done"], report["elsewhere"]) == (2, 1, [])
    assert not list(tmp_path.glob("*.running"))


def test_the_sweep_command_names_a_task_running_in_another_sweep(tmp_path):
    import socket

    out = tmp_path / "sweep"
    (out / "tasks").mkdir(parents=True)
    task = grid("tandem", ["nl"], [0.1], [0], steps=5, runs=1, hyper={}, backend="autograd")[0]
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        (out / "tasks" / f"{task_key(task)}.running").write_text(
            json.dumps({"pid": live.pid, "host": socket.gethostname(), "since": "2026-12-06T18:00:00Z"}))
        proc = subprocess.run([sys.executable, "-m", "sosverify", "sweep", "tandem", "--algos", "nl", "--alpha", "0.1",
                               "--seeds", "0", "--steps", "5", "--runs", "1", "--workers", "1", "--out", str(out),
                               "--quiet", "--backend", "autograd"], capture_output=True, text=True, timeout=300)
    finally:
        live.kill()
        live.wait()
    assert proc.returncode == 0, proc.stderr
    assert "0 of 1 tasks finished (0 from an earlier run, 0 failed, 1 running in another sweep)" in proc.stdout
    assert f"RUNNING ELSEWHERE {task_key(task)}: left to process {live.pid}" in proc.stderr
    assert "remove that file if that sweep has stopped" in proc.stderr


def test_a_failing_task_is_reported_with_its_settings_and_the_others_finish(client, tmp_path):
    tasks = grid("tandem", ["nl"], [0.1], [0], steps=5, hyper={}, backend=None)
    tasks += [{**tasks[0], "algorithm": "no-such-rule"}]
    report = sweep(tasks, tmp_path, client=client)
    assert report["done"] == 1 and len(report["failed"]) == 1
    failure = report["failed"][0]
    assert failure["task"]["algorithm"] == "no-such-rule" and "unknown algorithm" in failure["error"]
    saved = json.loads((tmp_path / f"{failure['key']}.error.json").read_text())
    assert saved["task"]["algorithm"] == "no-such-rule"
    assert len(collect(tmp_path)) == 1


def test_a_worker_killed_mid_sweep_loses_and_duplicates_nothing(tmp_path):
    # tasks of about a second each on a 2-worker cluster; one worker is killed (SIGKILL) as soon
    # as the first result arrives, so it is in the middle of its next task; the nanny restarts
    # it and the scheduler runs the lost task again
    tasks = grid("ipd", ["sos"], [1.0], list(range(6)), steps=1500, runs=4, hyper={}, backend=None)
    killed = []
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as c:
        pids = c.run(os.getpid)

        def kill_one():
            while not list(tmp_path.glob("*.json")):
                time.sleep(0.05)
            address, pid = sorted(pids.items())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(address)

        thread = threading.Thread(target=kill_one, daemon=True)
        thread.start()
        report = sweep(tasks, tmp_path, client=c)
        thread.join(timeout=60)
    assert killed, "the worker was not killed"
    assert report == {"tasks": 6, "skipped": 0, "done": 6, "failed": [], "elsewhere": []}
    results = collect(tmp_path)
    assert sorted(r["task"]["seed"] for r in results) == list(range(6))  # each once
    direct = sosverify.run("ipd", "sos", alpha=1.0, steps=1500, runs=4, seed=5)
    got = next(r for r in results if r["task"]["seed"] == 5)["result"]["final_losses"]
    numpy.testing.assert_allclose(got, direct.losses[-1].T, rtol=0, atol=0)


def test_the_sweep_command_runs_a_grid(tmp_path):
    out = tmp_path / "sweep"
    proc = subprocess.run([sys.executable, "-m", "sosverify", "sweep", "tandem", "--algos", "nl", "la",
                           "--alpha", "0.05", "0.1", "--seeds", "0", "1", "--steps", "20", "--workers", "2",
                           "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "8 of 8 tasks finished (0 from an earlier run, 0 failed)" in proc.stdout
    summary = json.loads((out / "sweep.json").read_text())
    assert len(summary["results"]) == 8
    again = subprocess.run([sys.executable, "-m", "sosverify", "sweep", "tandem", "--algos", "nl", "la",
                            "--alpha", "0.05", "0.1", "--seeds", "0", "1", "--steps", "20", "--workers", "2",
                            "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=300)
    assert "(8 from an earlier run" in again.stdout


def test_an_unreachable_scheduler_is_one_clear_error(tmp_path):
    import dask

    from sosverify.errors import SosverifyError

    tasks = grid("tandem", ["nl"], [0.1], [0], steps=5, hyper={}, backend=None)
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}), \
            pytest.raises(SosverifyError, match="could not reach the Dask scheduler at tcp://127.0.0.1:1"):
        sweep(tasks, tmp_path, scheduler="tcp://127.0.0.1:1")


def test_a_rate_or_seed_given_twice_runs_once(tmp_path):
    out = tmp_path / "sweep"
    proc = subprocess.run([sys.executable, "-m", "sosverify", "sweep", "tandem", "--algos", "nl", "nl",
                           "--alpha", "0.1", "0.1", "--seeds", "3", "3", "--steps", "5", "--workers", "1",
                           "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "1 of 1 tasks finished" in proc.stdout


def test_a_gan_grid_runs_its_trainings_as_dask_tasks_and_matches_one_after_another(client, tmp_path):
    """reproduce gmm --grid with a scheduler: every (rule, rate) training is a task on the cluster,
    and each gives the numbers of the same training in this process (float32: another BLAS thread
    count may sum in another order, so 1e-4 relative)."""
    from sosverify.reproduce.gmm import run_gmm

    kw = dict(preset="small", algos=("nl", "sos"), grid=[1e-3, 3e-3], iterations=3, eval_every=3, seed=0)
    on_dask = run_gmm(**kw, scheduler=client.scheduler.address)
    here = run_gmm(**kw, jobs=1)
    assert on_dask.summary["grid"].keys() == here.summary["grid"].keys() == {"nl", "sos"}
    for name, rates in here.summary["grid"].items():
        assert on_dask.summary["grid"][name].keys() == rates.keys() == {"0.001", "0.003"}
        for rate, kl in rates.items():
            assert on_dask.summary["grid"][name][rate] == pytest.approx(kl, rel=1e-4), (name, rate)
        numpy.testing.assert_allclose(on_dask.histories[name].losses, here.histories[name].losses, rtol=1e-4)


def test_a_gan_grid_names_an_unreachable_scheduler(tmp_path):
    import dask

    from sosverify.errors import SosverifyError
    from sosverify.reproduce.gmm import run_gmm

    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}), \
            pytest.raises(SosverifyError, match="could not reach the Dask scheduler at tcp://127.0.0.1:1"):
        run_gmm(preset="small", algos=("nl",), grid=[1e-3, 2e-3], iterations=2, eval_every=2,
                scheduler="tcp://127.0.0.1:1")


@pytest.mark.parametrize("address", ["foo", "tls://127.0.0.1:1"])
def test_a_malformed_scheduler_address_is_one_clear_error(tmp_path, address):
    from sosverify.errors import SosverifyError

    tasks = grid("tandem", ["nl"], [0.1], [0], steps=5, hyper={}, backend=None)
    with pytest.raises(SosverifyError, match=f"could not reach the Dask scheduler at {address}"):
        sweep(tasks, tmp_path, scheduler=address)


def test_a_scheduler_that_cannot_be_reached_leaves_no_half_started_client(tmp_path):
    """A Client whose connection failed lingers until the garbage collector finalises it, and
    finalised while another Client starts it deadlocks the process (LoopRunner's class-wide lock):
    none may be left.  Automatic collection is off here, so a lingering one cannot hide."""
    import gc

    import dask

    from sosverify.errors import SosverifyError

    tasks = grid("tandem", ["nl"], [0.1], [0], steps=5, hyper={}, backend=None)
    gc.collect()
    running = {id(c) for c in gc.get_objects() if isinstance(c, Client)}  # the module's own client
    gc.disable()
    try:
        with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
            for address in ("foo", "tls://127.0.0.1:1", "tcp://127.0.0.1:1"):
                with pytest.raises(SosverifyError, match="could not reach"):
                    sweep(tasks, tmp_path, scheduler=address)
        assert [c for c in gc.get_objects() if isinstance(c, Client) and c.status != "closed"
                and id(c) not in running] == []
    finally:
        gc.enable()


def test_a_failing_task_of_a_gan_grid_stops_the_others_at_once(client):
    """map_tasks (reproduce gmm's Dask path) raises the first error and cancels the rest, instead
    of waiting for trainings that may take hours: here three 20 s tasks on two workers."""
    from sosverify.distribute import map_tasks

    start = time.perf_counter()
    with pytest.raises(ValueError, match="non-negative"):
        map_tasks(time.sleep, [-1, 20, 20, 20], scheduler=client.scheduler.address)
    assert time.perf_counter() - start < 15


def test_a_checkpoint_directory_that_cannot_be_made_is_one_error_before_training(tmp_path):
    from sosverify.errors import SosverifyError
    from sosverify.reproduce.gmm import run_gmm

    (tmp_path / "checkpoints").write_text("a file in the way")
    with pytest.raises(SosverifyError, match="cannot use .*checkpoints for checkpoints"):
        run_gmm(preset="small", algos=("nl",), iterations=2, eval_every=2, jobs=1,
                checkpoint_dir=tmp_path / "checkpoints")


def test_a_sweep_on_one_worker_finishes_its_tasks_in_the_order_given(tmp_path):
    """Stopped part-way, a long grid has finished its first rows, not a scattering of tasks."""
    tasks = grid("tandem", ["nl", "la", "sos"], [0.05, 0.1, 0.2], [0], steps=5, hyper={}, backend=None)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as one:
        sweep(tasks, tmp_path, client=one)
    written = sorted(tmp_path.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
    assert [p.stem for p in written] == [task_key(t) for t in tasks]


def test_local_workers_run_without_dasks_malloc_trim_threshold(monkeypatch):
    """Dask's MALLOC_TRIM_THRESHOLD_ made paper-size GAN trainings 2.7x slower in its workers; the
    local cluster a sweep starts unsets it (and keeps one BLAS thread per worker)."""
    from sosverify.distribute import close_client, start_client

    # any cluster started earlier in the process has written Dask's value into os.environ (its
    # nanny does); it must not reach these workers, and this process keeps it afterwards
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "65536")
    client = start_client(None, 1)
    try:
        env = client.run(lambda: {k: os.environ.get(k) for k in ("MALLOC_TRIM_THRESHOLD_", "OPENBLAS_NUM_THREADS")})
    finally:
        close_client(client)
    assert list(env.values()) == [{"MALLOC_TRIM_THRESHOLD_": None, "OPENBLAS_NUM_THREADS": "1"}]
    assert os.environ["MALLOC_TRIM_THRESHOLD_"] == "65536"


def _sweep_cli(out, *extra, env=None):
    return subprocess.run([sys.executable, "-m", "sosverify", "sweep", "tandem", "--algos", "nl", "--alpha", "0.1",
                           "--workers", "1", "--out", str(out), "--quiet", *extra], capture_output=True, text=True,
                          timeout=300, env={**{k: v for k, v in os.environ.items() if k != "SOSVERIFY_BACKEND"},
                                            **(env or {})})


def test_a_sweep_reports_its_own_tasks_and_reruns_files_that_are_not_their_results(tmp_path):
    out = tmp_path / "sweep"
    assert _sweep_cli(out, "--steps", "5").returncode == 0
    (first,) = (out / "tasks").glob("*.json")
    first.write_text(first.read_text()[:40])                  # a truncated result
    (out / "tasks" / "foreign.json").write_text("[1, 2]")     # a file no sweep wrote
    again = _sweep_cli(out, "--steps", "5")
    assert again.returncode == 0, again.stderr
    assert "1 of 1 tasks finished (0 from an earlier run, 0 failed)" in again.stdout
    assert json.loads(first.read_text())["task"]["steps"] == 5
    other = _sweep_cli(out, "--steps", "7")                   # the same directory, other settings
    assert other.returncode == 0, other.stderr
    assert "1 of 1 tasks finished (0 from an earlier run" in other.stdout
    results = json.loads((out / "sweep.json").read_text())["results"]
    assert [r["task"]["steps"] for r in results] == [7]
    assert other.stdout.count("alpha=") == 1
    assert sorted(r["task"]["steps"] for r in collect(out / "tasks")) == [5, 7]  # foreign.json skipped


def test_a_sweep_records_the_backend_that_ran_it_and_resumes_only_its_own(tmp_path):
    out = tmp_path / "sweep"
    assert _sweep_cli(out, "--steps", "5").returncode == 0
    explicit = _sweep_cli(out, "--steps", "5", "--backend", "autograd")
    assert "(1 from an earlier run" in explicit.stdout       # the default is autograd: the same tasks
    on_jax = _sweep_cli(out, "--steps", "5", env={"SOSVERIFY_BACKEND": "jax"})
    assert on_jax.returncode == 0, on_jax.stderr
    assert "1 of 1 tasks finished (0 from an earlier run" in on_jax.stdout
    results = json.loads((out / "sweep.json").read_text())["results"]
    assert [r["task"]["backend"] for r in results] == ["jax"]
    assert results[0]["versions"]["backend"]["name"] == "jax"


def test_a_sweep_json_that_is_a_directory_is_refused_before_any_task(tmp_path):
    out = tmp_path / "sweep"
    (out / "sweep.json").mkdir(parents=True)
    proc = _sweep_cli(out, "--steps", "5")
    assert proc.returncode == 2 and "sweep.json is a directory" in proc.stderr
    assert not (out / "tasks").exists()


def test_the_ipds_discount_reaches_every_task():
    from sosverify.games import get_game
    from sosverify.runner import run, summarise
    from sosverify.sweep import run_task

    task = grid("ipd", ["nl"], [1.0], [0], steps=3, runs=2, hyper={}, backend="autograd")[0]
    default = run_task(task)["result"]["final_loss_mean"]
    discounted = run_task({**task, "game_settings": {"gamma": 0.5}})["result"]["final_loss_mean"]
    direct = summarise(run(get_game("ipd", gamma=0.5), "nl", alpha=1.0, steps=3, runs=2, seed=0,
                           params_every=None))["final_loss_mean"]
    assert discounted == direct and discounted != default


def test_the_grid_table_picks_the_lowest_mean_final_kl_and_never_a_diverged_training(tmp_path):

    from sosverify.results import write_json

    module = experiment("gmm_grid_table")

    def result(algo, rate, seed, kls, diverged=None, xi=1.0):
        task = {"game": "gmm", "algorithm": algo, "alpha": rate, "seed": seed, "iterations": 4, "eval_every": 2}
        evals = {str(2 * (i + 1)): kl for i, kl in enumerate(kls)}
        write_json(tmp_path / "tasks" / f"{task_key(task)}.json", {"task": task, "result": {
            "kl": evals, "modes_covered": {k: 1 for k in evals}, "high_quality": {k: 0.5 for k in evals},
            "diverged_at": diverged, "seconds_per_iteration": 0.1, "final_xi_norm": xi}})

    (tmp_path / "tasks").mkdir()
    result("nl", 1e-4, 0, [50.0, 10.0])
    result("nl", 1e-4, 1, [50.0, 30.0])      # mean final KL 20
    result("nl", 2e-4, 0, [5.0, 15.0])       # mean 15: lowest
    result("sos", 1e-4, 0, [9.0, 8.0])
    result("sos", 2e-4, 0, [1.0], diverged=3)  # lowest number, but diverged
    result("sos", 3e-4, 0, [0.5, 0.5], xi=2.7e11)  # lowest again, but blown up while finite (not flagged)
    found = module.rows(tmp_path)
    assert module.best_rates(found) == {"nl": 2e-4, "sos": 1e-4}
    text = module.table(found)
    assert "diverged at 3 (not finite)" in text and "diverged (‖ξ‖ > 10000 at the end)" in text
    assert "seeds below: the kNN KL rewards a few sharp modes): NL 0.0002, SOS 0.0001" in text


def test_results_of_sweeps_from_before_the_backend_was_recorded_are_still_found(tmp_path):
    """Sweeps used to name a task run on the default backend with backend None."""
    old = grid("tandem", ["nl"], [0.1], [0], steps=5, runs=1, hyper={}, backend=None)
    new = [{**old[0], "backend": "autograd"}]
    assert sweep(old, tmp_path)["done"] == 1                           # runs on autograd, the default
    assert sweep(new, tmp_path)["skipped"] == 1
    assert [r["task"]["backend"] for r in collect(tmp_path, new)] == [None]
    assert sweep([{**old[0], "backend": "jax"}], tmp_path, workers=1)["skipped"] == 0   # not autograd's result


def test_a_gan_result_without_its_last_iteration_is_not_finished(tmp_path):
    from sosverify.results import write_json
    from sosverify.sweep import _stored

    task = {"game": "gmm", "algorithm": "nl", "alpha": 1e-3, "seed": 0, "iterations": 5, "eval_every": 2}
    stored = {"kl": {"2": 9.0, "4": 8.0}, "diverged_at": None}
    write_json(tmp_path / f"{task_key(task)}.json", {"task": task, "result": stored})
    assert _stored(tmp_path, task) is None
    write_json(tmp_path / f"{task_key(task)}.json", {"task": task, "result": {**stored, "kl": {"2": 9.0, "5": 7.0}}})
    assert _stored(tmp_path, task) is not None


def test_a_port_that_accepts_and_never_answers_is_one_error_within_the_connect_timeout(tmp_path):
    import socket

    import dask

    from sosverify.errors import SosverifyError

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
    tasks = grid("tandem", ["nl"], [0.1], [0], steps=5, hyper={}, backend=None)
    start = time.perf_counter()
    try:
        with dask.config.set({"distributed.comm.timeouts.connect": "1s"}), \
                pytest.raises(SosverifyError, match=f"could not reach the Dask scheduler at {address}"):
            sweep(tasks, tmp_path, scheduler=address)
    finally:
        silent.close()
    assert time.perf_counter() - start < 10


def test_a_gan_sweep_draws_each_training_s_bar_in_the_client(client, tmp_path, capsys):
    tasks = grid("gmm", ["nl"], [1e-3, 2e-3], [0], iterations=4, eval_every=2,
                 spec={"hidden": 8, "layers": 2, "latent": 4, "batch": 16}, hyper={}, backend=None)
    assert sweep(tasks, tmp_path, client=client, progress=True)["done"] == 2
    err = capsys.readouterr().err.replace("\r", "\n")
    for rate in ("0.001", "0.002"):  # iterations, it/s and the latest KL of each training
        assert any(line.startswith(f"nl-a{rate}-s0-") and "4/4" in line and "KL=" in line
                   for line in err.splitlines()), err


def test_a_gan_sweep_crosses_rates_with_shaping_alphas_in_the_order_given(tmp_path, planned_sweep_tasks):
    """sweep gmm --shaping-alpha: rules x rates x shaping alphas x seeds, in the order given; a task tied to
    the rate, or of a rule without alpha inside it (NL), keeps the key it had before the setting existed."""
    from sosverify.cli import main

    seen = planned_sweep_tasks
    assert main(["sweep", "gmm", "--algos", "sos", "nl", "--alpha", "2e-4", "1e-4", "--shaping-alpha", "0.1", "lr",
                 "--iterations", "4", "--out", str(tmp_path), "--quiet"]) == 0
    assert [(t["algorithm"], t["alpha"], t.get("shaping_alpha")) for t in seen] == [
        ("sos", 2e-4, 0.1), ("sos", 2e-4, None), ("sos", 1e-4, 0.1), ("sos", 1e-4, None), ("nl", 2e-4, None),
        ("nl", 1e-4, None)]
    old = grid("gmm", ["sos"], [2e-4], [0], hyper={"a": 0.5, "b": 0.1}, backend="autograd",
               spec=seen[1]["spec"], iterations=4, eval_every=4)[0]
    assert task_key(seen[1]) == task_key(old)


def test_a_gan_task_passes_its_shaping_alpha_and_records_its_commit(monkeypatch):
    import sosverify.gan.train as T
    from sosverify.sweep import run_task

    given = {}

    class Done:
        def summary(self):
            return {"kl": {}}

    def fake_train(algorithm, lr, **kw):
        given.update(kw)
        return Done()

    monkeypatch.setattr(T, "train", fake_train)
    task = grid("gmm", ["sos"], [2e-4], [0], iterations=4, eval_every=4, shaping_alpha=0.03)[0]
    out = run_task(task)
    assert given["shaping_alpha"] == 0.03 and "commit" in out
    run_task({k: v for k, v in task.items() if k != "shaping_alpha"})
    assert given["shaping_alpha"] == "lr"


def test_shaping_alpha_is_refused_on_sweeps_of_other_games(tmp_path):
    from sosverify.cli import main

    assert main(["sweep", "tandem", "--algos", "sos", "--alpha", "0.1", "--shaping-alpha", "0.1",
                 "--out", str(tmp_path), "--quiet"]) == 2


def test_a_gan_task_stopped_part_way_continues_from_its_checkpoint_to_the_same_result(tmp_path):
    from sosverify.games.gmm import GanSpec
    from sosverify.gan.train import train
    from sosverify.sweep import run_task

    spec = GanSpec(hidden=8, layers=2, latent=4, batch=16)
    task = grid("gmm", ["sos"], [1e-3], [0], iterations=6, eval_every=3, spec=dict(vars(spec)), hyper={},
                shaping_alpha=0.1)[0]
    straight = run_task(task)["result"]
    # the same training stopped after 3 iterations, its checkpoint where the sweep keeps it
    train("sos", 1e-3, spec=spec, iterations=3, eval_every=3, seed=0, shaping_alpha=0.1,
          checkpoint=tmp_path / f"{task_key(task)}.npz")
    resumed = run_task(task, checkpoints=str(tmp_path))["result"]
    assert resumed["resumed_from"] == 3 and straight["resumed_from"] is None
    for k in ("kl", "modes_covered", "final_losses", "final_xi_norm", "p_min", "p_below_one"):
        assert resumed[k] == straight[k], k


def test_a_gan_sweep_with_tiled_minibatches_records_them_in_each_task(tmp_path, planned_sweep_tasks):
    from sosverify.cli import main

    seen = planned_sweep_tasks
    args = ["sweep", "gmm", "--algos", "nl", "--alpha", "1e-3", "--iterations", "4", "--out", str(tmp_path), "--quiet"]
    assert main([*args, "--minibatch", "tiled"]) == 0 and main(args) == 0
    assert seen[0]["spec"]["minibatch"] == "tiled" and "minibatch" not in seen[1]["spec"]


def test_the_seeds_table_ranks_by_divergence_seeds_modes_names_the_unsettled_and_never_averages_a_diverged_one(tmp_path):
    """Issue 19 item 3: rank by modes and high-quality share as well as KL, mean and spread over seeds.
    A diverged training is counted apart (its KL never enters a mean); a setting that blew up is ranked
    below every one that did not; among those, one screened on one seed is not ranked above one run on
    three; a few sharp modes (low KL) do not beat many modes."""

    from sosverify.results import write_json

    module = experiment("gmm_grid_table")

    def result(out, algo, shaping, seed, kl, modes, hq, diverged=None):
        task = {"game": "gmm", "algorithm": algo, "alpha": 2e-4, "seed": seed, "iterations": 2, "eval_every": 2,
                "spec": {}, "shaping_alpha": shaping}
        (out / "tasks").mkdir(parents=True, exist_ok=True)
        write_json(out / "tasks" / f"{task_key(task)}.json", {"task": task, "result": {
            "kl": {"2": kl}, "modes_covered": {"2": modes}, "high_quality": {"2": hq}, "diverged_at": diverged}})

    first, second = tmp_path / "grid", tmp_path / "seeds"
    result(first, "sos", 0.1, 0, 5.0, 16, 0.9)             # best of all, but one seed only
    result(first, "sos", 0.01, 0, 10.0, 4, 0.4)            # low KL, few modes
    result(second, "sos", 0.01, 1, 12.0, 6, 0.4)
    result(second, "sos", 0.01, 2, 14.0, 2, 0.4)
    result(first, "sos", 0.03, 0, 40.0, 14, 0.3)           # many modes, higher KL
    result(second, "sos", 0.03, 1, 1e9, 0, 0.0, diverged=1)  # blew up: counted apart
    result(second, "sos", 0.03, 2, 20.0, 16, 0.5)
    result(first, "lola", 0.01, 0, 30.0, 10, 0.3)
    result(first, "lola", 0.03, 0, 10.0, 12, 0.2)         # lower KL than 0.1's, fewer modes
    result(first, "lola", 0.03, 1, 10.0, 12, 0.2)
    result(second, "lola", 0.03, 2, 10.0, 13, 0.2)
    result(second, "lola", 0.1, 0, 20.0, 14, 0.2)
    result(second, "lola", 0.1, 1, 20.0, 14, 0.2)
    result(second, "lola", 0.1, 2, 20.0, 14, 0.2)
    result(first, "lola", 0.3, 0, 9.0, 16, 0.9)           # one seed, ahead on it, but blew up on another
    result(second, "lola", 0.3, 1, 1e9, 0, 0.0, diverged=1)
    result(first, "lola", 1.0, 0, 9.0, 14, 0.9)           # one seed, level with the first on it: not ahead
    result(first, "sos", 0.2, 0, 9.0, 5, 0.5)             # three seeds, ahead on seed 0, behind over the three:
    result(second, "sos", 0.2, 1, 9.0, 1, 0.5)            # settled (ranked below), not unsettled
    result(second, "sos", 0.2, 2, 9.0, 1, 0.5)
    cells = {(c["algorithm"], c["shaping_alpha"]): c for c in module.over_seeds(module.rows(first, second))}
    diverging = cells["sos", 0.03]
    assert diverging["diverged"] == 1 and diverging["modes_per_seed"] == [14, None, 16]
    assert diverging["kl"] == (30.0, 10.0) and diverging["modes"] == (15.0, 1.0)   # 1e9 never averaged in
    order = [(c["algorithm"], c["shaping_alpha"]) for c in module.over_seeds(module.rows(first, second))]
    # LOLA: more modes (0.1) before fewer at a lower KL; SOS: never diverged on three seeds (0.01) before the
    # one-seed screening (0.1), whatever their modes, before the one that blew up on a seed (0.03)
    assert order == [("lola", 0.1), ("lola", 0.03), ("lola", 1.0), ("lola", 0.01), ("lola", 0.3),
                     ("sos", 0.01), ("sos", 0.2), ("sos", 0.1), ("sos", 0.03)]
    text = module.table(module.rows(first, second))
    assert "| **SOS** | 0.0002 | 0.01 | 0, 1, 2 | 0 | 4, 6, 2 | 4.0 ± 1.6 | 40.0% ± 0.0% | 12 ± 1.63 | 2 |" in text
    assert "| SOS | 0.0002 | 0.03 | 0, 1, 2 | 1 | 14, ×, 16 | 15.0 ± 1.0 |" in text
    # the one-seed screening that beat the first on the seed both ran is named as unsettled; LOLA's 0.01
    # (10 modes against 14 on seed 0) and SOS's 0.03 (blew up) are not
    assert [(c["algorithm"], c["shaping_alpha"], c["modes"], c["first_modes"])
            for c in module.contenders(module.over_seeds(module.rows(first, second)))] == [("sos", 0.1, [16], [4])]
    assert "not yet run on its other seeds (unsettled, not chosen): SOS 0.0002 (shaping α 0.1) (seed 0: 16 modes against 4)" \
        in text
    with pytest.raises(SystemExit, match="is in both"):
        module.rows(first, first)
    with pytest.raises(SystemExit, match="no tasks/ directory; give the output directory"):
        module.rows(first, tmp_path / "typo")


def test_the_grid_table_shows_shaping_alpha_and_variants_and_ranks_only_the_default_setup(tmp_path):

    from sosverify.results import write_json

    module = experiment("gmm_grid_table")
    (tmp_path / "tasks").mkdir()

    def result(algo, kl, **task):
        task = {"game": "gmm", "algorithm": algo, "alpha": 1e-4, "seed": 0, "iterations": 2, "eval_every": 2,
                "spec": {}, **task}
        write_json(tmp_path / "tasks" / f"{task_key(task)}.json", {"task": task, "commit": "abc123", "result": {
            "kl": {"2": kl}, "modes_covered": {"2": 3}, "high_quality": {"2": 0.2}, "diverged_at": None,
            "p_below_one_share": 0.25 if algo == "sos" else None}})

    result("sos", 9.0, shaping_alpha=0.1)
    result("sos", 8.0)                                    # tied to the rate
    result("sos", 1.0, spec={"minibatch": "tiled"})       # lowest, but another setup: shown, not ranked
    result("sga", 5.0, hyper={"eps": 1e-6})
    found = module.rows(tmp_path)
    assert module.best_settings(found) == {"sos": (1e-4, "lr")}
    text = module.table(found)
    assert "| SOS | 0.0001 | 0.1 |  | 0 |" in text and "minibatch tiled" in text and "25.0%" in text
    assert "| SGA | 0.0001 | — | eps 1e-06 |" in text and "abc123" in text


def test_a_task_file_edited_by_hand_is_not_taken_for_a_finished_result(tmp_path):
    """Each task file carries the digest of what it holds; an edited result no longer matches and the
    task counts as not finished (it is run again); a file written before the digest is read as before."""
    from sosverify.results import write_json
    from sosverify.sweep import _stored, sealed

    task = grid("tandem", ["nl"], [0.1], [0], steps=2, runs=1, backend="autograd")[0]
    record = sealed({"task": task, "result": {"final_loss_mean": [0.5, 0.5]}, "versions": {}, "commit": None})
    path = tmp_path / f"{task_key(task)}.json"
    write_json(path, record)
    assert _stored(tmp_path, task)["result"]["final_loss_mean"] == [0.5, 0.5]
    edited = {**record, "result": {"final_loss_mean": [0.0, 0.0]}}
    write_json(path, edited)
    assert _stored(tmp_path, task) is None
    write_json(path, {k: v for k, v in edited.items() if k != "sha256"})  # an older file: no digest
    assert _stored(tmp_path, task) is not None


def test_a_task_file_that_is_a_directory_is_refused_before_any_work(tmp_path):
    pytest.importorskip("dask.distributed")
    tasks = grid("tandem", ["nl"], [0.1], [0], steps=2, runs=1, backend="autograd")
    (tmp_path / f"{task_key(tasks[0])}.json").mkdir()
    with pytest.raises(sosverify.SosverifyError, match="is a directory; the sweep writes that task's result there"):
        sweep(tasks, tmp_path)



def test_the_grid_table_sums_the_recorded_training_time_and_reads_results_without_iterations(tmp_path):
    """The search's time is the sum of each training's recorded seconds; a result written before it
    recorded ``iterations`` takes them from its task (it was a KeyError)."""

    from sosverify.results import write_json

    module = experiment("gmm_grid_table")
    (tmp_path / "tasks").mkdir()
    for seed, seconds in ((0, 1800.0), (1, 5400.0)):
        task = {"game": "gmm", "algorithm": "nl", "alpha": 1e-4, "seed": seed, "iterations": 4, "eval_every": 2}
        write_json(tmp_path / "tasks" / f"{task_key(task)}.json", {"task": task, "result": {
            "kl": {"4": 9.0}, "modes_covered": {"4": 1}, "high_quality": {"4": 0.5}, "diverged_at": None,
            "seconds": seconds, "final_xi_norm": 1.0}})
    # seed 0 taken on to 6 iterations (sweep gmm --extends 4): its recorded seconds include the 1800 of its
    # first 4 iterations, and its 12k-style KL must not be averaged with the 8k-style ones
    task = {"game": "gmm", "algorithm": "nl", "alpha": 1e-4, "seed": 0, "iterations": 6, "eval_every": 2, "extends": 4}
    write_json(tmp_path / "tasks" / f"{task_key(task)}.json", {"task": task, "result": {
        "kl": {"4": 9.0, "6": 0.1}, "modes_covered": {"4": 1, "6": 16}, "high_quality": {"4": 0.5, "6": 0.9},
        "diverged_at": None, "seconds": 2700.0, "final_xi_norm": 1.0}})
    # seed 1 taken on from another training of its 4-iteration task (a retraining elsewhere, whose 4th
    # evaluation differs from the one at hand): its own time is unknown, not 3000 - 5400 < 0
    task = {"game": "gmm", "algorithm": "nl", "alpha": 1e-4, "seed": 1, "iterations": 6, "eval_every": 2, "extends": 4}
    write_json(tmp_path / "tasks" / f"{task_key(task)}.json", {"task": task, "result": {
        "kl": {"4": 7.0, "6": 0.2}, "modes_covered": {"4": 2, "6": 16}, "high_quality": {"4": 0.5, "6": 0.9},
        "diverged_at": None, "seconds": 3000.0, "final_xi_norm": 1.0}})
    found = module.rows(tmp_path)
    assert [(f["variant"], f["seconds_per_iteration"]) for f in found] == [
        ("", 450.0), ("", 1350.0), ("on from 4", 450.0), ("on from 4, from another training of its base", None)]
    text = module.table(found)
    assert "Training time: 2.2 h over 3 trainings" in text               # 1800 + 5400 + 900 s
    assert module.best_settings(found) == {"nl": (1e-4, None)} and "| NL | 0.0001 | — | on from 4 | 0 |" in text
