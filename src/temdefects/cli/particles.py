"""``temdefects particles``: nanoparticles in HRTEM (Groschner et al. 2021).

``synth`` generates training data; ``train`` fits the segmenter and the fault
classifiers into one model folder; ``analyze`` measures and classifies the
particles of images; ``evaluate`` scores a model on a generated folder. The
bodies of ``train``, ``analyze`` and ``evaluate`` live in
:mod:`temdefects.cli.particles_run` (imported only when they run).
"""

from __future__ import annotations

from temdefects.cli.common import (
    add_inputs_and_output,
    add_overwrite_resume,
    add_precision_argument,
    command_parser,
    finish_parser,
    lazy_run,
    non_negative_int,
    positive_float,
    positive_int,
    unit_float,
)
from temdefects.cli.synth_group import add_synth_parser, family_synth

HELP = "nanoparticles in high-resolution TEM: synthetic data, training, analysis"

TRAIN_EPILOG = """writes MODEL_DIR: config.json + model.safetensors (the segmenter, record with
"task": "particles"), metrics.json, classifier.skops + classifier.json, log.csv,
train_config.yaml. Flags override values of --config (see docs/particles.md).
example:
  temdefects particles synth -o data/np -n 400 --size 512 512 --workers 2
  temdefects particles train --data data/np -o models/np --epochs 12 --crop 256
"""

ANALYZE_EPILOG = """inputs: PNG, JPG, TIFF (stacks too), DM3/DM4, EMD, SER, MRC, folders, globs.
Writes into OUT per image <name>.csv (id, centroid_x, centroid_y, area_px, area_nm2,
diameter_px, diameter_nm, class, probability, touches_border), <name>_labels.tif
(uint16, 0 background) and <name>_overlay.png (outlines: fault red, no_fault green,
no_fringes blue), and summary.json. Unreadable inputs are reported and skipped (exit 1).
"""

MODEL_HELP = (
    "particle model folder, or a built-in: hrtem (the default: lattice-resolved particles) "
    "or haadf (Z-contrast particles without fringes on a grainy support, e.g. HAADF-STEM "
    "tomography slices)"
)


def add_parser(sub) -> None:
    p = sub.add_parser("particles", help=HELP, description=HELP)
    group = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_synth_parser(
        group, family="nanoparticle", presets_hint="default, haadf-supported, haadf-tomography"
    ).set_defaults(run=family_synth("particle"))
    _add_train(group)
    _add_finetune(group)
    _add_analyze(group)
    _add_evaluate(group)


def _add_train(group) -> None:
    p = command_parser(
        group,
        "train",
        help="train the particle segmenter and fault classifiers on a generated folder",
        description="Train the U-Net segmenter and the per-particle classifiers "
        "(random forest and gradient boosting; the better is kept) into one model folder.",
        epilog=TRAIN_EPILOG,
    )
    io = p.add_argument_group("data and output")
    io.add_argument("--data", metavar="DIR", help="folder written by temdefects particles synth")
    io.add_argument("-o", "--output", required=True, metavar="MODEL_DIR", help="model folder")
    io.add_argument("--test", metavar="DIR", help="test folder (default: last 10%% of --data)")
    io.add_argument(
        "--test-fraction", metavar="F", type=unit_float, help="share of --data for testing"
    )
    io.add_argument("--config", metavar="FILE", help="YAML/JSON training configuration")
    add_overwrite_resume(
        io,
        overwrite="replace an earlier run in MODEL_DIR",
        resume="go on with the interrupted run in MODEL_DIR (same configuration and flags)",
    )
    t = p.add_argument_group("training (default: the configuration's values)")
    t.add_argument(
        "--epochs", metavar="N", type=positive_int, help="passes over the training images (20)"
    )
    t.add_argument(
        "--max-steps", metavar="N", type=non_negative_int, help="stop after N steps (0: none)"
    )
    t.add_argument(
        "--crop", metavar="N", type=positive_int, help="training crop side, multiple of 32 (256)"
    )
    t.add_argument("--batch-size", metavar="N", type=positive_int, help="crops per step (8)")
    t.add_argument(
        "--lr", metavar="LR", type=positive_float, help="peak AdamW learning rate (1e-3)"
    )
    t.add_argument(
        "--seed", metavar="N", type=non_negative_int, help="seed of every random step (0)"
    )
    t.add_argument(
        "--workers", metavar="N", type=non_negative_int, help="data-loading processes (0)"
    )
    t.add_argument("--device", choices=("auto", "cpu", "cuda"), help="where to train (auto)")
    m = p.add_argument_group("segmenter")
    m.add_argument("--arch", help="segmentation-models-pytorch architecture (unet)")
    m.add_argument("--encoder", help="encoder name (mobilenet_v2)")
    m.add_argument("--decoder-base", metavar="N", type=positive_int, help="last decoder width (8)")
    finish_parser(
        p,
        lazy_run("temdefects.cli.particles_run", "run_train"),
        overwrite=None,
        quiet="no progress bars",
    )


