"""``temdefects evaluate``: models x generated data sets -> tables and figures."""

from __future__ import annotations

import sys
from pathlib import Path

from temdefects.builtin_models import model_argument
from temdefects.cli.common import (
    add_flatten_argument,
    check_flatten_option,
    command_parser,
    non_negative_int,
    positive_int,
    record_contrast,
    record_flatten,
    unit_float,
)

HELP = "evaluate models on generated data sets: per-image metrics, matrix, box plots"

EPILOG = """examples:
  temdefects evaluate --model models/m1p models/m2r --data data/m1p data/m2r -o evaluation
  temdefects evaluate --model models/m2r --data data/m2r --limit 100 --overwrite

writes OUT/<model>__<data>/{per_image.csv,summary.json,boxplot.png} per pair and
OUT/matrix.{csv,md,png} for all pairs (see docs/evaluate.md)
"""

_SHOWN_FAILURES = 5


def add_parser(sub) -> None:
    p = command_parser(sub, "evaluate", help=HELP, epilog=EPILOG)
    io = p.add_argument_group("inputs and output")
    io.add_argument(
        "--model",
        nargs="+",
        required=True,
        metavar="DIR|NAME",
        type=model_argument,
        help="model folders or built-in names (rows)",
    )
    io.add_argument(
        "--data",
        nargs="+",
        required=True,
        metavar="DIR",
        help="generated data folders, as written by temdefects synth (columns)",
    )
    io.add_argument(
        "-o", "--output", default="evaluation", metavar="OUT", help="output folder (evaluation)"
    )
    io.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty OUT, replacing only the files this command writes",
    )
    metric = p.add_argument_group("metrics")
    metric.add_argument(
        "--instances",
        choices=("curves", "masks"),
        default="curves",
        help="score the post-processed curves, drawn as masks (what analyze reports; default),"
        " or the network's own masks (the paper's protocol)",
    )
    add_flatten_argument(
        metric, scope=", with --instances curves (as analyze)", from_record="the model's record"
    )
    metric.add_argument(
        "--threshold",
        type=unit_float,
        default=0.5,
        help="binarisation threshold of the predicted probabilities (default 0.5)",
    )
    metric.add_argument(
        "--match-threshold",
        type=unit_float,
        default=0.5,
        help="minimum Dice of a one-to-one instance match, in (0, 1] (default 0.5)",
    )
    metric.add_argument(
        "--min-size",
        type=non_negative_int,
        default=10,
        help="remove predicted specks of fewer pixels, with --instances masks (default 10)",
    )
    run = p.add_argument_group("run")
    run.add_argument(
        "--limit", type=positive_int, metavar="N", help="evaluate only the first N images"
    )
    run.add_argument(
        "--batch-size", type=positive_int, default=4, help="images per forward pass (default 4)"
    )
    run.add_argument(
        "--device", default="cpu", help="torch device, e.g. cpu, cuda, cuda:1 (default cpu)"
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=run_command)


def _error(message: str) -> None:
    print(f"temdefects evaluate: error: {message}", file=sys.stderr)


def _check_device(name: str):
    import torch

    from temdefects.errors import TemdefectsError

    try:
        device = torch.device(name)
    except (RuntimeError, ValueError) as exc:
        raise TemdefectsError(f"--device: {exc}") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise TemdefectsError(f"--device {name}: CUDA is not available on this machine")
    return device


def _check_output(out: Path, overwrite: bool) -> None:
    from temdefects.errors import TemdefectsError

    if out.exists() and not out.is_dir():
        raise TemdefectsError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise TemdefectsError(f"{out}: output folder is not empty (use --overwrite)")


def run_command(args) -> int:
    from dataclasses import replace

    from temdefects.errors import TemdefectsError

    if args.match_threshold == 0.0:
        raise TemdefectsError("--match-threshold: must be in (0, 1], got 0")
    check_flatten_option(args.flatten)
    out = Path(args.output)
    _check_output(out, args.overwrite)
    device = _check_device(args.device)

    from temdefects.dislocations.evaluation import (
        evaluate_model,
        format_table,
        list_samples,
        unique_names,
        write_matrix,
        write_pair,
    )
    from temdefects.models import load, read_config

    ok = True
    datasets = []
    for path, name in zip(args.data, unique_names(args.data), strict=True):
        try:
            list_samples(path)
        except TemdefectsError as exc:
            _error(str(exc))
            ok = False
        else:
            datasets.append((path, name))
    if not datasets:
        return 1  # no model is loaded for nothing: each data error has had its line

    results = []
    for model_path, model_name in zip(args.model, unique_names(args.model), strict=True):
        try:
            model = load(model_path, device=device)
        except TemdefectsError as exc:
            _error(str(exc))
            ok = False
            continue
        for data_path, data_name in datasets:
            try:
                result = evaluate_model(
                    model,
                    data_path,
                    threshold=args.threshold,
                    min_size=args.min_size,
                    match_threshold=args.match_threshold,
                    batch_size=args.batch_size,
                    limit=args.limit,
                    progress=not args.quiet,
                    model_name=model_name,
                    data_name=data_name,
                    instances=args.instances,
                    flatten=record_flatten(read_config(model_path), args.flatten),
                    contrast=record_contrast(read_config(model_path), args.contrast),
                )
            except TemdefectsError as exc:
                _error(f"{model_name} on {data_name}: {exc}")
                ok = False
                continue
            result = replace(result, model_path=str(model_path))
            folder = write_pair(out, result)
            results.append(result)
            if result.failed:
                ok = False
                _report_failures(result, folder)
        del model

    if not results:
        return 1  # every reason was printed above
    write_matrix(out, results)
    print(format_table(results))
    print(f"wrote {len(results)} result folders and matrix.csv/.md/.png to {out}")
    return 0 if ok else 1


def _report_failures(result, folder: Path) -> None:
    items = list(result.failed.items())
    for name, message in items[:_SHOWN_FAILURES]:
        _error(f"{result.model_name} on {result.data_name}: sample {name}: {message}")
    if len(items) > _SHOWN_FAILURES:
        _error(
            f"{result.model_name} on {result.data_name}: {len(items) - _SHOWN_FAILURES} "
            f"more failed samples (see {folder / 'summary.json'})"
        )
