"""The ``sosverify`` command.

Every error from bad input is one line on stderr and exit status 2; no
traceback.
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import sys
import time
from pathlib import Path

from sosverify._functions import function_list
from sosverify.algorithms import ALGORITHMS, get_algorithm
from sosverify.errors import SosverifyError
from sosverify.games import GAMES, get_game
from sosverify.results import prepare_out_dir
from sosverify.validation import MAX_RUNS, MAX_SEED, MAX_STEPS

LOSS_HELP = ("a loss may use numbers, the players' symbols, + - * / **, parentheses, the constants pi and E, "
             f"and the functions {function_list()} (anything else is refused; nothing in a loss is executed)")



MINIBATCH_HELP = ("real minibatches: random (each point's mode drawn uniformly; default) or tiled (the 16 centres "
                  "tiled through the batch, 16 points per mode at batch 256, as the cited notebook)")


def _shaping_help(how: str) -> str:
    from sosverify.gan.train import SHAPING_ALPHA as S
    from sosverify.gan.train import SHAPING_ALPHA_HELP

    return f"{SHAPING_ALPHA_HELP}: {S.allowed} (default {S.default_text}); {how}".replace("%", "%%")


def _shaping_value(text: str):
    from sosverify.gan.train import SHAPING_ALPHA

    try:
        return SHAPING_ALPHA.parse(text)
    except SosverifyError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _dest(option: str) -> str:
    return option[2:].replace("-", "_")


def add_setting_flags(parser, experiments: dict | None = None, game_flags: bool = True) -> None:
    """One flag per declared setting of the rules and of the games, help text from the declaration.

    ``experiments``: ``{name: {setting: default}}``, experiments' own defaults, named too.
    """
    from sosverify.algorithms import all_settings
    from sosverify.games import GAME_SETTINGS

    for option, owners in all_settings().items():
        text = "; ".join(f"{s.help}, {s.allowed} (default {s.default:g}" + "".join(
            f", {e}: {mine[s.name]:g}" for e, mine in (experiments or {}).items()
            if s.name in mine) + ")" for _, s in owners)
        parser.add_argument(option, type=_finite, default=None, help=text)
    for game, settings in (GAME_SETTINGS.items() if game_flags else ()):
        for s in settings:
            parser.add_argument(s.option, type=_finite, default=None,
                                help=f"{s.help}, {s.allowed} (default {s.default:g}; the {game} game only)")


def rule_settings(args, algos) -> dict:
    """The rules' settings given on the command line, ``{name: value}``; a flag no chosen rule takes is refused."""
    from sosverify.algorithms import all_settings

    given = {}
    for option, owners in all_settings().items():
        value = getattr(args, _dest(option))
        if value is None:
            continue
        mine = [(a, s) for a, s in owners if a in algos]
        if not mine:
            users = ", ".join(a for a, _ in owners)
            raise SosverifyError(f"{option} ({owners[0][1].help}) is not used by {', '.join(algos)}; "
                                 f"it applies to: {users}")
        for _, s in mine:
            given[s.name] = s.check(value)
    return given


def game_settings(args, game: str | None, what: str = "game") -> dict:
    """The game's settings given on the command line (``--discount`` → ``gamma``), checked."""
    from sosverify.games import GAME_SETTINGS

    given = {}
    for name, settings in GAME_SETTINGS.items():
        for s in settings:
            value = getattr(args, _dest(s.option))
            if value is None:
                continue
            if name != game:
                raise SosverifyError(f"{s.option} ({s.help}) applies to the {name} {what} only")
            given[s.name] = s.check(value)
    return given


def _game_from_args(args):
    from sosverify.expressions import game_from_specs

    if args.player:
        if args.game:
            raise SosverifyError("give either a built-in GAME or --player expressions, not both")
        game_settings(args, None)
        return game_from_specs(args.player)
    if not args.game:
        raise SosverifyError(f"give a GAME ({', '.join(GAMES)}) or --player \"SYMBOLS=LOSS\" per player")
    return get_game(args.game, **game_settings(args, args.game))