FINETUNE_EPILOG = """\
Images and masks pair by file stem, or by sorted order when the names differ
(each pair is checked: the particles must differ in brightness from the rest).
The last --test-fraction of the pairs (or --val-images/--val-masks) choose the
best epoch by Dice. With --refit the model is then trained again on all pairs
for that many epochs. The new model folder keeps the base model's classifier.

example:
  temdefects particles finetune --images mine/img --masks mine/mask --value 2 -o models/mine
"""


def _add_finetune(group) -> None:
    p = command_parser(
        group,
        "finetune",
        help="adapt the particle segmenter to your own images and masks",
        description="Train a particle model's segmenter further on a few labelled images.",
        epilog=FINETUNE_EPILOG,
    )
    p.add_argument("--images", required=True, metavar="DIR", help="folder of images")
    p.add_argument("--masks", required=True, metavar="DIR", help="folder of masks or label images")
    p.add_argument(
        "--value", type=non_negative_int, metavar="V", help="mask value of particle (any non-zero)"
    )
    p.add_argument("--val-images", metavar="DIR", help="held-out images (default: a share)")
    p.add_argument("--val-masks", metavar="DIR", help="their masks")
    p.add_argument(
        "--test-fraction", type=unit_float, default=0.2, metavar="F", help="held-out share (0.2)"
    )
    p.add_argument("-o", "--output", required=True, metavar="MODEL_DIR", help="new model folder")
    p.add_argument("--model", metavar="DIR|NAME", help=f"{MODEL_HELP}, to start from")
    p.add_argument("--scratch", action="store_true", help="start from random weights instead")
    p.add_argument(
        "--refit",
        action="store_true",
        help="after the held-out share has chosen the epochs, train again on all pairs",
    )
    p.add_argument(
        "--pixel-size", type=positive_float, metavar="NM", help="nm per px of these images"
    )
    p.add_argument("--epochs", type=positive_int, default=80, metavar="N", help="epochs (80)")
    p.add_argument("--lr", type=positive_float, default=5e-4, metavar="LR", help="peak lr (5e-4)")
    p.add_argument("--crop", type=positive_int, default=256, metavar="N", help="crop side (256)")
    p.add_argument("--batch-size", type=positive_int, default=8, metavar="N", help="crops (8)")
    p.add_argument("--seed", type=non_negative_int, default=0, metavar="N", help="seed (0)")
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    add_precision_argument(p)
    finish_parser(
        p,
        lazy_run("temdefects.cli.particles_run", "run_finetune"),
        overwrite="replace an earlier run in MODEL_DIR",
    )


def _add_analyze(group) -> None:
    p = command_parser(
        group,
        "analyze",
        help="find, measure and classify the particles of images",
        description="Segment, split, measure and classify the particles of images.",
        epilog=ANALYZE_EPILOG,
    )
    add_inputs_and_output(p, inputs="files, folders or glob patterns")
    p.add_argument("--model", metavar="DIR|NAME", help=MODEL_HELP)
    p.add_argument(
        "--pixel-size", type=positive_float, metavar="NM", help="nm per px (overrides metadata)"
    )
    g = p.add_argument_group("instances (default: the model's settings)")
    g.add_argument("--threshold", metavar="P", type=unit_float, help="probability threshold (0.5)")
    g.add_argument(
        "--min-size", metavar="PX", type=non_negative_int, help="smallest particle, px (30)"
    )
    g.add_argument(
        "--diameter", metavar="PX", type=positive_float, help="typical particle diameter, px"
    )
    g.add_argument("--exclude-border", action="store_true", help="drop particles cut by the border")
    g.add_argument(
        "--no-rescale",
        action="store_true",
        help="never resample images to the model's training pixel size",
    )
    g.add_argument(
        "--flips",
        action="store_true",
        help="average the segmentation of each image and its three mirror images "
        "(test-time augmentation, 4x the segmentation time)",
    )
    g.add_argument(
        "--pyramid",
        action="store_true",
        help="images without a pixel size: also search halved copies of each image for "
        "particles far larger than the model learnt (up to 2x the time)",
    )
    finish_parser(p, lazy_run("temdefects.cli.particles_run", "run_analyze"))


def _add_evaluate(group) -> None:
    p = group.add_parser(
        "evaluate",
        help="score a particle model on a generated folder",
        description="Segmentation Dice, detection and classification accuracy of a particle "
        "model on a folder written by temdefects particles synth. Writes OUT/summary.json, "
        "OUT/per_image.csv and OUT/confusion.csv.",
    )
    p.add_argument("--model", metavar="DIR|NAME", help=MODEL_HELP)
    p.add_argument("--data", required=True, metavar="DIR", help="generated particle folder")
    p.add_argument(
        "-o", "--output", default="particle_evaluation", metavar="OUT", help="output folder"
    )
    p.add_argument("--limit", type=positive_int, metavar="N", help="only the first N images")
    p.add_argument("--min-iou", type=unit_float, default=0.5, help="IoU of a particle match (0.5)")
    finish_parser(p, lazy_run("temdefects.cli.particles_run", "run_evaluate"))
