"""``temdefects train``: train a dislocation segmentation model."""

from __future__ import annotations

from pathlib import Path

from temdefects.cli.common import command_parser, finish_parser

HELP = "train a one-mask-per-dislocation model on synthetic data"

EPILOG = """examples:
  temdefects train configs/tiny-cpu.yaml -o runs/tiny
  temdefects train configs/tiny-cpu.yaml -o runs/tiny --resume     (after an interruption)
The output folder is a model folder (config.json, model.safetensors, metrics.json)
with log.csv, loss_curve.png and checkpoints/ for resuming. A model trained on the
union of the lines (loss.kind: union) also gets its mask threshold, join gap and shortest curve
chosen on its own test set, which `analyze` then uses.
"""


def add_parser(sub) -> None:
    p = command_parser(sub, "train", help=HELP, epilog=EPILOG)
    p.add_argument("config", metavar="CONFIG", help="training configuration (YAML or JSON)")
    p.add_argument(
        "-o", "--output", metavar="DIR", help="output model folder (default: runs/<config name>)"
    )
    p.add_argument("--resume", action="store_true", help="continue an interrupted run in DIR")
    p.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), help="override the configuration's device"
    )
    p.add_argument("--epochs", type=int, metavar="N", help="override optim.epochs")
    finish_parser(p, run_command, overwrite=None)


def run_command(args) -> int:
    from temdefects.errors import TemdefectsError
    from temdefects.models.folder import update_config
    from temdefects.train import load_train_config, train
    from temdefects.train.labelled import training_input

    overrides: dict = {}
    if args.device:
        overrides["device"] = args.device
    if args.epochs is not None:
        if args.epochs < 1:
            raise TemdefectsError(f"--epochs: must be >= 1, got {args.epochs}")
        overrides["optim"] = {"epochs": args.epochs}
    config = load_train_config(args.config, overrides)
    out = Path(args.output) if args.output else Path("runs") / Path(args.config).stem
    try:
        best = train(config, out, resume=args.resume, progress=not args.quiet)
    except TemdefectsError as exc:
        if args.device and str(exc).startswith("device:"):  # the user typed --device
            raise TemdefectsError(f"--{exc}") from None
        raise
    update_config(out, input=training_input(config))
    if config.loss.kind == "union":
        _choose_postprocess(config, out)
        if best:  # one union mask: the per-dislocation scores do not apply
            print(
                f"best epoch {best['epoch']}: test loss {best['test_loss']:.4f}, union Dice "
                f"{best['union_dice']:.3f}, clDice {best['cl_dice']:.3f}; model folder {out}"
            )
        return 0
    if best:
        print(
            f"best epoch {best['epoch']}: length score {best['length_score']:.3f}, "
            f"F1 {best['f1']:.3f}, duplicate rate {best['duplicate_rate']:.3f}; "
            f"model folder {out}"
        )
    return 0


def _choose_postprocess(config, out: Path) -> None:
    """Store the post-processing with the best strict F1 on the run's test set.

    Only the test images of the run are read (the same ones its best epoch was
    chosen on), so a model trained on synthetic data stays zero-shot.
    """
    from temdefects.dislocations.analysis.choose import describe_choice, store_postprocess
    from temdefects.train.loop import run_test_split

    folder, names = run_test_split(config, out)
    chosen = store_postprocess(out, folder, names)
    if chosen:
        print(f"post-processing chosen on {folder}: {describe_choice(chosen)}")
