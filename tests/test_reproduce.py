"""Reproductions at reduced scale: files, summary keys, outcomes, bad input, atomic results."""

import json
import os

import numpy
import pytest

from sosverify.cli import main
from sosverify.reproduce.ipd import outcomes


def test_ipd_reproduction_writes_every_file_with_the_documented_keys(tmp_path, capsys):
    out = tmp_path / "ipd"
    assert main(["reproduce", "ipd", "--runs", "12", "--steps", "20", "--seed", "3", "--out", str(out), "--quiet"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"figure2a_policies.png", "figure2a_policies.pdf", "figure2b_losses.png", "figure2b_losses.pdf",
            "summary.json", "summary.csv", "curves.csv", "config.json"} <= names
    summary = json.loads((out / "summary.json").read_text())
    config = json.loads((out / "config.json").read_text())
    assert config["seed"] == 3 and config["runs"] == 12 and config["versions"]["numpy"]
    assert set(summary["algorithms"]) == {"sos", "lola", "la", "co", "sga", "nl"}
    sos = summary["algorithms"]["sos"]
    assert len(sos["final_loss_mean"]) == 2 and len(sos["final_loss_std"]) == 2
    assert abs(sum(sos["outcomes"].values()) - 1) < 1e-12
    assert set(sos["outcomes"]) == {"tft", "cooperate", "defect", "other"}
    assert "tit-for-tat" in summary["outcome_rule"]
    header = (out / "curves.csv").read_text().splitlines()[0]
    assert header.startswith("step,sos_loss1_mean,sos_loss1_std")


def test_tandem_reproduction_matches_theory_at_small_scale(tmp_path):
    assert main(["reproduce", "tandem", "--runs", "20", "--steps", "60", "--out", str(tmp_path), "--quiet"]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())["algorithms"]
    assert abs(s["sos"]["final_sum_mean"] - 1) < 1e-3 and abs(s["lola"]["final_sum_mean"] - 4 / 3) < 1e-3
    assert s["sos"]["final_p_mean"] < 1e-6 and s["sos"]["initial_p_mean"] > 0.9


def test_matching_pennies_nl_spirals_out_la_and_sos_converge(tmp_path):
    assert main(["reproduce", "matching-pennies", "--runs", "10", "--steps", "300", "--algos", "nl", "la", "sos",
                 "--out", str(tmp_path), "--quiet"]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())["algorithms"]
    assert s["nl"]["final_distance_mean"] > s["nl"]["initial_distance_mean"]
    assert s["la"]["final_distance_mean"] < 1e-3 and s["sos"]["final_distance_mean"] < 1e-3


def test_same_seed_same_summary(tmp_path):
    for k in (1, 2):
        main(["reproduce", "tandem", "--runs", "5", "--steps", "5", "--seed", "9", "--out", str(tmp_path / str(k)),
              "--quiet"])
    a, b = (json.loads((tmp_path / str(k) / "summary.json").read_text())["algorithms"] for k in (1, 2))
    assert a == b


def test_outcome_rule():
    big = 30.0
    tft = numpy.array([big, big, -big, big, -big, big, big, big, -big, -big])
    defect = -big * numpy.ones(10)
    labels = outcomes(numpy.stack([tft, defect, numpy.zeros(10)]),
                      numpy.array([[1.0, 2.0, 1.05], [1.0, 2.0, 1.05]]))
    assert labels.tolist() == ["tft", "defect", "cooperate"]


@pytest.mark.parametrize("argv, message", [
    (["reproduce", "chess"], "unknown experiment 'chess'"),
    (["reproduce", "ipd", "--algos", "adam"], "unknown algorithm 'adam'"),
    (["reproduce", "ipd", "--runs", "0"], "must be a positive integer"),
    (["reproduce", "ipd", "--steps", "-3"], "must be a positive integer"),
])
def test_bad_input_is_a_one_line_error(argv, message, capsys, tmp_path):
    try:
        code = main([*argv, "--out", str(tmp_path / "o")])
    except SystemExit as exc:  # argparse rejects the value before main's body runs
        code = exc.code
    assert code == 2
    assert not (tmp_path / "o").exists()
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_out_that_is_a_file_leaves_it_untouched(tmp_path, capsys):
    f = tmp_path / "results"
    f.write_text("old")
    assert main(["reproduce", "tandem", "--runs", "2", "--steps", "2", "--out", str(f)]) == 2
    assert "is a file" in capsys.readouterr().err and f.read_text() == "old"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_out_that_is_not_writable_is_rejected(tmp_path, capsys):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    try:
        assert main(["reproduce", "tandem", "--runs", "2", "--steps", "2", "--out", str(d)]) == 2
        assert "not writable" in capsys.readouterr().err
    finally:
        d.chmod(0o700)


def test_a_failing_rerun_keeps_earlier_results(tmp_path, capsys, monkeypatch):
    out = tmp_path / "t"
    assert main(["reproduce", "tandem", "--runs", "3", "--steps", "3", "--out", str(out), "--quiet"]) == 0
    before = (out / "summary.json").read_text()
    import sosverify.reproduce.common as common

    def broken_write(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(common, "write_atomic", broken_write)
    assert main(["reproduce", "tandem", "--runs", "4", "--steps", "3", "--out", str(out), "--quiet"]) == 130
    assert (out / "summary.json").read_text() == before
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_resume_skips_an_experiment_with_identical_settings_only(tmp_path, capsys):
    argv = ["reproduce", "tandem", "--runs", "3", "--steps", "4", "--out", str(tmp_path), "--quiet", "--resume"]
    assert main(argv) == 0
    first = (tmp_path / "summary.json").stat().st_mtime_ns
    capsys.readouterr()
    assert main(argv) == 0
    assert "skipped (--resume)" in capsys.readouterr().out
    assert (tmp_path / "summary.json").stat().st_mtime_ns == first
    assert main([*argv[:2], "--runs", "4", *argv[4:]]) == 0  # other settings: run again
    assert json.loads((tmp_path / "summary.json").read_text())["config"]["runs"] == 4


def test_a_flag_that_does_not_apply_to_the_experiment_is_rejected(tmp_path, capsys):
    assert main(["reproduce", "tandem", "--discount", "0.5", "--out", str(tmp_path)]) == 2
    assert "--discount (the IPD's discount gamma) applies to the ipd experiment only" in capsys.readouterr().err


def test_resume_reruns_when_a_file_of_the_manifest_is_missing_or_changed(tmp_path, capsys):
    out = tmp_path / "t"
    argv = ["reproduce", "tandem", "--runs", "3", "--steps", "4", "--out", str(out), "--quiet", "--resume"]
    assert main(argv) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["files"]) >= {"summary.json", "curves.csv", "figure3_tandem.png"}
    (out / "curves.csv").write_text("step\n")          # changed: its hash no longer matches
    capsys.readouterr()
    assert main(argv) == 0 and "skipped" not in capsys.readouterr().out
    (out / "figure3_tandem.pdf").unlink()              # missing
    assert main(argv) == 0 and "skipped" not in capsys.readouterr().out
    assert (out / "figure3_tandem.pdf").exists()
    assert main(argv) == 0 and "skipped" in capsys.readouterr().out


def test_a_failed_rerun_with_new_settings_leaves_the_old_directory_whole(tmp_path, monkeypatch):
    from sosverify.reproduce import common

    out = tmp_path / "t"
    assert main(["reproduce", "tandem", "--runs", "3", "--steps", "4", "--out", str(out), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def failing_csv(curves):
        raise OSError("disk full")

    monkeypatch.setattr(common, "_curves_csv", failing_csv)
    with pytest.raises(OSError):
        main(["reproduce", "tandem", "--runs", "5", "--steps", "4", "--out", str(out), "--quiet"])
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["t"]     # no temporary directory left behind


def test_files_no_reproduction_wrote_are_left_alone(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["reproduce", "tandem", "--runs", "3", "--steps", "4", "--out", str(tmp_path), "--quiet"]) == 0
    assert (tmp_path / "notes.txt").read_text() == "mine" and (tmp_path / "manifest.json").exists()


def _tandem(tmp):
    from sosverify.reproduce import get_experiment

    return get_experiment("tandem")(runs=2, steps=2)


def test_a_reproduction_written_through_a_symlink_lands_in_its_target_and_the_link_stays(tmp_path):
    from sosverify.reproduce.common import write

    target = tmp_path / "target"
    target.mkdir()
    (tmp_path / "link").symlink_to(target)
    write(_tandem(tmp_path), tmp_path / "link")
    assert (tmp_path / "link").is_symlink() and (target / "summary.json").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no stray temporary directory


def test_a_results_directory_follows_the_umask(tmp_path):
    import os

    from sosverify.reproduce.common import write

    old = os.umask(0o022)
    try:
        out = write(_tandem(tmp_path), tmp_path / "tandem")
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o755  # mkdtemp's 0700 before


def test_a_second_experiment_into_the_directory_of_another_is_refused_and_the_first_kept(tmp_path):
    from sosverify.errors import SosverifyError
    from sosverify.reproduce import get_experiment
    from sosverify.reproduce.common import write

    out = write(_tandem(tmp_path), tmp_path / "out")
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(SosverifyError, match="holds the tandem reproduction"):
        write(get_experiment("matching-pennies")(runs=2, steps=2), out)
    assert sorted(p.name for p in out.iterdir()) == before
    write(_tandem(tmp_path), out)  # the same experiment again replaces it


def test_an_empty_out_is_refused_not_taken_for_the_current_directory():
    from sosverify.errors import SosverifyError
    from sosverify.results import prepare_out_dir

    with pytest.raises(SosverifyError, match="--out is empty"):
        prepare_out_dir("")


def test_results_record_the_processor_they_ran_on(tmp_path):
    """A seed fixes a GAN training on one kind of processor (XLA and the BLAS pick kernels by its vector
    extensions): the versions beside every result name it. Unknown is None, not an empty list."""
    import platform

    from sosverify.results import machine, versions

    x86, arm, ppc, empty = (tmp_path / n for n in ("x86", "arm", "ppc", "empty"))
    block = "processor\t: {}\nmodel name\t: Test CPU 9000\nflags\t\t: fpu sse4_2 avx avx2 fma avx512f{}\n"
    # the first processor's block is read: a later one's extra flag is not taken
    x86.write_text(block.format(0, "") + "\n" + block.format(1, " amx_tile") + "x" * 100_000)
    arm.write_text("processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm sve\nCPU implementer\t: 0x41\n"
                   "CPU part\t: 0xd40\n\nprocessor\t: 1\n")
    ppc.write_text("processor\t: 0\ncpu\t\t: POWER9 (raw), altivec supported\nclock\t\t: 2200MHz\n")
    empty.write_text("")
    assert machine(x86) == {"architecture": platform.machine(), "cpu": "Test CPU 9000",
                            "cpu_features": ["sse4_2", "avx", "avx2", "fma", "avx512f"]}
    assert machine(arm)["cpu"] == "CPU implementer 0x41 CPU part 0xd40"
    assert machine(arm)["cpu_features"] == ["asimd", "sve"]
    assert machine(ppc)["cpu"] == "POWER9 (raw), altivec supported" and machine(ppc)["cpu_features"] is None
    assert machine(empty)["cpu_features"] is None and machine(tmp_path / "missing")["cpu_features"] is None
    assert versions()["machine"] == machine()
