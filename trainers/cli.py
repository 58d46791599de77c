"""gan-explorer's headless commands: train, generate, sample, evaluate, export."""

from __future__ import annotations

import argparse
import math
import os
import re
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from trainers.errors import UserFacingError
from trainers.families import family_entry, family_names

COMMANDS = ("train", "generate", "sample", "evaluate", "export", "compare", "directions", "judge")


def whole_number_at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


positive_int = whole_number_at_least(1)
non_negative_int = whole_number_at_least(0)


class OneLineParser(argparse.ArgumentParser):
    """argparse that exits 2 with one readable line instead of the usage block."""

    def error(self, message):
        sys.stderr.write(f"gan-explorer: {message} (see {self.prog} --help)\n")
        sys.exit(2)


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = OneLineParser(prog="gan-explorer", description="Train and explore GANs: " + ", ".join(family_names()))
    parser.add_argument("--verbose", action="store_true", help="show TensorFlow's own log lines")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    words = [a for a in argv if a != "--verbose"]
    helping = "-h" in words or "--help" in words  # the settings' help imports the family (TensorFlow): only then
    family = words[1] if helping and len(words) > 1 and words[0] == "train" and words[1] in family_names() else None
    train = sub.add_parser(
        "train",
        help="train a model headless, with checkpoints",
        epilog=_settings_help(family),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("family", choices=family_names())
    train.add_argument("--steps", type=positive_int, default=None, help="total steps (default: the family's)")
    train.add_argument("--batch-size", type=positive_int, default=None, help="default: the family's")
    train.add_argument(
        "--data",
        default=None,
        help="image families: auto (the default), bundled, keras, an IDX folder or an .npz with x/y",
    )
    train.add_argument("--out", type=Path, required=True, help="run directory")
    train.add_argument(
        "--resume",
        action="store_true",
        help="continue the run in --out; --config, --precision and --batch-size given with it change the run "
        "from there on (recorded in its run.json), if its networks keep their shapes",
    )
    train.add_argument(
        "--init-from",
        type=Path,
        default=None,
        metavar="RUN_OR_MODEL",
        help="fine-tune: start from the networks of a run, or an exported/shipped model's generator",
    )
    train.add_argument(
        "--generator-warmup",
        type=non_negative_int,
        default=0,
        metavar="STEPS",
        help="with --init-from: train only the discriminators for the first STEPS steps, so fresh "
        "ones catch up before the generators learn from them (e.g. 600)",
    )
    train.add_argument(
        "--precision",
        choices=("auto", "float32", "bfloat16"),
        default=None,
        help="Keras families: compute precision (default auto)",
    )
    train.add_argument("--grid-every", type=positive_int, default=None, help="sample snapshots every N steps")
    train.add_argument("--checkpoint-every", type=positive_int, default=None)
    train.add_argument(
        "--metrics-every",
        type=non_negative_int,
        default=None,
        help="live quality metrics every N steps (0 = off); for the image families about 1.5 s "
        "per check on a 2-core CPU",
    )
    train.add_argument("--seed", type=non_negative_int, default=None, help="default 0; a resumed run keeps its own")
    train.add_argument(
        "--devices",
        default="1",
        metavar="N|all",
        help="train data-parallel on N of the machine's devices, or all (Keras's JAX backend: KERAS_BACKEND=jax)",
    )
    train.add_argument(
        "--steps-per-call",
        type=non_negative_int,
        default=0,
        metavar="K",
        help="training steps per compiled call (default 0: as many as fit in 50 ms, up to 64)",
    )
    train.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="any setting of the family (listed by gan-explorer train FAMILY --help); repeatable",
    )
    train.add_argument(
        "--preset",
        default=None,
        help="start from one of the family's presets (listed by gan-explorer train FAMILY --help); --config changes it",
    )

    for name, text in (
        ("generate", "write a PNG from chosen latent values"),
        ("sample", "write N random samples: a PNG grid, or .npz with their latents"),
        ("evaluate", "measure the model with the family's evaluation"),
        ("export", "copy a run's generator into a folder the explorer can open"),
    ):
        p = sub.add_parser(name, help=text, add_help=name != "generate")
        p.add_argument(
            "run", type=Path, help="run directory or exported model folder", nargs="?" if name == "generate" else None
        )
    sub.choices["sample"].add_argument("--n", type=positive_int, default=100)
    sub.choices["sample"].add_argument("--out", type=Path, required=True)
    sub.choices["sample"].add_argument("--seed", type=non_negative_int, default=0)
    sub.choices["sample"].add_argument(
        "--force", action="store_true", help="replace --out even if another program wrote it"
    )
    sub.choices["evaluate"].add_argument("--n", type=positive_int, default=10000)
    sub.choices["evaluate"].add_argument("--json", action="store_true")
    sub.choices["evaluate"].add_argument("--save-card", action="store_true", help="write card.json beside the model")
    sub.choices["export"].add_argument("dest", type=Path)
    compare = sub.add_parser(
        "compare",
        help="run a family's study over settings and seeds (e.g. the 1-D GAN's minibatch x pretraining table)",
    )
    compare.add_argument("family", choices=family_names())
    compare.add_argument("--seeds", type=positive_int, default=10)
    compare.add_argument("--steps", type=positive_int, default=None, help="steps per run (default: each cell's)")
    compare.add_argument("--workers", type=positive_int, default=os.cpu_count() or 1, help="processes")
    compare.add_argument(
        "--preset",
        default=None,
        help="which settings the study starts from, e.g. lab or source (default: the family's first)",
    )
    compare.add_argument("--json", action="store_true")
    compare.add_argument(
        "--config", action="append", default=[], metavar="KEY=VALUE", help="a setting applied to every cell"
    )
    directions = sub.add_parser(
        "directions",
        help="find directions in the model's noise (SeFa or GANSpace), measure what each does, and cache them",
    )
    directions.add_argument("run", type=Path, help="run directory or exported model folder")
    directions.add_argument(
        "--method",
        choices=("sefa", "ganspace", "both"),
        default="sefa",
        help="both: the two tables and their agreement",
    )
    directions.add_argument("--k", type=positive_int, default=8, help="directions per noise vector")
    directions.add_argument("--json", action="store_true")
    judge = sub.add_parser(
        "judge",
        help="train the classifier that measures models of a colour data set (label accuracy, Fréchet distance) "
        "from your own files",
    )
    judge.add_argument(
        "--data", required=True, help="a CIFAR-10 batches folder or .tar.gz, or an SVHN .mat file (see train --data)"
    )
    judge.add_argument("--epochs", type=positive_int, default=10)
    return parser