def cmd_run(args) -> int:
    from sosverify.plotting import loss_curves
    from sosverify.results import save_figure, versions, write_json
    from sosverify.runner import run, summarise

    game = _game_from_args(args)
    args.algo = list(dict.fromkeys(args.algo))  # a name given twice runs and is recorded once
    algos = [get_algorithm(name) for name in args.algo]
    hyper = rule_settings(args, args.algo)
    out = prepare_out_dir(args.out)
    check_files_writable(out, ["results.json", "losses.png"])
    histories, entries, seconds = {}, {}, {}
    for algo in algos:
        mine = {k: v for k, v in hyper.items() if k in algo.defaults}
        start = time.perf_counter()
        h = run(game, algo, alpha=args.alpha, steps=args.steps, runs=args.runs, seed=args.seed,
                init_std=args.init_std, progress=not args.quiet and sys.stderr.isatty(), params_every=None, **mine)
        seconds[algo.name] = time.perf_counter() - start
        histories[algo.name] = h
        entries[algo.name] = {**summarise(h), "seconds": seconds[algo.name]}
    config = {"command": "run", "game": game.name, "game_params": game.params, "algorithms": args.algo,
              "alpha": args.alpha, "steps": args.steps, "runs": args.runs, "seed": args.seed,
              "init_std": game.init_std if args.init_std is None else args.init_std,
              "hyperparameters": {a.name: entries[a.name]["hyperparameters"] for a in algos}}
    results = {"config": config, "versions": versions(), "algorithms": entries}
    write_json(out / "results.json", results)
    save_figure(loss_curves(histories, f"{game.name}: alpha={args.alpha}, {args.runs} runs"), out / "losses.png",
                close=True)
    if args.json:
        import json

        from sosverify.results import jsonable
        print(json.dumps(jsonable(results), indent=2))
    else:
        print(_table(game, entries))
        print(f"wrote {out / 'results.json'} and {out / 'losses.png'}")
    return 0


def number(value: float, digits: int = 4) -> str:
    """Fixed point for ordinary magnitudes, scientific notation for very large or very small ones.

    >>> number(1.0625), number(2.5e-9), number(-3.1e7), number(0.0)
    ('1.0625', '2.500e-09', '-3.100e+07', '0.0000')
    """
    if value != 0 and not 10 ** -(digits - 1) <= abs(value) < 1e5:
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits}f}"


def _table(game, entries) -> str:
    scaled = game.report_scale != 1.0
    head = "final loss (reported)" if scaled else "final loss"
    rows = [f"{'algorithm':<10} {head:<{12 * game.n_players + 8}} {'diverged':>8} {'seconds':>8}"]
    for name, e in entries.items():
        means, stds = e["final_reported_loss_mean"], e["final_reported_loss_std"]
        cells = "  ".join("   n/a    " if m is None else f"{number(m)}±{number(s, 3)}" for m, s in zip(means, stds))
        rows.append(f"{name:<10} {cells:<{12 * game.n_players + 8}} {e['diverged']:>8} {e['seconds']:>8.2f}")
    return "\n".join(rows)


def cmd_verify(args) -> int:
    from sosverify.claims import CLAIMS, get_claims
    from sosverify.claims.inventory import inventory
    from sosverify.claims.inventory import render as render_inventory
    from sosverify.verify import ok, run_claims, table, write_report

    if args.list:
        for c in get_claims(long=True):
            kind = " [erratum]" if c.kind == "erratum" else ""
            print(f"{c.id:<27} {c.method:<17} {c.section:<14} {c.statement}{kind}" + (" [long: --long]" if c.long else ""))
        return 0
    if args.only:
        args.only = list(dict.fromkeys(args.only))  # each claim is checked once
    get_claims(args.only)  # unknown ids fail before any work
    if args.inventory:
        if args.only:
            raise SosverifyError("--inventory lists the whole paper; it takes no --only")
        print(render_inventory(inventory(CLAIMS)))
        return 0
    out = prepare_out_dir(args.out)
    check_files_writable(out, ["report.md", "report.json"])
    results = run_claims(args.only, progress=not args.quiet and sys.stderr.isatty(), long=args.long,
                         twins=not args.no_twins)
    skipped = [c.id for c in get_claims(long=True) if c.long] if not (args.only or args.long) else []
    write_report(results, out, skipped, inventory(CLAIMS) if not args.only else ())
    print(table(results))
    if skipped:
        print(f"not checked (minutes each; sosverify verify --long): {', '.join(skipped)}")
    print(f"wrote {out / 'report.md'} and {out / 'report.json'}")
    return 0 if ok(results) else 1


