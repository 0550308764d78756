"""Command line: fetch data, train a model, evaluate it against baselines."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Literal, get_args, get_origin, get_type_hints

import torch
from tqdm import tqdm

from recsys.config import TrainConfig, check_setting, field_docs
from recsys.data import (
    RELEASES,
    DataFormatError,
    Dataset,
    FetchError,
    default_data_dir,
    fetch,
    load_dataset,
    read_user_ratings,
)
from recsys.evaluate import evaluate_folds, evaluate_new_users, format_table
from recsys.model import FactorModel
from recsys.spark import SparkUnavailable
from recsys.spark import command as spark_command
from recsys.train import Trainer

DEFAULT_DATA = "ml-100k"
SCALE_THRESHOLD = 2_000_000
"""Ratings above which ``--preset auto`` trains with ``TrainConfig.for_scale()``: the Adam
star head's epochs grow with the square of the ratings, so somewhere past ML-1M it stops being
the faster solver."""


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.command(args) or 0)
    except (DataFormatError, FetchError, FileNotFoundError, ValueError, SparkUnavailable) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m recsys", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    p = sub.add_parser(
        "fetch",
        help="download a MovieLens release",
        description="Download a MovieLens release from GroupLens ($MOVIELENS_URL overrides the "
        "base URL), check its published md5 and unpack it; an interrupted download resumes.",
    )
    p.add_argument("name", choices=list(RELEASES))
    _data_dir(p)
    p.set_defaults(command=_fetch)

    p = sub.add_parser("train", help="train a model and save it")
    _data(p)
    p.add_argument("--out", required=True, type=Path, help="where to write the model file")
    p.add_argument(
        "--engine",
        choices=["torch", "spark"],
        default="torch",
        help="torch (default, this machine) or spark (MLlib ALS: pip install 'moviebot[spark]' "
        "and Java 17); --data may then also be Parquet (a file, folder or s3a:// URL)",
    )
    _config(p)
    spark_command.add_arguments(p)
    p.set_defaults(command=_train)

    p = sub.add_parser("evaluate", help="k-fold evaluation against baselines")
    _data(p)
    p.add_argument("--folds", type=_at_least_two, default=5, help="cross-validation folds (2+)")
    p.add_argument(
        "--split",
        choices=["kfold", "new-users"],
        default="kfold",
        help="kfold: random folds; new-users: 20%% of users folded in from 10 ratings",
    )
    p.add_argument("--json", type=Path, help="also write the results as JSON here")
    _config(p)
    p.set_defaults(command=_evaluate)

    p = sub.add_parser("tune", help="choose each head's main settings on a validation split")
    _data(p)
    p.add_argument(
        "--budget-minutes", type=_minutes, default=10.0, help="wall-clock budget, above 0"
    )
    p.add_argument(
        "--out", type=Path, default=Path("models/train-config.json"), help="config file to write"
    )
    _config(p)
    p.set_defaults(command=_tune)

    p = sub.add_parser("plot", help="learning curve and embedding maps of a model, as PNGs")
    p.add_argument("--model", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path, help="folder for the PNG files")
    p.add_argument(
        "--user-ratings",
        type=Path,
        help="CSV with item_id,rating, or the file the bot's /export sends: also map this user",
    )
    _data(p)
    p.set_defaults(command=_plot)

    p = sub.add_parser("elicit-eval", help="which films to ask first: simulated new users")
    _data(p)
    p.add_argument("--json", type=Path)
    p.add_argument("--png", type=Path)
    _config(p)
    p.set_defaults(command=_elicit_eval)
    return parser


def _data_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", type=Path, default=None, help="default: ./data")


def _data(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data", default=DEFAULT_DATA, help="a release name (ml-25m), or a MovieLens dir or zip"
    )
    _data_dir(p)


def _config(p: argparse.ArgumentParser) -> None:
    group = p.add_argument_group("training (defaults are the tuned ones)")
    group.add_argument(
        "--preset",
        choices=["auto", "default", "scale"],
        default="auto",
        help=f"hyperparameters the flags below change: 'default' (tuned on ML-100k), 'scale' "
        f"(TrainConfig.for_scale), or 'auto': 'scale' above {SCALE_THRESHOLD:,} ratings",
    )
    group.add_argument(
        "--config",
        type=Path,
        help="a config file (written by 'recsys tune') in place of the preset",
    )
    defaults = TrainConfig()
    docs = field_docs()
    hints = get_type_hints(TrainConfig)
    for f in fields(TrainConfig):
        value = getattr(defaults, f.name)
        # argparse formats help with %: a literal one is doubled.
        described = f"{docs.get(f.name, '')} (default: {value})".strip().replace("%", "%%")
        if isinstance(value, bool):
            group.add_argument(
                f"--{f.name.replace('_', '-')}",
                type=_yes_or_no,
                default=None,
                metavar="BOOL",
                help=described,
            )
        elif get_origin(hints[f.name]) is Literal:
            group.add_argument(
                f"--{f.name.replace('_', '-')}",
                choices=get_args(hints[f.name]),
                default=None,
                help=described,
            )
        else:
            group.add_argument(
                f"--{f.name.replace('_', '-')}",
                type=_setting(f.name, type(value)),
                default=None,
                help=described,
            )


def _yes_or_no(text: str) -> bool:
    """A BOOL flag: "--refit maybe" is refused, not read as false."""
    answers = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
    if text.lower() not in answers:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of true, false, yes, no, 1, 0")
    return answers[text.lower()]


def _setting(name: str, kind: type) -> Callable[[str], Any]:
    """A flag's parser: its type, then its range (TrainConfig's), before any data is read."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            words = "whole number" if kind is int else "number"
            raise argparse.ArgumentTypeError(f"{text!r} is not a {words}") from None
        try:
            check_setting(name, value)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
        return value

    return parse