def _settings_help(family: str | None) -> str | None:
    """The family's settings, for `train FAMILY --help` (its module is imported only then)."""
    if family is None:
        return "gan-explorer train FAMILY --help lists that family's settings (--config KEY=VALUE)."
    from trainers.settings import describe_config

    entry = family_entry(family)
    d = entry.defaults
    lines = [
        f"{entry.title}: {entry.summary}.",
        f"defaults: --steps {d.steps} --batch-size {d.batch_size} --grid-every {d.grid_every} "
        f"--checkpoint-every {d.checkpoint_every} --metrics-every {d.metrics_every}",
        "settings (--config KEY=VALUE):",
    ]
    lines += [f"  {info.describe()}" for info in describe_config(entry.config_class)]
    presets = entry.load().presets
    if presets:
        lines.append("presets (--preset NAME): " + "; ".join(f"{p.name}: {p.title}" for p in presets))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--verbose" in argv[:1]:
        os.environ["GAN_EXPLORER_VERBOSE"] = "1"
    try:
        args, rest = build_parser(argv).parse_known_args(argv)
        if rest and args.command != "generate":
            build_parser(argv).parse_args(argv)  # reports the unknown flags
        return {
            "train": cmd_train,
            "generate": cmd_generate,
            "sample": cmd_sample,
            "evaluate": cmd_evaluate,
            "export": cmd_export,
            "compare": cmd_compare,
            "directions": cmd_directions,
            "judge": cmd_judge,
        }[args.command](args, rest)
    except UserFacingError as exc:
        sys.stderr.write(f"gan-explorer: {exc}\n")
        return 2