def cmd_audit(args) -> int:
    """``sosverify audit RULE ...``: the paper's guarantees checked for each rule (see sosverify.audit)."""
    from sosverify.audit import PROPERTIES, audit, load_rule, render_markdown, write_reports

    targets = list(ALGORITHMS) if args.rules == ["all"] else list(dict.fromkeys(args.rules))
    properties = list(dict.fromkeys(args.check or PROPERTIES))
    required = list(dict.fromkeys(args.require)) if args.require is not None else \
        [p for p in properties if p != "paper-games"]
    for p in [*properties, *required]:
        if p not in PROPERTIES:
            raise SosverifyError(f"unknown property {p!r}; valid: {', '.join(PROPERTIES)}")
    missing = [p for p in required if p not in properties]
    if missing:
        raise SosverifyError(f"--require {', '.join(missing)}: not among the checked properties")
    if "paper-games" in required:
        raise SosverifyError("paper-games is observed behaviour, not a property that holds or fails; "
                             "it cannot be --require'd")
    rules = [load_rule(t) for t in targets]
    if args.symbolic not in (None, "builtin") and len(rules) > 1:
        raise SosverifyError("--symbolic MODULE:FUNCTION is the symbolic form of one rule; audit one rule with it")
    taken = {st.option for r in rules for st in r.settings}
    for option in _setting_options():
        if getattr(args, _dest(option)) is not None and option not in taken:
            raise SosverifyError(f"{option} is not a setting of {', '.join(r.name for r in rules)}")
    out = prepare_out_dir(args.out)
    check_files_writable(out, ["audit.md", "audit.json"])
    reports = []
    for rule in rules:
        mine = {st.name: getattr(args, _dest(st.option), None) for st in rule.settings}
        show = (lambda f, r=rule.name: print(f"  {r}: {f.property} {f.status}", file=sys.stderr)) \
            if not args.quiet and sys.stderr.isatty() else None
        reports.append(audit(rule, properties=properties, profile=args.profile, hyper=mine, progress=show,
                             symbolic=args.symbolic))
    write_reports(reports, out)
    print(render_markdown(reports))
    print(f"wrote {out / 'audit.md'} and {out / 'audit.json'}")
    return 0 if all(r.passed(required) for r in reports) else 1


def _setting_options() -> list:
    from sosverify.algorithms import all_settings

    return list(all_settings())


def cmd_analyse(args) -> int:
    import json

    from sosverify.symbolic.analyse import analyse, render_text
    from sosverify.symbolic.game import SymGame

    result = analyse(SymGame.from_specs(args.player), box=args.box, timeout=args.timeout,
                     alpha=args.numeric_alpha, starts=args.starts)
    print(json.dumps(result, indent=2) if args.json else render_text(result))
    return 0


GMM_FLAGS = ("preset", "lr", "iterations", "eval_every", "dtype", "grid", "jobs", "checkpoint_every", "scheduler",
             "shaping_alpha", "minibatch")
NOT_GMM_FLAGS = ("runs", "steps", "alpha", "init_std")


def _given(args, names) -> list:
    return ["--" + n.replace("_", "-") for n in names if getattr(args, n) is not None]


SWEEP_GMM_FLAGS = ("preset", "iterations", "eval_every", "shaping_alpha", "minibatch")
SWEEP_GAME_FLAGS = ("steps", "runs")


