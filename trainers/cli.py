"""gan-explorer's headless commands: train, generate, sample, evaluate, export."""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from trainers.errors import UserFacingError

COMMANDS = ("train", "generate", "sample", "evaluate", "export")
FAMILY_NAMES = ("infogan", "stackedgan")


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
        sys.stderr.write(f"gan-explorer: {message} (see gan-explorer {self.prog.split()[-1]} --help)\n")
        sys.exit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="gan-explorer", description="Train and explore disentangled GANs on MNIST.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    train = sub.add_parser("train", help="train a model headless, with checkpoints")
    train.add_argument("family", choices=FAMILY_NAMES)
    train.add_argument("--steps", type=positive_int, default=None, help="total steps (default: the book's)")
    train.add_argument("--batch-size", type=positive_int, default=64)
    train.add_argument("--data", default="auto", help="auto, bundled, keras, an IDX folder or an .npz with x/y")
    train.add_argument("--out", type=Path, required=True, help="run directory")
    train.add_argument("--resume", action="store_true", help="continue the run in --out")
    train.add_argument("--init-from", type=Path, default=None, metavar="RUN_OR_MODEL",
                       help="fine-tune: start from the networks of a run, or an exported/shipped model's generator")
    train.add_argument("--generator-warmup", type=non_negative_int, default=0, metavar="STEPS",
                       help="with --init-from: train only the discriminators for the first STEPS steps, so fresh "
                            "ones catch up before the generators learn from them (e.g. 600)")
    train.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default="auto")
    train.add_argument("--code-loss", choices=("gaussian", "book"), default="gaussian", help="InfoGAN only")
    train.add_argument("--encoder-epochs", type=positive_int, default=10, help="StackedGAN only")
    train.add_argument("--grid-every", type=positive_int, default=500)
    train.add_argument("--checkpoint-every", type=positive_int, default=1000)
    train.add_argument("--metrics-every", type=non_negative_int, default=500,
                       help="live label accuracy / Fréchet distance every N steps (0 = off); "
                            "about 1.5 s per check on a 2-core CPU, under 1%% of training time at 500")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--config", action="append", default=[], metavar="KEY=VALUE",
                       help="any field of the family's config, e.g. code_weight=1.0 (repeatable)")

    for name, text in (("generate", "write a PNG from chosen latent values"),
                       ("sample", "write N random samples: a PNG grid, or .npz with their latents"),
                       ("evaluate", "measure label accuracy, Fréchet distance and code effects"),
                       ("export", "copy a run's generator into a folder the explorer can open")):
        p = sub.add_parser(name, help=text, add_help=name != "generate")
        p.add_argument("run", type=Path, help="run directory or exported model folder")
    sub.choices["sample"].add_argument("--n", type=positive_int, default=100)
    sub.choices["sample"].add_argument("--out", type=Path, required=True)
    sub.choices["sample"].add_argument("--seed", type=int, default=0)
    sub.choices["evaluate"].add_argument("--n", type=positive_int, default=10000)
    sub.choices["evaluate"].add_argument("--json", action="store_true")
    sub.choices["evaluate"].add_argument("--save-card", action="store_true", help="write card.json beside the model")
    sub.choices["export"].add_argument("dest", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    argv = list(sys.argv[1:] if argv is None else argv)
    args, rest = build_parser().parse_known_args(argv)
    if rest and args.command != "generate":
        build_parser().parse_args(argv)  # reports the unknown flags
    try:
        return {"train": cmd_train, "generate": cmd_generate, "sample": cmd_sample,
                "evaluate": cmd_evaluate, "export": cmd_export}[args.command](args, rest)
    except UserFacingError as exc:
        sys.stderr.write(f"gan-explorer: {exc}\n")
        return 2


# --- train ----------------------------------------------------------------------------
BOOK_STEPS = {"infogan": 40000, "stackedgan": 10000}


def cmd_train(args, _rest) -> int:
    from tqdm import tqdm

    from trainers.loop import LoopSettings, TrainControl
    from trainers.run import RunDir, RunInfo
    from trainers.session import open_trainer

    run = RunDir(args.out)
    if args.resume:
        if args.init_from or args.generator_warmup:
            raise UserFacingError("--init-from and --generator-warmup start a new run; leave them out with --resume "
                                  "(a resumed run keeps the warm-up in its run.json).")
        info = run.read_info()
        if info.family != args.family:
            raise UserFacingError(f"{args.out} holds a {info.family} run, not {args.family}.")
    else:
        config = {"precision": args.precision, "seed": args.seed}
        config["code_loss" if args.family == "infogan" else "encoder_epochs"] = (
            args.code_loss if args.family == "infogan" else args.encoder_epochs)
        config.update(parse_config_overrides(args.family, args.config))
        if args.generator_warmup and not args.init_from:
            raise UserFacingError("--generator-warmup is for fine-tuning: give --init-from RUN_OR_MODEL too.")
        info = RunInfo(args.family, config, data=args.data, batch_size=args.batch_size,
                       init_from=str(args.init_from) if args.init_from else None,
                       generator_warmup_steps=args.generator_warmup)
    steps = args.steps or BOOK_STEPS[info.family]
    settings = LoopSettings(steps=steps, batch_size=info.batch_size, grid_every=args.grid_every,
                            checkpoint_every=args.checkpoint_every, metrics_every=args.metrics_every,
                            seed=args.seed, generator_warmup_steps=info.generator_warmup_steps)
    trainer, start = open_trainer(run, info, args.resume, settings, print)
    control = TrainControl()
    previous = signal.signal(signal.SIGINT, lambda *_: (control.stop(), tqdm.write("Stopping after this step…")))
    bar = tqdm(total=steps, initial=start, unit="step", dynamic_ncols=True)
    try:
        trainer.run_loop(lambda u: _show(bar, u), control, start_step=start)
    finally:
        bar.close()
        signal.signal(signal.SIGINT, previous)
    print(f"Run saved in {run.path} at step {trainer.step}. Resume: gan-explorer train {info.family} "
          f"--out {run.path} --resume --steps N")
    return 0


def parse_config_overrides(family: str, pairs: list[str]) -> dict:
    """KEY=VALUE strings -> typed config fields of the family (one clear line when wrong)."""
    from trainers.families import family_class

    fields = family_class(family).config_class.__dataclass_fields__
    out = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or key not in fields:
            raise UserFacingError(f"--config {pair}: expected KEY=VALUE with KEY one of {', '.join(fields)}.")
        kind = type(fields[key].default)
        try:
            out[key] = parse_bool(text) if kind is bool else kind(text)
        except ValueError:
            about = "true or false" if kind is bool else f"a {kind.__name__}"
            raise UserFacingError(f"--config {pair}: {key} takes {about}.") from None
    return out


def parse_bool(text: str) -> bool:
    words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    if text.lower() not in words:
        raise ValueError(text)
    return words[text.lower()]


def _show(bar, update) -> None:
    if update.phase == "prepare":
        bar.set_description(update.message or "preparing")
        return
    if update.phase == "done":
        bar.write(update.message or "")
        return
    label = "discriminator warm-up" if update.generators_frozen else ""
    if bar.desc != label:
        bar.set_description(label)  # preparation is over: the bar counts training steps
    bar.update(update.step - bar.n)
    keys = [k for k in update.losses if k.endswith("loss")][:4]
    postfix = {k: f"{update.losses[k]:.3f}" for k in keys}
    postfix["steps/s"] = f"{update.steps_per_s:.2f}"
    bar.set_postfix(postfix, refresh=False)
    if update.metrics:
        bar.write("step {step}: ".format(**update.metrics)
                  + ", ".join(f"{k} {v:.4g}" for k, v in update.metrics.items() if k != "step"))


# --- generate ---------------------------------------------------------------------------
def generate_parser(spec) -> argparse.ArgumentParser:
    """Flags built from the model's latent spec: --digit, --code1, --z0, ... and --sweep."""
    from trainers.latent import CategoricalControl

    parser = OneLineParser(prog="gan-explorer generate")
    parser.add_argument("run", type=Path)
    for c in spec.controls:
        if isinstance(c, CategoricalControl):
            parser.add_argument(f"--{c.name}", type=int, default=None,
                                help=f"0-{c.n - 1}; default: a grid of all {c.n}")
        else:
            about = f" ({c.attribute})" if c.attribute else ""
            parser.add_argument(f"--{c.name}", type=float, default=0.0,
                                help=f"in [{c.low:g}, {c.high:g}]{about}")
    parser.add_argument("--sweep", choices=[c.name for c in spec.swept],
                        help="sweep this control over its range (one column per value, one row per digit)")
    parser.add_argument("--steps", type=positive_int, default=10, help="values in a sweep")
    parser.add_argument("--seed", type=int, default=0, help="noise seed")
    parser.add_argument("-o", "--out", type=Path, default=Path("generated.png"))
    parser.add_argument("--scale", type=positive_int, default=3, help="pixel zoom of the PNG")
    return parser


def cmd_generate(args, rest) -> int:
    import numpy as np

    from trainers.images import make_grid, save_png
    from trainers.run import load_model

    model = load_model(args.run)
    spec = _spec_with_card(model)
    if "-h" in rest or "--help" in rest:
        generate_parser(spec).print_help()
        return 0
    opts = generate_parser(spec).parse_args([str(args.run), *rest])
    values = {c.name: getattr(opts, c.name) for c in spec.swept}
    values["seed"] = opts.seed
    digits = list(range(10)) if opts.digit is None else [opts.digit]
    spec.validate({"digit": digits, **{k: v for k, v in values.items() if k != "seed"}})
    if opts.sweep:
        control = spec[opts.sweep]
        values[opts.sweep] = np.linspace(control.low, control.high, opts.steps, dtype=np.float32)
        rows = [model.generate({**values, "digit": d}) for d in digits]
        grid = make_grid(np.concatenate(rows), cols=opts.steps)
    else:
        images = model.generate({**values, "digit": np.array(digits)})
        grid = make_grid(images, cols=len(digits))
    save_png(opts.out, grid, scale=opts.scale)
    print(f"Wrote {opts.out}")
    return 0


def _spec_with_card(model):
    effects = {name: e["attribute"] for name, e in getattr(model, "card", {}).get("effects", {}).items()
               if e.get("attribute")}
    return model.latent_spec.with_attributes(effects)


# --- sample / export / evaluate --------------------------------------------------------
def cmd_sample(args, _rest) -> int:
    import numpy as np

    from trainers.images import atomic_write, make_grid, save_png
    from trainers.run import load_model

    model = load_model(args.run)
    latents = model.latent_spec.sample(args.n, np.random.default_rng(args.seed))
    images = model.generate_arrays(latents)
    payload = {"images": (np.clip(images, 0, 1) * 255 + 0.5).astype(np.uint8), "labels": latents["digit"],
               **{f"latent_{k}": v for k, v in latents.items()}}
    if args.out.suffix.lower() == ".png":
        save_png(args.out, make_grid(payload["images"], cols=min(10, args.n)), scale=2)
        print(f"Wrote a grid of {args.n} samples to {args.out}")
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


if __name__ == "__main__":
    sys.exit(main())
