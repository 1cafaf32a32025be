"""``temdefects fit-generator``: fit the dislocation generator to labelled frames (M1, Fig. 7)."""

from __future__ import annotations

from pathlib import Path

from temdefects.cli.common import (
    command_parser,
    finish_parser,
    non_negative_int,
    positive_float,
    print_error,
)

HELP = "fit the dislocation generator's settings to your labelled frames (the paper's M1)"

EPILOG = """\
Frames pair with label images by file stem (case and suffix aside). A label
image holds one stroke per dislocation, dark on light (--light-strokes: light
on black). Writes OUT (YAML settings to use as `temdefects synth --preset BASE
--config OUT`), OUT with .json (every measurement) and, with --plot, the
distributions of the real frames against the fitted and base generators.

example:
  temdefects fit-generator frames/ --labels strokes/ -o fitted.yaml --plot fit.png --check 20
  temdefects synth --preset m2 --config fitted.yaml -n 2000 -o data/fitted
"""


def add_parser(sub) -> None:
    p = command_parser(sub, "fit-generator", help=HELP, epilog=EPILOG)
    p.add_argument("frames", metavar="FRAMES", help="folder of frames")
    p.add_argument("--labels", required=True, metavar="DIR", help="folder of stroke label images")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="YAML settings to write")
    p.add_argument("--base", default="m2", help="preset the settings refine (default m2)")
    p.add_argument("--plot", metavar="PNG", help="also plot the distributions")
    p.add_argument(
        "--check",
        type=non_negative_int,
        default=0,
        metavar="N",
        help="generate N frames with the fitted and the base settings and measure them too",
    )
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of --check (0)")
    p.add_argument(
        "--max-angle",
        type=positive_float,
        default=30.0,
        help="lines of one pile-up differ in direction by at most this, degrees (30)",
    )
    p.add_argument(
        "--max-gap",
        type=positive_float,
        default=80.0,
        help="lines of one pile-up lie at most this far apart, px (80)",
    )
    p.add_argument("--light-strokes", action="store_true", help="strokes are light on black")
    p.add_argument(
        "--backgrounds",
        metavar="DIR",
        help="also cut background crops (away from labelled and ridge-detected lines) into DIR, "
        "for `temdefects synth --background real --backgrounds DIR`",
    )
    p.add_argument(
        "--background-size", type=non_negative_int, default=128, help="crop side, px (128)"
    )
    p.add_argument("--per-frame", type=non_negative_int, default=4, help="crops per frame (4)")
    finish_parser(p, run_command, overwrite="replace an existing OUT", quiet=None)


def _pairs(frames: Path, labels: Path) -> list[tuple[Path, Path]]:
    from temdefects.errors import InputFileError
    from temdefects.io.images import RASTER_SUFFIXES

    for folder, what in ((frames, "frame"), (labels, "label")):
        if not folder.is_dir():
            raise InputFileError(f"{folder}: {what} folder not found")
    by_stem = {p.stem.lower(): p for p in labels.iterdir() if p.suffix.lower() in RASTER_SUFFIXES}
    pairs = [
        (p, by_stem[p.stem.lower()])
        for p in sorted(frames.iterdir())
        if p.suffix.lower() in RASTER_SUFFIXES and p.stem.lower() in by_stem
    ]
    if not pairs:
        raise InputFileError(f"{frames}: no frame has a label image of the same name in {labels}")
    return pairs


def _synthetic(config, count: int, seed: int, kw: dict) -> list[dict]:
    from temdefects.synth.dislocations.fitting import frame_stats
    from temdefects.synth.dislocations.scene import render_scene, sample_scene
    from temdefects.synth.scene import image_rng

    frames = []
    for i in range(count):
        sample = render_scene(sample_scene(config, image_rng(seed, i)))
        lines = [part for parts in sample.lines for part in parts if len(part) >= 5]
        frames.append(frame_stats(sample.image, lines, **kw))
    return frames