def cmd_sweep(args) -> int:
    from sosverify.algorithms import hyperparameters_for
    from sosverify.backends import active_name
    from sosverify.gan.train import SHAPING_ALPHA, divergence_of
    from sosverify.results import write_json
    from sosverify.sweep import collect, grid, sweep

    algos = list(dict.fromkeys(get_algorithm(a).name for a in args.algos))
    args.alpha, args.seeds = list(dict.fromkeys(args.alpha)), list(dict.fromkeys(args.seeds))  # each task once
    hyper = rule_settings(args, algos)
    # the backend that will run the tasks (flag, else SOSVERIFY_BACKEND, else autograd) is part of
    # each task, so a result of one backend is never taken for the other's on resume
    common: dict = {"backend": active_name()}
    if args.game == "gmm":
        from dataclasses import replace

        from sosverify.gan.train import check_gan_algorithm
        from sosverify.reproduce.gmm import preset

        wrong = _given(args, SWEEP_GAME_FLAGS)
        if wrong:
            raise SosverifyError(f"{', '.join(wrong)} do not apply to gmm sweeps; the GAN takes --preset, "
                                 "--iterations and --eval-every")
        game_settings(args, "gmm", "sweep")
        for a in algos:
            check_gan_algorithm(a)
        chosen = preset(args.preset or "small")
        chosen_spec = replace(chosen["spec"], minibatch=args.minibatch or "random")
        iterations = args.iterations or chosen["iterations"]
        common.update(spec=chosen_spec.as_dict(), iterations=iterations,
                      eval_every=min(args.eval_every or chosen["eval_every"], iterations))
        shaping = list(dict.fromkeys(args.shaping_alpha or [SHAPING_ALPHA.default]))
    else:
        wrong = _given(args, SWEEP_GMM_FLAGS)
        if wrong:
            raise SosverifyError(f"{', '.join(wrong)} apply to gmm sweeps only; {args.game} takes --steps and --runs")
        get_game(args.game)  # an unknown name is refused before any worker starts
        settings = game_settings(args, args.game)
        common.update(steps=100 if args.steps is None else args.steps, runs=1 if args.runs is None else args.runs)
        if settings:  # only when given, so that tasks without them keep their keys
            common["game_settings"] = settings
    tasks = []
    for a in algos:
        mine = hyperparameters_for(get_algorithm(a), hyper)
        if args.game != "gmm":
            tasks += grid(args.game, [a], args.alpha, args.seeds, hyper=mine, **common)
            continue
        # rules x rates x shaping alphas x seeds, in the order given; a task tied to the rate ("lr"), or of
        # a rule that predicts no step, has no shaping_alpha entry (its key as before the setting existed)
        values = shaping if get_algorithm(a).predicts else [None]
        for rate in args.alpha:
            for sa in values:
                extra = {} if sa in (None, "lr") else {"shaping_alpha": sa}
                tasks += grid(args.game, [a], [rate], args.seeds, hyper=mine, **common, **extra)
    out = prepare_out_dir(args.out)
    if (out / "tasks").exists() and not (out / "tasks").is_dir():
        raise SosverifyError(f"{out / 'tasks'} is a file; a sweep keeps its task results in that directory: "
                             "remove it or choose another --out")
    check_files_writable(out, ["sweep.json"])
    prepare_out_dir(out / "tasks")
    # a GAN training checkpoints in OUT/checkpoints, so a sweep stopped part-way continues it from there
    report = sweep(tasks, out / "tasks", scheduler=args.scheduler, workers=args.workers, resume=not args.restart,
                   progress=not args.quiet and sys.stderr.isatty(),
                   checkpoints=out / "checkpoints" if args.game == "gmm" else None)
    # this sweep's tasks only: a directory may hold the results of other sweeps too
    results = collect(out / "tasks", tasks)
    write_json(out / "sweep.json", {"report": report, "results": results})
    print(f"{len(results)} of {report['tasks']} tasks finished ({report['skipped']} from an earlier run, "
          f"{len(report['failed'])} failed); results in {out}")
    metric = "final_kl" if args.game == "gmm" else "final_loss_mean"
    for r in results:
        t, res = r["task"], r["result"]
        why = divergence_of(res) if args.game == "gmm" else None
        at = f" at iteration {res['diverged_at']}" if res.get("diverged_at") is not None else ""
        value = f"diverged{at} ({why})" if why else f"{metric}={res.get(metric)}"
        sa = f" shaping_alpha={t['shaping_alpha']}" if "shaping_alpha" in t else ""
        print(f"  {t['algorithm']:<6} alpha={t['alpha']:<10g}{sa} seed={t['seed']:<4} {value}")
    for f in report["failed"]:
        print(f"  FAILED {f['key']}: {f['error']}", file=sys.stderr)
    return 1 if report["failed"] else 0


def cmd_reproduce(args) -> int:
    from sosverify.reproduce import get_experiment
    from sosverify.reproduce.common import QUICK_EXPERIMENTS, check_algorithms, write

    if args.experiment == "gmm":
        return cmd_gmm(args)
    names = list(QUICK_EXPERIMENTS) if args.experiment == "all" else [args.experiment]
    fns = [get_experiment(n) for n in names]
    wrong = _given(args, GMM_FLAGS)
    if wrong:
        raise SosverifyError(f"{', '.join(wrong)} apply to the gmm experiment only")
    if args.algos is not None:
        args.algos = list(dict.fromkeys(args.algos))
        check_algorithms(args.algos)
    every = {}  # every experiment's settings are checked before any of them runs
    for name, fn in zip(names, fns):
        settings = {k: v for k, v in (("runs", args.runs), ("steps", args.steps), ("alpha", args.alpha),
                                      ("seed", args.seed), ("init_std", args.init_std), ("algos", args.algos))
                    if v is not None}
        settings.update(game_settings(args, fn.game, "experiment"))
        hyper = rule_settings(args, check_algorithms(settings.get("algos") or _default_algos(fn)))
        if hyper:
            settings["hyper"] = hyper
        every[name] = settings
    outs = {n: prepare_out_dir(Path(args.out) / n if args.out and len(names) > 1 else
                                     Path(args.out) if args.out else Path("results") / n) for n in names}
    for name in names:
        check_files_writable(outs[name], ["summary.json"], figures=True)
    for name, fn in zip(names, fns):
        settings = every[name]
        resolved = resolved_settings(fn, settings)
        if args.resume and _up_to_date(outs[name], resolved):
            print(f"== {name}: {outs[name]} already holds every file of these settings (manifest.json); skipped (--resume)")
            continue
        start = time.perf_counter()
        rep = fn(progress=not args.quiet and sys.stderr.isatty(), **settings)
        rep.config["settings"] = resolved
        out = write(rep, outs[name])
        print(f"== {name} ({time.perf_counter() - start:.1f} s) -> {out}")
        print(_reproduction_table(rep))
    return 0