# --- train ----------------------------------------------------------------------------
def cmd_train(args, _rest) -> int:
    from tqdm import tqdm

    from trainers.families.base import preset_named
    from trainers.loop import LoopSettings, TrainControl
    from trainers.run import RunDir, RunInfo, with_resume_changes
    from trainers.session import open_trainer

    refuse_contradicting_flags(args)  # first: they need neither the family nor TensorFlow
    entry = family_entry(args.family)
    run = RunDir(args.out)
    preset = preset_named(entry.load(), args.preset) if args.preset else None
    training = preset.training if preset else {}
    config = _config_flags(entry, args, preset)
    changed: dict = {}
    if args.resume:
        info, changed = with_resume_changes(_resumable_info(run, args), config, args.batch_size)
    else:
        batch_size = args.batch_size or training.get("batch_size") or entry.defaults.batch_size
        info = RunInfo(
            args.family,
            {**config, "seed": args.seed or 0},
            data=args.data or "auto",
            batch_size=batch_size,
            init_from=str(args.init_from) if args.init_from else None,
            generator_warmup_steps=args.generator_warmup,
        )
    settings = LoopSettings.from_defaults(
        entry.defaults,
        steps=args.steps or training.get("steps"),
        batch_size=info.batch_size,
        grid_every=args.grid_every,
        checkpoint_every=args.checkpoint_every,
        metrics_every=args.metrics_every,
        seed=info.config.get("seed", 0),
        generator_warmup_steps=info.generator_warmup_steps,
        steps_per_call=args.steps_per_call,
    )
    trainer, start = open_trainer(run, info, args.resume, settings, print, devices=args.devices, changed=changed)
    control = TrainControl()
    previous = signal.signal(signal.SIGINT, lambda *_: (control.stop(), tqdm.write("Stopping after this step…")))
    bar = tqdm(total=settings.steps, initial=start, unit="step", dynamic_ncols=True)
    try:
        trainer.run_loop(lambda u: _show(bar, u), control, start_step=start)
    finally:
        bar.close()
        signal.signal(signal.SIGINT, previous)
    print(
        f"Run saved in {run.path} at step {trainer.step}. Resume: gan-explorer train {info.family} "
        f"--out {run.path} --resume --steps N"
    )
    return 0


def _config_flags(entry, args, preset) -> dict:
    """The settings that --preset, --precision and --config give (checked: one line for a bad one)."""
    from trainers.settings import parse_overrides

    config = dict(preset.config if preset else {})
    if args.precision is not None:
        if "precision" not in entry.config_class.__dataclass_fields__:
            raise UserFacingError(f"--precision: {entry.title} has no precision setting; leave it out.")
        config["precision"] = args.precision
    overrides = parse_overrides(entry.config_class, args.config)
    if "seed" in overrides:
        raise UserFacingError("--config seed=...: give the seed as --seed N.")
    return {**config, **overrides}


def refuse_contradicting_flags(args) -> None:
    """Flags that only a new run takes given with --resume, a warm-up with nothing to fine-tune, or a start from
    another family's model: one line."""
    if not args.resume:
        if args.generator_warmup and not args.init_from:
            raise UserFacingError("--generator-warmup is for fine-tuning: give --init-from RUN_OR_MODEL too.")
        if args.init_from:
            from trainers.run import family_of

            family = family_of(args.init_from)  # unreadable: loading it says why, later
            if family is not None and family != args.family:
                raise UserFacingError(
                    f"--init-from {args.init_from} holds a model of family '{family}', not '{args.family}'."
                )
        return
    new_run_only = [
        flag
        for flag, given in (
            ("--init-from", args.init_from),
            ("--generator-warmup", args.generator_warmup),
            ("--preset", args.preset),
        )
        if given
    ]
    if new_run_only:
        raise UserFacingError(
            f"{', '.join(new_run_only)} start a new run; leave them out with --resume (a resumed run keeps its "
            "starting point, and keeps the warm-up in its run.json)."
        )


def _resumable_info(run, args):
    """The run's info, checked against the flags given with --resume."""
    info = run.read_info()
    if info.family != args.family:
        raise UserFacingError(f"{args.out} holds a {info.family} run, not {args.family}.")
    seed = info.config.get("seed", 0)
    if args.seed is not None and args.seed != seed:
        raise UserFacingError(f"--seed {args.seed}: a resumed run keeps its seed ({seed}); leave --seed out.")
    if args.data is not None and args.data != info.data:
        raise UserFacingError(
            f"--data {args.data}: a resumed run keeps its data ({info.data}); leave --data out, or start a new "
            f"run from its weights with --init-from {args.out}."
        )
    if not run.checkpoint_path.is_file():
        raise UserFacingError(
            f"{args.out} has no checkpoint to resume (its start failed); start it again without --resume."
        )
    return info


