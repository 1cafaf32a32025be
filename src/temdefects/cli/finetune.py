"""``temdefects finetune``: adapt a model to a few hand-labelled real frames."""

from __future__ import annotations

from pathlib import Path

from temdefects.builtin_models import MODEL_HELP, model_argument
from temdefects.cli.common import command_parser, finish_parser
from temdefects.io import jsonfile as strict_json

HELP = "fine-tune a model folder on a few labelled real frames (same loss as training)"

EPILOG = """examples:
  temdefects labelme-to-masks ds/ --images original/ --dark-strokes -o labelled/
  temdefects finetune --model runs/m2 --data labelled/ -o runs/m2-finetuned --epochs 40
The paper fine-tuned on 10 hand-labelled frames. Without --val the best epoch is
chosen on the training frames themselves (then it is simply the best fit).
"""


def add_parser(sub) -> None:
    p = command_parser(sub, "finetune", help=HELP, epilog=EPILOG)
    p.add_argument(
        "--model",
        required=True,
        metavar="DIR|NAME",
        type=model_argument,
        help=f"{MODEL_HELP}, to start from",
    )
    p.add_argument(
        "--data",
        required=True,
        metavar="DIR",
        help="labelled frames (from labelme-to-masks or synth)",
    )
    p.add_argument("--val", metavar="DIR", help="labelled frames to pick the best epoch on")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="new model folder")
    p.add_argument("--epochs", type=int, default=40, help="epochs (default 40)")
    p.add_argument("--lr", type=float, default=1e-4, help="learning rate (default 1e-4)")
    p.add_argument("--batch-size", type=int, default=4, help="images per step (default 4)")
    p.add_argument("--crop", type=int, default=256, help="random crop side (default 256)")
    p.add_argument(
        "--objective",
        choices=("matched", "union"),
        default="matched",
        help="matched: the matched Dice loss of training (one mask per dislocation); union: "
        "Dice + BCE of the union of the masks against the union of the labels, which "
        "suits partial hand labels (default matched)",
    )
    p.add_argument(
        "--reach",
        type=int,
        default=0,
        metavar="PX",
        help="union objective: only pixels within PX of a labelled line count in the loss "
        "(0, the default: every pixel); for labels that mark only some dislocations",
    )
    p.add_argument(
        "--empty-weight",
        type=float,
        default=0.0,
        help="weight pushing unmatched masks to empty (default 0: hand labels are "
        "usually partial, and unlabelled dislocations must not be punished)",
    )
    p.add_argument(
        "--matching",
        choices=("greedy", "hungarian"),
        help="target matching (default: the base model's recipe)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed (default 0)")
    p.add_argument(
        "--half", action="store_true", help="store the weights as float16 (half the size)"
    )
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--resume", action="store_true", help="continue an interrupted run")
    p.add_argument(
        "--no-choose",
        action="store_true",
        help="do not choose the post-processing (mask threshold, join gap, shortest curve) "
        "on the validation frames; by default the best by strict instance F1 is stored in "
        "the model and analyze uses it",
    )
    finish_parser(p, run_command, overwrite=None)


def finetune_config(args, base_record: dict) -> dict:
    """A training configuration that starts from the base model (plain dict)."""
    from temdefects.synth.files import list_samples

    n = len(list_samples(args.data))
    val = args.val or args.data
    old = base_record.get("training", {}).get("train_config", {})
    return {
        "name": f"finetune-{Path(args.model).name}",
        "seed": args.seed,
        "device": args.device,
        "init": str(Path(args.model).resolve()),
        "model": base_record["model"],
        "data": {
            "source": "folder",
            "folder": str(Path(args.data).resolve()),
            "train_images": max(n, 1),
            "test_folder": str(Path(val).resolve()),
            "test_images": max(len(list_samples(val)), 1),
            "crop": args.crop,
            "batch_size": args.batch_size,
            "min_mask_pixels": 20,
        },
        "augment": old.get("augment", {}),
        "loss": {
            **old.get("loss", {}),
            "kind": args.objective,
            "reach": args.reach,
            "empty_weight": args.empty_weight,
            **({"matching": args.matching} if args.matching else {}),
        },
        "optim": {
            "lr": args.lr,
            "epochs": args.epochs,
            "warmup": 0.05,
            "schedule": "cosine",
            "checkpoint_every": 1000,
        },
        "eval": {"every": max(1, args.epochs // 10)},
        "half": args.half,
    }


def run_command(args) -> int:
    from temdefects.dislocations.analysis.choose import describe_choice, store_postprocess
    from temdefects.errors import TemdefectsError
    from temdefects.models import read_config
    from temdefects.models.folder import update_config
    from temdefects.train import train, train_config_from_dict
    from temdefects.train.labelled import training_input

    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            raise TemdefectsError(f"--{name.replace('_', '-')}: must be >= 1")
    if args.reach < 0:
        raise TemdefectsError(f"--reach: must be >= 0, got {args.reach}")
    if args.reach and args.objective != "union":
        raise TemdefectsError("--reach: only with --objective union")
    if args.empty_weight < 0:
        raise TemdefectsError(f"--empty-weight: must be >= 0, got {args.empty_weight}")
    if not args.lr > 0:
        raise TemdefectsError(f"--lr: must be > 0, got {args.lr}")
    base = read_config(args.model)
    config = train_config_from_dict(finetune_config(args, base))
    best = train(config, Path(args.output), resume=args.resume, progress=not args.quiet)
    update_config(Path(args.output), input=training_input(config))
    scores = {k: round(v, 3) for k, v in best.items() if isinstance(v, float)}
    print(
        f"fine-tuned {args.model} on {config.data.train_images} frames -> {args.output}; "
        f"best epoch {best.get('epoch')}: {strict_json.dumps(scores)}"
    )
    if not args.no_choose:
        chosen = store_postprocess(Path(args.output), Path(args.val or args.data))
        if chosen is not None:
            print(
                f"post-processing chosen on {chosen['chosen_on']}: {describe_choice(chosen)} "
                f"(strict F1 {max(r['f1'] for r in chosen['grid']):.3f}); analyze uses them "
                "by default"
            )
    return 0