def cmd_gmm(args) -> int:
    """``sosverify reproduce gmm``: the GAN of Figures 4–7 (see sosverify.reproduce.gmm)."""
    from sosverify.reproduce.common import check_algorithms, write
    from sosverify.reproduce.gmm import DEFAULT_ALGOS, parse_learning_rates, parse_shaping_alphas, run_gmm

    wrong = _given(args, NOT_GMM_FLAGS)
    if wrong:
        raise SosverifyError(f"{', '.join(wrong)} do not apply to the gmm experiment; it takes --preset, --algos, "
                             "--lr, --shaping-alpha, --iterations, --eval-every, --seed, --dtype, the rules' settings "
                             "(--a, --b, ...), --grid, --jobs, --scheduler, --checkpoint-every, --resume")
    game_settings(args, "gmm", "experiment")
    if args.seed is not None and args.seed < 0:
        raise SosverifyError(f"--seed must be a non-negative integer, got {args.seed}")
    algos = check_algorithms(args.algos or DEFAULT_ALGOS)
    hyper = rule_settings(args, algos)
    out = prepare_out_dir(Path(args.out) if args.out else Path("results") / "gmm")
    check_files_writable(out, ["summary.json"], figures=True)
    start = time.perf_counter()
    rep = run_gmm(preset_name=args.preset or "small", algos=algos, lr=parse_learning_rates(args.lr),
                  iterations=args.iterations, eval_every=args.eval_every,
                  seed=0 if args.seed is None else args.seed, dtype=args.dtype or "float32",
                  hyper=hyper, grid=args.grid,
                  jobs=args.jobs, checkpoint_dir=out / "checkpoints", checkpoint_every=args.checkpoint_every,
                  resume=args.resume, progress=not args.quiet and sys.stderr.isatty(), scheduler=args.scheduler,
                  shaping_alpha=parse_shaping_alphas(args.shaping_alpha), minibatch=args.minibatch or "random")
    write(rep, out)
    print(f"== gmm ({time.perf_counter() - start:.1f} s) -> {out}")
    print(_gmm_table(rep))
    return 0


def _gmm_table(rep) -> str:
    rows = []
    for name, e in rep.summary["algorithms"].items():
        evals = "  ".join(f"{it}: KL {kl:.3g} {e['modes_covered'][it]}/16" for it, kl in e["kl"].items())
        state = f"diverged at {e['diverged_at']}" if e["diverged_at"] is not None else evals
        sa = e.get("shaping_alpha")
        sa = "" if sa in (None, "lr") else f" alpha {sa if isinstance(sa, str) else format(sa, 'g')}"
        rows.append(f"{name:<5} lr {e['lr']:<8g}{sa} {state}  ({e['seconds_per_iteration'] * 1000:.0f} ms/it)")
    if "grid" in rep.summary:
        rows.append("grid (final KL): " + "; ".join(
            f"{n}: " + ", ".join(f"{lr}→{'diverged' if kl is None else format(kl, '.3g')}" for lr, kl in g.items())
            for n, g in rep.summary["grid"].items()))
    return "\n".join(rows)


def _default_algos(fn) -> tuple:
    return inspect.signature(fn).parameters["algos"].default


def resolved_settings(fn, settings: dict) -> dict:
    """Every setting of an experiment: its defaults overridden by ``settings``, and each rule's
    settings in full (JSON-ready)."""
    from sosverify.reproduce.common import hyper_config
    from sosverify.results import jsonable

    params = inspect.signature(fn).parameters
    out = {k: p.default for k, p in params.items() if k != "progress"}
    out.update(settings)
    out["hyper"] = hyper_config(out["algos"], {**fn.hyper_defaults, **(settings.get("hyper") or {})})
    return jsonable(out)


def _up_to_date(out, resolved: dict) -> bool:
    from sosverify.reproduce.common import up_to_date

    return up_to_date(out, resolved)