def _show(bar, update) -> None:
    """A training message on the terminal: the bar for steps, a line for the rest."""
    from trainers.updates import Alarm, Finished, LiveMetrics, Notice, PreparationProgress, StepFigures

    if isinstance(update, PreparationProgress):
        bar.set_description(update.text)
    elif isinstance(update, StepFigures):
        label = "discriminator warm-up" if update.generators_frozen else ""
        if bar.desc != label:
            bar.set_description(label)  # preparation is over: the bar counts training steps
        bar.update(update.step - bar.n)
        keys = [k for k in update.losses if k.endswith("loss")][:4]
        postfix = {k: f"{update.losses[k]:.3f}" for k in keys}
        postfix["steps/s"] = f"{update.steps_per_s:.2f}"
        bar.set_postfix(postfix, refresh=False)
    elif isinstance(update, LiveMetrics):
        bar.write(f"step {update.step}: " + ", ".join(f"{k} {v:.4g}" for k, v in update.values.items()))
    elif isinstance(update, (Notice, Finished)):
        bar.write(update.text)
    elif isinstance(update, Alarm):
        bar.write(f"warning: {update.text}", file=sys.stderr)


# --- generate ---------------------------------------------------------------------------
def finite_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got '{text}'")
    return value


GENERATE_HELP = """usage: gan-explorer generate RUN [flags] [-o OUT.png]

Write a PNG from chosen latent values of the model in RUN (a run directory or exported model folder).
Its flags follow the model's controls (the class, each code and noise shift, --sweep, --seed):
gan-explorer generate RUN --help lists them (RUN: e.g. any folder of resources/models)."""


def class_value(control):
    """argparse type for a class control: its number, or its name as the data names it (any case)."""
    simple = lambda text: "".join(ch for ch in text.lower() if ch.isalnum())
    by_name = {simple(name): i for i, name in enumerate(control.class_names)}

    def parse(text: str) -> int:
        if simple(text) in by_name:
            return by_name[simple(text)]
        try:
            return int(text)
        except ValueError:
            names = f" or a class name ({', '.join(control.class_names)})" if control.class_names else ""
            raise argparse.ArgumentTypeError(f"expected 0-{control.n - 1}{names}, got '{text}'") from None

    return parse


def class_names_help(control) -> str:
    names = ", ".join(f"{i} {name}" for i, name in enumerate(control.class_names))
    return f" ({names})" if names else ""


def generate_parser(spec) -> argparse.ArgumentParser:
    """Flags built from the model's latent spec: the class control, each code and noise shift, --sweep."""
    parser = OneLineParser(prog="gan-explorer generate")
    parser.add_argument("run", type=Path)
    cat = spec.categorical
    for c in spec.controls:
        if c is spec.image_input:
            parser.add_argument(
                f"--{c.name}",
                type=Path,
                default=None,
                metavar="PNG",
                help=f"the {c.label} to translate, any image ({c.width}×{c.height} grey; others are converted); "
                "default: the model's first held-out example",
            )
        elif c is cat:
            also = [f"--{c.label}"] if c.label != c.name else []  # Fashion-MNIST's --class beside --digit
            parser.add_argument(
                f"--{c.name}",
                *also,
                dest=c.name,
                metavar="N" if not c.class_names else "N|NAME",
                type=class_value(c),
                default=None,
                help=f"0-{c.n - 1}{class_names_help(c)}; default: a grid of all {c.n}",
            )
        else:
            about = f" ({c.attribute})" if c.attribute else ""
            parser.add_argument(
                f"--{c.name}", type=finite_float, default=0.0, help=f"in [{c.low:g}, {c.high:g}]{about}"
            )
    row = f"one row per {cat.label}" if cat is not None else "one row"
    parser.add_argument(
        "--sweep",
        choices=[c.name for c in spec.swept],
        help=f"sweep this control over its range (one column per value, {row})",
    )
    parser.add_argument(
        "--direction",
        type=non_negative_int,
        default=None,
        metavar="N",
        help="move along discovered direction N (gan-explorer directions RUN lists them); --sweep direction:N too",
    )
    parser.add_argument("--amount", type=finite_float, default=0.0, help="how far along --direction, in σ")
    parser.add_argument(
        "--interpolate",
        type=non_negative_int,
        default=None,
        metavar="SEED",
        help="from the sample of noise seed SEED to this one (--seed), one column per step",
    )
    parser.add_argument(
        "--path",
        choices=("spherical", "linear"),
        default="spherical",
        help="how --interpolate moves the noise: along the great circle or the straight line",
    )
    parser.add_argument("--steps", type=positive_int, default=10, help="values in a sweep or an interpolation")
    parser.add_argument("--seed", type=non_negative_int, default=0, help="noise seed")
    parser.add_argument(
        "-o", "--out", type=Path, default=Path("generated.png"), help=".png, or .gif/.mp4 (a sweep or interpolation)"
    )
    parser.add_argument("--scale", type=positive_int, default=3, help="pixel zoom of the PNG")
    parser.add_argument("--force", action="store_true", help="replace --out even if another program wrote it")
    return parser