def _at_least_two(text: str) -> int:
    """--folds: checked before any data is read or any bar drawn."""
    try:
        folds = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if folds < 2:
        raise argparse.ArgumentTypeError("folds must be at least 2")
    return folds


def _minutes(text: str) -> float:
    """--budget-minutes: a budget of 0 would end tuning with no trial at all."""
    try:
        minutes = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of minutes") from None
    if not minutes > 0:
        raise argparse.ArgumentTypeError("the budget must be above 0 minutes")
    return minutes


def _train_config(args: argparse.Namespace, n_ratings: int) -> TrainConfig:
    """The preset the flags and the data size choose, with every explicit flag applied on top."""
    preset = args.preset
    if getattr(args, "config", None) is not None:
        preset = "file"
    elif preset == "auto":
        preset = "scale" if n_ratings > SCALE_THRESHOLD else "default"
        if preset == "scale":
            print(
                f"{n_ratings:,} ratings > {SCALE_THRESHOLD:,}: training with the scale preset "
                "(TrainConfig.for_scale; --preset default to turn it off)",
                file=sys.stderr,
            )
    if preset == "file":
        base = TrainConfig.from_file(args.config)
    else:
        base = TrainConfig.for_scale() if preset == "scale" else TrainConfig()
    overrides = {
        f.name: getattr(args, f.name)
        for f in fields(TrainConfig)
        if getattr(args, f.name, None) is not None
    }
    return replace(base, **overrides)


def _load(args: argparse.Namespace) -> Dataset:
    data_dir = args.data_dir or default_data_dir()
    if args.data in RELEASES and not (data_dir / args.data).exists():
        fetch(args.data, data_dir, progress=True)
    started = time.perf_counter()
    dataset = load_dataset(args.data, data_dir)
    print(
        f"{dataset.name}: {len(dataset.ratings):,} ratings, {dataset.n_users:,} users, "
        f"{dataset.n_items:,} films (read in {time.perf_counter() - started:.2f} s)",
        file=sys.stderr,
    )
    return dataset


def _fetch(args: argparse.Namespace) -> int:
    result = fetch(args.name, args.data_dir or default_data_dir(), progress=True)
    print(f"{args.name}: {result.path} ({result.source})")
    return 0


def _writable(path: Path) -> None:
    """A ValueError now, not after minutes of training, when ``path`` cannot be written."""
    if path.is_dir():
        raise ValueError(
            f"{path} is a folder; give the file to write, such as {path}/model.safetensors"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent):
            pass
    except OSError as exc:
        raise ValueError(f"cannot write {path}: {exc.strerror or exc}") from None