def _reproduction_table(rep) -> str:
    rows = []
    for algo, e in rep.summary["algorithms"].items():
        loss = e.get("final_loss_mean")
        cells = "  ".join("n/a" if v is None else f"{number(v):>8}" for v in (loss or [None]))
        extra = ""
        if "outcomes" in e:
            extra = "  " + " ".join(f"{k}={v:.0%}" for k, v in e["outcomes"].items())
            extra += f"  mutual-cooperation={e['mutual_cooperation']:.0%}"
        if "final_sum_mean" in e and e["final_sum_mean"] is not None:
            extra = f"  x+y={e['final_sum_mean']:.5f}  avg-loss={e['final_average_loss_mean']:.5f}"
            if "final_p_mean" in e and e["final_p_mean"] is not None:
                extra += f"  p={e['final_p_mean']:.2e}"
        if "final_distance_mean" in e and e["final_distance_mean"] is not None:
            extra = f"  distance to (1/2,1/2): {e['initial_distance_mean']:.3g} -> {e['final_distance_mean']:.3g}"
        rows.append(f"{algo:<6} loss {cells}{extra}  diverged={e['diverged']}  ({rep.seconds[algo]:.2f} s)")
    return "\n".join(rows)


def cmd_games(args) -> int:
    for name, make in GAMES.items():
        g = make()
        print(f"{name:<18} {g.description}")
    return 0


def cmd_algorithms(args) -> int:
    for name, a in ALGORITHMS.items():
        hp = ", ".join(f"{s.name}={s.default:g} ({s.allowed})" for s in a.settings)
        print(f"{name:<6} {a.description}" + (f"  [{hp}]" if hp else ""))
    return 0


RESULT_SUFFIXES = (".json", ".csv", ".png", ".pdf", ".md")


def check_files_writable(out: Path, names, figures: bool = False) -> None:
    """Refuse before any work if a results file to be written is a directory: one of ``names``, and
    with ``figures`` (reproductions, whose figures are named by the experiment) any directory in
    ``out`` named like a results file."""
    named = [out / name for name in names]
    if figures and out.is_dir():
        try:
            named += sorted(p for p in out.iterdir() if p.suffix in RESULT_SUFFIXES)
        except OSError as exc:
            raise SosverifyError(f"cannot read output directory {str(out)!r}: {exc.strerror or exc}") from None
    for path in named:
        if path.is_dir():
            raise SosverifyError(f"{path} is a directory; sosverify writes a file there: remove it "
                                 "or choose another --out")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def _non_negative(text: str) -> float:
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text}")
    return value


def _box(text: str) -> tuple:
    parts = text.split(",")
    if len(parts) != 2:
        raise argparse.ArgumentTypeError(f"must be LO,HI (e.g. -10,10), got {text!r}")
    lo, hi = (_finite(p) for p in parts)
    if not lo < hi:
        raise argparse.ArgumentTypeError(f"must have LO < HI, got {text!r}")
    if not math.isfinite(hi - lo):
        raise argparse.ArgumentTypeError(f"must have a finite width HI - LO, got {text!r}")
    return lo, hi


def _timeout(text: str) -> float:
    value = _finite(text)
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"must be a number of seconds in (0, 3600], got {text}")
    return value


def _bounded_int(lo: int, hi: int):
    allowed = f"a positive integer no larger than {hi}" if lo == 1 else f"an integer from {lo} to {hi}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {text[:40]!r}") from None
        if not lo <= value <= hi:
            shown = str(value) if len(str(value)) <= 40 else f"an integer of {len(str(value))} digits"
            raise argparse.ArgumentTypeError(f"must be {allowed}, got {shown}")
        return value
    return parse


def sympy_rational(text: str):
    from fractions import Fraction

    import sympy

    f = Fraction(text)
    return sympy.Rational(f.numerator, f.denominator)