def cmd_generate(args, rest) -> int:
    from trainers.families.base import ImageSamples
    from trainers.images import check_replaceable, looped, save_animation, save_png
    from trainers.run import load_model

    asks_help = "-h" in rest or "--help" in rest
    if args.run is None:
        if asks_help:
            print(GENERATE_HELP)
            return 0
        raise UserFacingError("generate needs a run directory or model folder: gan-explorer generate RUN [flags].")
    model = load_model(args.run)
    spec = _spec_with_card(model)
    rest = [DIRECTION_SWEEP.sub(r"dir\1", flag) for flag in rest]  # --sweep direction:3 is --sweep dir3
    if any(DIRECTION_FLAG.match(flag) for flag in rest):
        spec = spec.with_directions(_directions_with_a_bar(model, args.run, "sefa", 8))  # cached, or found now
    if asks_help:
        generate_parser(spec).print_help()
        return 0
    opts = generate_parser(spec).parse_args([str(args.run), *rest])
    check_replaceable(opts.out, opts.force)
    values = {c.name: getattr(opts, c.name) for c in spec.swept}
    values["seed"] = opts.seed
    if spec.image_input is not None:
        values[spec.image_input.name] = _input_image(model, spec.image_input, getattr(opts, spec.image_input.name))
    if opts.direction is not None:
        if f"dir{opts.direction}" not in values:
            found = sum(1 for c in spec.controls if c.name.startswith("dir"))
            raise UserFacingError(
                f"--direction {opts.direction}: this model has directions 0–{found - 1} "
                "(gan-explorer directions RUN lists them)."
            )
        values[f"dir{opts.direction}"] = opts.amount
    if isinstance(model.sample_kind, ImageSamples):
        picture = _image_picture(model, spec, values, opts)
        if isinstance(picture, list):
            save_animation(opts.out, looped(picture), fps=8.0)
            print(f"Wrote {opts.out}")
            return 0
    else:
        spec.validate({k: v for k, v in values.items() if k != "seed"})
        picture = model.picture()  # e.g. the 1-D GAN's densities, drawn as its view draws them
        opts.scale = 1
    save_png(opts.out, picture, scale=opts.scale)
    print(f"Wrote {opts.out}")
    return 0