class _Crops:
    """Background crops cut away from labelled strokes and ridge-detected lines (8 px margin)."""

    MARGIN = 8

    def __init__(self, out: Path, size: int, per_frame: int, seed: int):
        import numpy as np

        from temdefects.errors import TemdefectsError
        from temdefects.io.atomic import check_output_folder

        if size < 16:
            raise TemdefectsError(f"--background-size: must be at least 16 px, got {size}")
        check_output_folder(out, False)
        out.mkdir(parents=True, exist_ok=True)
        self.out, self.size, self.per_frame, self.seed = out, size, per_frame, seed
        self.rng = np.random.default_rng(seed)
        self.index: list[dict] = []

    @property
    def count(self) -> int:
        return len(self.index)

    def add(self, path: Path, image, label, *, dark: bool) -> None:
        from temdefects.synth.bgcrops import dilate, find_crops, line_mask, write_crops

        grey = image if image.ndim == 2 else image[..., :3].mean(axis=2).astype(image.dtype)
        strokes = label < 128 if dark else label > 0
        exclude = dilate(strokes | line_mask(grey), self.MARGIN)
        found = find_crops(
            grey.shape, size=self.size, count=self.per_frame, rng=self.rng, exclude=exclude
        )
        self.index.extend(write_crops(self.out, path, grey, found))

    def finish(self) -> None:
        from temdefects.synth.bgcrops import write_crop_index

        doc = {"seed": self.seed, "size": self.size, "margin": self.MARGIN, "crops": self.index}
        write_crop_index(self.out, doc)


def run_command(args) -> int:
    import cv2
    import yaml

    from temdefects import __version__
    from temdefects.errors import InputFileError, TemdefectsError
    from temdefects.geometry import longest_path, skeletonize_mask
    from temdefects.io.atomic import atomic_write_json, atomic_write_text
    from temdefects.io.images import read_raw
    from temdefects.io.labels import strokes_to_masks
    from temdefects.synth.config import load_config
    from temdefects.synth.dislocations.fitting import distributions, fitted_settings, frame_stats

    out = Path(args.output)
    if out.is_dir():
        raise TemdefectsError(f"{out}: is a folder; give the YAML file to write")
    if out.exists() and not args.overwrite:
        raise TemdefectsError(f"{out}: exists (use --overwrite)")
    load_config(args.base)  # a bad preset name fails before any work
    kw = {"max_angle": args.max_angle, "max_gap": args.max_gap}
    crops = None
    if args.backgrounds:
        crops = _Crops(Path(args.backgrounds), args.background_size, args.per_frame, args.seed)
    frames, failed = [], []
    for frame_path, label_path in _pairs(Path(args.frames), Path(args.labels)):
        try:
            image = read_raw(frame_path)
            label = cv2.imread(str(label_path), cv2.IMREAD_GRAYSCALE)
            if label is None:
                raise InputFileError(f"{label_path}: cannot read image")
            if label.shape != image.shape[:2]:
                raise InputFileError(
                    f"{label_path}: shape {label.shape} differs from its frame {image.shape[:2]}"
                )
            lines = []
            if crops is not None:
                crops.add(frame_path, image, label, dark=not args.light_strokes)
            for mask in strokes_to_masks(label, dark=not args.light_strokes, min_size=10):
                path = longest_path(skeletonize_mask(mask))
                if len(path) >= 5:
                    lines.append(path)
            frames.append(frame_stats(image, lines, **kw))
        except InputFileError as exc:
            failed.append(str(exc))
            print_error(args, str(exc))
    if not frames:
        return 1
    real = distributions(frames)
    overrides = fitted_settings(frames)
    h, w = overrides["size"]
    sets = {"real": real}
    if args.check:
        fitted = load_config(args.base, overrides=overrides)
        sets["fitted"] = distributions(_synthetic(fitted, args.check, args.seed, kw))
        base_sized = load_config(args.base, overrides={"size": [h, w]})
        sets[f"base {args.base}"] = distributions(_synthetic(base_sized, args.check, args.seed, kw))
    header = (
        f"# Generator settings fitted by temdefects {__version__} fit-generator to "
        f"{len(frames)} labelled frames of {args.frames}\n"
        f"# (10th-90th percentiles of the measured distributions). Use them as\n"
        f"#   temdefects synth --preset {args.base} --config {out.name} -o DIR -n COUNT\n"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out, header + yaml.safe_dump(overrides, sort_keys=False))
    summary = {
        "format": "temdefects.fit-generator/1",
        "version": __version__,
        "base": args.base,
        "frames": len(frames),
        "failed": failed,
        "grouping": kw,
        "overrides": overrides,
        "distributions": sets,
        "per_frame": frames,
    }
    atomic_write_json(out.with_suffix(".json"), summary)
    if crops is not None:
        crops.finish()
    if args.plot:
        from temdefects.synth.dislocations.fitting_plots import plot_fit

        plot_fit(sets, args.plot)
    lines = sum(len(f["lines"]) for f in frames)
    piles = sum(len(f["pileups"]) for f in frames)
    print(
        f"fitted to {len(frames)} frames ({lines} lines, {piles} pile-ups); settings in {out}"
        + (f"; {crops.count} background crops in {args.backgrounds}" if crops else "")
        + (f"; {len(failed)} frames failed" if failed else "")
    )
    return 1 if failed else 0