def _rational_alpha(text: str):
    try:
        value = sympy_rational(text.strip())
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"must be a positive number such as 0.1 or 1/10, got {text!r}") from None
    if not value > 0 or len(text) > 40:
        raise argparse.ArgumentTypeError(f"must be a positive number such as 0.1 or 1/10, got {text!r}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage dump) and exit 2."""

    def error(self, message):
        self.exit(2, f"sosverify: error: {message}\n")


def _add_backend(p) -> None:
    from sosverify.backends import BACKENDS

    p.add_argument("--backend", type=str.lower, choices=tuple(BACKENDS), default=None,
                   help="differentiation backend: autograd (the reference, default) or jax (compiled; "
                        'pip install "sosverify[jax]"); default: $SOSVERIFY_BACKEND or autograd')


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sosverify", description="Check and reproduce 'Stable Opponent Shaping in "
                     "Differentiable Games' (ICLR 2019).")
    from sosverify import __version__

    parser.add_argument("--version", action="version", version=f"sosverify {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("run", help="run learning rules on a game and write results.json and a figure")
    p.add_argument("game", nargs="?", help=f"built-in game: {', '.join(GAMES)}")
    p.add_argument("--player", action="append", metavar="SYMBOLS=LOSS",
                   help='a player of your own game, e.g. --player "x=(x+y)**2-2*x" (repeat per player); ' + LOSS_HELP)
    p.add_argument("--algo", nargs="+", required=True, metavar="NAME", help=f"one or more of: {', '.join(ALGORITHMS)}")
    p.add_argument("--alpha", type=_positive_float, required=True, help="learning rate (> 0)")
    p.add_argument("--steps", type=_bounded_int(1, MAX_STEPS), default=100)
    p.add_argument("--runs", type=_bounded_int(1, MAX_RUNS), default=1)
    p.add_argument("--seed", type=_bounded_int(0, MAX_SEED), default=0)
    p.add_argument("--init-std", type=_non_negative, default=None, help="std of the initial parameters (default: the game's)")
    add_setting_flags(p)
    p.add_argument("--out", default="sosverify-results", help="output directory (default: ./sosverify-results)")
    p.add_argument("--json", action="store_true", help="print the results JSON instead of the table")
    _add_backend(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("verify", help="check every claim of the paper; write report.md and report.json")
    p.add_argument("--only", nargs="+", metavar="ID", help="check only these claims")
    p.add_argument("--list", action="store_true", help="list the claims and exit")
    p.add_argument("--long", action="store_true", help="also check the long claims (minutes each; see --list)")
    p.add_argument("--inventory", action="store_true",
                   help="print the inventory of the paper's checkable statements (claims, strength or why not checked) and exit")
    p.add_argument("--no-twins", action="store_true",
                   help="skip re-checking each claim with its planted twins (wrong rules it must fail on)")
    p.add_argument("--out", default="sosverify-report", help="report directory (default: ./sosverify-report)")
    _add_backend(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("analyse", help="symbolic analysis of your own game")
    p.add_argument("--player", action="append", metavar="SYMBOLS=LOSS", required=True,
                   help='a player, e.g. --player "x=(x+y)**2-2*x" (repeat per player); ' + LOSS_HELP)
    p.add_argument("--box", type=_box, default=(-10.0, 10.0), metavar="LO,HI",
                   help="box searched numerically for fixed points, the same for every parameter (default: -10,10)")
    p.add_argument("--timeout", type=_timeout, default=10.0, metavar="SECONDS",
                   help="time limit of each stage (exact solve, classification, numeric search; default 10)")
    p.add_argument("--starts", type=_bounded_int(1, 100_000), default=100, help="numeric starts (default 100)")
    p.add_argument("--numeric-alpha", type=_rational_alpha, default=sympy_rational("1/10"), metavar="ALPHA",
                   help="learning rate at which LOLA's fixed points are searched numerically (default 1/10)")
    p.add_argument("--json", action="store_true", help="print JSON (each answer with its status)")
    p.set_defaults(func=cmd_analyse)

    p = sub.add_parser("reproduce", help="reproduce an experiment at paper scale (figures, summary.json, ...)")
    p.add_argument("experiment", help="ipd, tandem, matching-pennies, all (these three) or gmm (the GAN)")
    p.add_argument("--runs", type=_bounded_int(1, MAX_RUNS))
    p.add_argument("--steps", type=_bounded_int(1, MAX_STEPS))
    p.add_argument("--alpha", type=_positive_float)
    p.add_argument("--seed", type=_bounded_int(0, MAX_SEED))
    p.add_argument("--init-std", type=_non_negative)
    p.add_argument("--algos", nargs="+", metavar="NAME")
    from sosverify.reproduce.common import HYPER_DEFAULTS

    add_setting_flags(p, HYPER_DEFAULTS)
    p.add_argument("--out", default=None, help="output directory (default: ./results/<experiment>)")
    p.add_argument("--resume", action="store_true",
                   help="skip an experiment whose summary.json in --out already has exactly these settings; "
                        "gmm: continue every training from its checkpoint")
    g = p.add_argument_group("gmm (the GAN of Figures 4-7)")
    g.add_argument("--preset", choices=("small", "paper"), help="network size and schedule (default: small)")
    g.add_argument("--lr", nargs="+", metavar="ALGO=RATE", help="RMSProp learning rate per algorithm, e.g. sos=1e-4")
    g.add_argument("--shaping-alpha", nargs="+", metavar="VALUE", help=_shaping_help(
        "one VALUE for every rule, or ALGO=VALUE items, e.g. sos=0.1 la=0.03"))
    g.add_argument("--iterations", type=_bounded_int(1, MAX_STEPS),
                   help="training iterations (default: the preset's; the paper preset then trains SOS, LA and NL "
                        "on for Figure 7's ‖ξ‖)")
    g.add_argument("--eval-every", type=_bounded_int(1, MAX_STEPS), help="evaluate KL and modes every this many iterations")
    g.add_argument("--dtype", choices=("float32", "float64"), help="float32 (default) or float64")
    g.add_argument("--minibatch", choices=("random", "tiled"), help=MINIBATCH_HELP)
    g.add_argument("--grid", nargs="+", type=_positive_float, metavar="LR",
                   help="train every algorithm at every rate; report each algorithm's best final KL")
    g.add_argument("--jobs", type=_bounded_int(1, 1024),
                   help="trainings in parallel: Dask worker processes on this machine (default: the number of cores)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the trainings on an existing Dask cluster, e.g. tcp://10.0.0.1:8786")
    g.add_argument("--checkpoint-every", type=_bounded_int(1, MAX_STEPS), help="checkpoint every this many iterations")
    _add_backend(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_reproduce)

    p = sub.add_parser("sweep", help="rules x learning rates x seeds as independent tasks on Dask (local or a cluster)")
    p.add_argument("game", help=f"built-in game: {', '.join(GAMES)} (gmm: the GAN)")
    p.add_argument("--algos", nargs="+", required=True, metavar="NAME")
    p.add_argument("--alpha", nargs="+", type=_positive_float, required=True, metavar="RATE",
                   help="learning rates (the GAN: RMSProp's rate; the alpha inside the rule is --shaping-alpha)")
    p.add_argument("--seeds", nargs="+", type=_bounded_int(0, MAX_SEED), default=[0], metavar="SEED")
    p.add_argument("--steps", type=_bounded_int(1, MAX_STEPS), help="steps per run (default 100)")
    p.add_argument("--runs", type=_bounded_int(1, MAX_RUNS), help="runs per task (batched; default 1)")
    p.add_argument("--preset", choices=("small", "paper"), help="gmm: network size and schedule (default: small)")
    p.add_argument("--iterations", type=_bounded_int(1, MAX_STEPS), help="gmm: training iterations")
    p.add_argument("--eval-every", type=_bounded_int(1, MAX_STEPS), help="gmm: evaluate every this many iterations")
    p.add_argument("--minibatch", choices=("random", "tiled"), help="gmm: " + MINIBATCH_HELP)
    p.add_argument("--shaping-alpha", nargs="+", type=_shaping_value, metavar="VALUE",
                   help="gmm: " + _shaping_help("each value is a task of its own (LA, LOLA, SOS, p-LOLA, EG)"))
    add_setting_flags(p)
    p.add_argument("--scheduler", metavar="ADDRESS", help="an existing Dask scheduler, e.g. tcp://10.0.0.1:8786 "
                   "(default: a local cluster)")
    p.add_argument("--workers", type=_bounded_int(1, 1024), help="local worker processes (default: the number of cores)")
    p.add_argument("--out", default="sosverify-sweep", help="output directory (default: ./sosverify-sweep)")
    p.add_argument("--restart", action="store_true",
                   help="run every task again, GAN trainings from their start (default: skip finished tasks "
                        "and continue GAN trainings from their checkpoints in OUT/checkpoints)")
    _add_backend(p)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("audit", help="check a learning rule of your own against the paper's guarantees")
    p.add_argument("rules", nargs="+", metavar="RULE",
                   help="MODULE:FUNCTION (a rule with the built-in signature), a built-in name, or all")
    p.add_argument("--check", nargs="+", action="extend", metavar="PROPERTY",
                   help="properties to check (default: all): consistency, convergence, saddles, reduction, "
                        "alignment, paper-games")
    p.add_argument("--require", nargs="*", action="extend", metavar="PROPERTY",
                   help="exit 0 only if these hold (default: every checked property but paper-games; "
                        "--require with no property requires none)")
    p.add_argument("--symbolic", nargs="?", const="builtin", metavar="MODULE:FUNCTION",
                   help="the same rule as fn(SymGame, alpha) -> sympy.Matrix: consistency and reduction are "
                        "then also proved exactly on the drawn games (alone: the built-in forms of nl, la, lola, co)")
    p.add_argument("--profile", choices=("quick", "default", "long"), default="default",
                   help="games drawn per property: 8, 25 or 200 (default: default)")
    add_setting_flags(p, game_flags=False)
    p.add_argument("--out", default="sosverify-audit", help="report directory (default: ./sosverify-audit)")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("games", help="list the built-in games")
    p.set_defaults(func=cmd_games)
    p = sub.add_parser("algorithms", help="list the learning rules")
    p.set_defaults(func=cmd_algorithms)
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