def _image_picture(model, spec, values: dict, opts):
    """A grid: one column per class (or per sweep or interpolation step), one row per class when sweeping.
    For a .gif or .mp4 --out: the frames, one per column."""
    import numpy as np

    from trainers.images import ANIMATION_SUFFIXES, enlarged, make_grid

    cat = spec.categorical
    classes = (
        [None]
        if cat is None
        else (list(range(cat.n)) if getattr(opts, cat.name) is None else [getattr(opts, cat.name)])
    )
    with_class = (lambda v, k: v) if cat is None else (lambda v, k: {**v, cat.name: k})
    if cat is not None:
        spec.validate({cat.name: classes})
    spec.validate({k: v for k, v in values.items() if k != "seed"})

    def generate(v):  # through `spec`, which may hold discovered directions the model's own spec lacks
        return model.generate_arrays(spec.expand(v))

    animated = opts.out.suffix.lower() in ANIMATION_SUFFIXES
    if opts.sweep and opts.interpolate is not None:
        raise UserFacingError("Give --sweep or --interpolate, not both.")
    if opts.interpolate is not None:
        spherical = opts.path == "spherical"
        rows = [
            model.generate_arrays(
                spec.interpolation(
                    {**with_class(values, k), "seed": opts.interpolate}, with_class(values, k), opts.steps, spherical
                )
            )
            for k in classes
        ]
    elif opts.sweep:
        control = spec[opts.sweep]
        values[opts.sweep] = np.linspace(control.low, control.high, opts.steps, dtype=np.float32)
        rows = [generate(with_class(values, k)) for k in classes]
    elif animated:
        raise UserFacingError(
            f"{opts.out.name}: an animation needs --sweep or --interpolate; a single picture is a .png."
        )
    elif cat is None:
        return make_grid(generate(values), cols=1)
    else:
        return make_grid(generate({**values, cat.name: np.array(classes)}), cols=len(classes))
    if animated:  # frame i: every row's step i, side by side
        return [
            enlarged(make_grid(np.stack([row[i] for row in rows]), cols=len(rows)), opts.scale)
            for i in range(opts.steps)
        ]
    return make_grid(np.concatenate(rows), cols=opts.steps)


def _input_image(model, control, path: Path | None):
    """The image a translation model takes: a user's file (converted to the model's size, grey, light on dark,
    with one line saying what changed), or the model's first held-out example."""
    from trainers.paired_data import input_from_file

    if path is None:
        return model.example_latents(1)[control.name][0]
    if not path.is_file():
        raise UserFacingError(
            f"--{control.name} {path}: no such file; give a PNG (or any image) of the {control.label}."
        )
    image, notes = input_from_file(path, control)
    if notes:
        print(f"Note: {path.name}: {'; '.join(notes)}.")
    return image


DIRECTION_SWEEP = re.compile(r"^direction:(\d+)$")
DIRECTION_FLAG = re.compile(r"^(--direction(=.*)?|--dir\d+(=.*)?|dir\d+)$")


def _spec_with_card(model):
    effects = {
        name: e["attribute"]
        for name, e in getattr(model, "card", {}).get("effects", {}).items()
        if isinstance(e, dict) and e.get("attribute")
    }
    return model.latent_spec.with_attributes(effects)


# --- sample / export / evaluate / compare -------------------------------------------------
def cmd_sample(args, _rest) -> int:
    import numpy as np

    from trainers.families.base import ImageSamples
    from trainers.images import atomic_write, check_replaceable, make_grid, save_png, to_uint8
    from trainers.run import load_model

    check_replaceable(args.out, args.force)
    model = load_model(args.run)
    examples = model.example_latents(args.n, args.seed)  # a translation model: held-out inputs and targets
    latents = examples if examples is not None else model.latent_spec.sample(args.n, np.random.default_rng(args.seed))
    samples = model.generate_arrays(latents)
    images = isinstance(model.sample_kind, ImageSamples)
    payload = {"images": to_uint8(samples)} if images else {"samples": np.asarray(samples, np.float32)}
    if examples is not None:  # inputs, outputs, targets and classes
        payload.update(inputs=to_uint8(examples["input"]), targets=to_uint8(examples["target"]))
        payload["labels"] = examples["class"] if "class" in examples else examples["true_class"]
    else:
        if model.class_control is not None:
            payload["labels"] = latents[model.class_control.name]
        payload.update({f"latent_{k}": v for k, v in latents.items()})
    if args.out.suffix.lower() == ".png":
        picture = make_grid(payload["images"], cols=min(10, args.n)) if images else model.picture()
        save_png(args.out, picture, scale=2 if images else 1)
        print(f"Wrote a picture of {args.n} samples to {args.out}")
        return 0

    def write_npz(tmp):  # a file object, so numpy adds no ".npz" to the temporary name
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **payload)

    atomic_write(args.out, write_npz)
    print(f"Wrote {args.n} samples with their latents to {args.out}")
    return 0