def _train(args: argparse.Namespace) -> int:
    _writable(args.out)
    if args.engine == "spark":
        return spark_command.train_command(args, _load, [f.name for f in fields(TrainConfig)])
    dataset = _load(args)
    config = _train_config(args, len(dataset.ratings))
    model = train_with_progress(dataset, config)
    model = model.with_metadata(catalogue=dataset.name)  # the bot refuses another catalogue's
    model.save(args.out)
    meta = model.metadata
    print(
        f"saved {args.out}: {model.n_users:,} users, {model.n_items:,} films; "
        f"{meta['epochs']['star']} star epochs, {meta['epochs']['rank']} rank sweeps, "
        f"{meta['fit_seconds']:.1f} s"
    )
    return 0


def train_with_progress(dataset: Dataset, config: TrainConfig) -> FactorModel:
    """Train with a tqdm bar per head on stderr (the bot's first start uses this too)."""
    torch.manual_seed(config.seed)
    bars: dict[str, tqdm[Any]] = {}

    def on_epoch(head: str, metrics: dict[str, float]) -> None:
        if head not in bars:
            total = config.epochs if head == "star" else config.rank_sweeps
            bars[head] = tqdm(total=total, desc=f"{head} head", unit="epoch", leave=False)
        bar = bars[head]
        bar.update(1)
        bar.set_postfix(
            {k: round(v, 4) for k, v in metrics.items() if k not in {"epoch", "seconds"}}
        )

    try:
        genres = dataset.catalog.genres_by_item()
        return Trainer(config, on_epoch=on_epoch).fit(dataset.ratings, genres)
    finally:
        for bar in bars.values():
            bar.close()


def _evaluate(args: argparse.Namespace) -> int:
    dataset = _load(args)
    config = _train_config(args, len(dataset.ratings))
    genres = dataset.catalog.genres_by_item()
    if args.split == "new-users":
        report: dict[str, Any] = evaluate_new_users(
            dataset.ratings, seed=config.seed, config=config, genres=genres
        )
        for name, metrics in report.items():
            print(name, json.dumps({k: round(v, 4) for k, v in metrics.items()}))
    else:
        with tqdm(total=args.folds, desc="folds", unit="fold", file=sys.stderr) as bar:

            def advance(fold: int, result: dict[str, dict[str, float]]) -> None:
                bar.update(1)

            report = evaluate_folds(
                dataset.ratings,
                args.folds,
                config.seed,
                config,
                on_fold=advance,
                genres=genres,
            )
        print(format_table(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))
    return 0


def _tune(args: argparse.Namespace) -> int:
    from recsys.tune import format_result, tune

    _writable(args.out)
    dataset = _load(args)
    base = _train_config(args, len(dataset.ratings))
    with tqdm(desc="tuning", unit="trial", file=sys.stderr) as bar:

        def counted(head: str, number: int, value: float) -> None:
            bar.update(1)

        result = tune(
            dataset.ratings,
            dataset.catalog.genres_by_item(),
            args.budget_minutes,
            base,
            on_trial=counted,
        )
    result.config.save(
        args.out,
        {
            "tuned_on": dataset.name,
            "validation": {"default": result.default, "tuned": result.tuned},
        },
    )
    print(format_result(result, base))
    print(f"wrote {args.out}: use it with 'train --config {args.out}' or TRAIN_CONFIG")
    return 0


def _plot(args: argparse.Namespace) -> int:
    from recsys.plots import write_plots

    model = FactorModel.load(args.model)
    catalog = _load(args).catalog
    if args.user_ratings:
        ids, stars = read_user_ratings(args.user_ratings)
        paths = write_plots(model, catalog, args.out, ids, stars)
    else:
        paths = write_plots(model, catalog, args.out)
    for path in paths:
        print(path)
    return 0


def _elicit_eval(args: argparse.Namespace) -> int:
    from recsys.elicit_eval import format_elicitation_table, run_elicitation_eval
    from recsys.plots import plot_elicitation

    dataset = _load(args)
    config = _train_config(args, len(dataset.ratings))
    result = run_elicitation_eval(dataset.ratings, dataset.catalog, seed=config.seed, config=config)
    print(format_elicitation_table(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    if args.png:
        plot_elicitation(result, args.png)
    return 0