def cmd_export(args, _rest) -> int:
    from trainers.run import export_model, load_model

    export_model(load_model(args.run), args.dest)
    print(f"Exported the generator to {args.dest}")
    return 0


def cmd_evaluate(args, _rest) -> int:
    from trainers.evaluation import evaluate_command

    return evaluate_command(args)


def cmd_compare(args, _rest) -> int:
    """A family's study (settings x seeds), with a progress bar; the table goes to stdout."""
    import json

    from tqdm import tqdm

    from trainers.settings import parse_overrides

    cls = family_entry(args.family).load()
    if not hasattr(cls, "compare"):
        raise UserFacingError(f"{cls.title} has no comparison study; try one of the families whose help lists one.")
    overrides = parse_overrides(cls.config_class, args.config)
    preset = args.preset or cls.comparison_presets[0]
    if preset not in cls.comparison_presets:
        raise UserFacingError(f"--preset {preset}: {cls.title} offers {', '.join(cls.comparison_presets)}.")
    started = time.perf_counter()
    runs = cls.comparison_runs(args.seeds, preset)
    shape = "{l_bar}{bar}| {n:.0f}/{total_fmt} [{elapsed}<{remaining}, {rate_fmt}]"  # runs heard of in fractions
    with tqdm(total=runs, unit="run", desc="comparing", file=sys.stderr, bar_format=shape) as bar:
        result = cls.compare(
            seeds=args.seeds,
            steps=args.steps,
            workers=args.workers,
            overrides=overrides,
            progress=bar.update,
            preset=preset,
        )
    result["wall_seconds"] = time.perf_counter() - started
    print(json.dumps(result, indent=2) if args.json else cls.format_comparison(result))
    if not args.json:
        print(f"{len(result['runs'])} runs in {result['wall_seconds']:.1f} s with {args.workers} worker process(es)")
    return 0


def cmd_directions(args, _rest) -> int:
    """The table of measured directions (from the cache beside the model when it is this model's)."""
    import json

    from trainers.directions import METHODS, agreement, format_agreement, format_table
    from trainers.run import load_model

    model = load_model(args.run)
    methods = METHODS if args.method == "both" else (args.method,)
    found = {method: _directions_with_a_bar(model, args.run, method, args.k) for method in methods}
    both = len(found) == 2
    if args.json:
        tables = {method: [d.table_row() for d in directions] for method, directions in found.items()}
        report = (
            {"tables": tables, "agreement": agreement(*found.values())}
            if both
            else {"method": args.method, "directions": tables[args.method]}
        )
        print(json.dumps(report, indent=2))
        return 0
    print("\n\n".join(format_table(directions, method) for method, directions in found.items()))
    if both:
        print(format_agreement(*found.values()))
    return 0


def _directions_with_a_bar(model, folder: Path, method: str, k: int) -> list:
    """The model's directions, read from the cache or found with a progress bar while they are measured."""
    from tqdm import tqdm

    from trainers.directions import directions_for

    bar = None

    def progress(done: int, total: int) -> None:  # the bar opens only when something is measured
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, unit="direction", desc="measuring directions", file=sys.stderr, leave=False)
        bar.update(done - bar.n)

    try:
        return directions_for(model, folder, method, k, say=_say, progress=progress)
    finally:
        if bar is not None:
            bar.close()


def _say(line: str) -> None:
    sys.stderr.write(f"gan-explorer: {line}\n")


def cmd_judge(args, _rest) -> int:
    """The user's judge of a colour set; MNIST's and Fashion-MNIST's are the project's, shipped."""
    from trainers.classifier import SHIPPED_JUDGES, judge_folder, train_classifier
    from trainers.data import load_dataset
    from trainers.quiet import load_tensorflow_quietly

    dataset = load_dataset(args.data)
    kind = dataset.kind
    if kind in SHIPPED_JUDGES:
        raise UserFacingError(
            f"The project ships its judge of these images ({judge_folder(kind)}); `judge` is for colour sets "
            "from your own files (CIFAR-10, SVHN)."
        )
    load_tensorflow_quietly()
    report = train_classifier(epochs=args.epochs, data=args.data, dataset=dataset)
    print(
        f"Held-out accuracy {report['held_out_accuracy']:.4f} on {report['held_out_images']:,} images; "
        f"the judge is in {judge_folder(kind)}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
