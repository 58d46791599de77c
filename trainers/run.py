"""Run directories and exported models: config, atomic checkpoints, grids, loss history."""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from trainers.errors import NPZ_READ_ERRORS, TrainingDiverged, UserFacingError, read_error_reason
from trainers.images import atomic_write

RUN_FILE = "run.json"
CHECKPOINT = "checkpoint.npz"
MODEL_FILE = "model.json"  # exported model: family + config
GENERATOR = "generator.npz"  # exported model: generator weights only
CARD = "card.json"  # measured effects and metrics, read by the explorer
STEP_KEY = "__step__"
LOCK_FILE = ".lock"  # held while a process trains the run
FINISHING_ALONE = "finishing its last step after its window closed"


@dataclass
class RunInfo:
    family: str
    config: dict
    data: str = "auto"
    batch_size: int = 64
    step: int = 0
    prepare: dict = field(default_factory=dict)  # figures of the family's preparation, e.g. an encoder's accuracy
    init_from: str | None = None  # a fine-tune: the run or model folder whose weights it started from
    generator_warmup_steps: int = 0  # a fine-tune's first steps train the discriminators only
    created: float = field(default_factory=time.time)
    changes: list = field(default_factory=list)  # settings changed on resume: {"step": 120, "d_lr": 1e-4}, ...


def with_resume_changes(info: RunInfo, config: dict, batch_size: int | None) -> tuple[RunInfo, dict]:
    """(the run's info with the settings a resume gives, what differs): the change is recorded in
    `changes` at the step the run resumes from. The caller checks that the networks still load."""
    changed = {k: v for k, v in config.items() if info.config.get(k) != v}
    if batch_size is not None and batch_size != info.batch_size:
        changed["batch_size"] = batch_size
    if not changed:
        return info, {}
    new_config = {**info.config, **{k: v for k, v in changed.items() if k != "batch_size"}}
    changes = [*info.changes, {"step": info.step, **changed}]
    return replace(info, config=new_config, batch_size=batch_size or info.batch_size, changes=changes), changed


# --- the schema of the JSON files: one check per file kind, one line naming the file and the field ---------
MAX_COUNT = 10**12  # steps, batch sizes: anything above is a damaged file, not a run
RUN_FIELDS = {  # field: (accepted types, also None)
    "family": ((str,), False),
    "config": ((dict,), False),
    "data": ((str,), False),
    "batch_size": ((int,), False),
    "step": ((int,), False),
    "prepare": ((dict,), False),
    "init_from": ((str,), True),
    "generator_warmup_steps": ((int,), False),
    "created": ((int, float), False),
    "changes": ((list,), False),
}


def _field_error(path: Path, what: str) -> UserFacingError:
    return UserFacingError(f"{path}: {what}; restore the file from a copy or start a new run.")


def checked_count(value, where: str, low: int = 0) -> int:
    """A whole number >= low from a JSON field or a checkpoint scalar, or one line saying what it is instead."""
    array = np.asarray(value)
    if isinstance(value, bool) or array.shape != () or array.dtype.kind not in "iu":
        shown = f"{array.dtype} values of shape {array.shape}" if isinstance(value, np.ndarray) else repr(value)[:40]
        raise UserFacingError(f"{where} must be a whole number, got {shown}; the file is damaged.")
    number = int(array)
    if not low <= number <= MAX_COUNT:
        raise UserFacingError(f"{where} must be from {low} to {MAX_COUNT:,}, got {number}; the file is damaged.")
    return number


def checked_family(name, path: Path) -> str:
    from trainers.families import family_names

    if not isinstance(name, str) or name not in family_names():
        raise _field_error(path, f"'family' must be one of {', '.join(family_names())}, got {name!r}")
    return name


def checked_run_info(raw, path: Path) -> RunInfo:
    if not isinstance(raw, dict):
        raise _field_error(path, f"holds a JSON {type(raw).__name__}, not an object describing a run")
    unknown = sorted(set(raw) - set(RUN_FIELDS))
    if unknown:
        raise _field_error(path, f"unknown fields {unknown}")
    for name in ("family", "config"):
        if name not in raw:
            raise _field_error(path, f"lacks '{name}'")
    for name, value in raw.items():
        types, nullable = RUN_FIELDS[name]
        if value is None and nullable:
            continue
        if isinstance(value, bool) or not isinstance(value, types):
            kinds = " or ".join("an object" if t is dict else t.__name__ for t in types)
            raise _field_error(path, f"'{name}' must be {kinds}, got {value!r}")
    checked_family(raw["family"], path)
    for name, low in (("batch_size", 1), ("step", 0), ("generator_warmup_steps", 0)):
        if name in raw:
            checked_count(raw[name], f"{path} '{name}'", low)
    return RunInfo(**raw)


def checked_model_meta(raw, path: Path) -> tuple[str, dict]:
    """model.json of an exported model: (family, config)."""
    if not isinstance(raw, dict):
        raise _field_error(path, f"holds a JSON {type(raw).__name__}, not an object naming a family and config")
    if not isinstance(raw.get("config"), dict):
        raise _field_error(path, "'config' must be an object of settings")
    return checked_family(raw.get("family"), path), raw["config"]


def checked_card(raw, path: Path) -> dict:
    """card.json: the measured figures; the explorer reads `effects` -> control -> attribute."""
    if not isinstance(raw, dict):
        raise _field_error(path, f"holds a JSON {type(raw).__name__}, not an object of figures")
    effects = raw.get("effects", {})
    if not isinstance(effects, dict) or not all(isinstance(e, dict) for e in effects.values()):
        raise _field_error(path, "'effects' must map each control to an object of figures")
    for control, effect in effects.items():
        if not isinstance(effect.get("attribute"), (str, type(None))):
            raise _field_error(path, f"the attribute of '{control}' must be a name or null")
    return raw


def read_card(folder: Path) -> dict:
    path = Path(folder) / CARD
    return checked_card(read_json(path), path) if path.is_file() else {}


def write_json(path: Path, payload: dict) -> None:
    text = json.dumps(payload, indent=2, sort_keys=True, default=float)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def read_json(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise UserFacingError(f"{path} not found: not a run directory or exported model.") from None
    except (OSError, ValueError) as exc:  # ValueError: bad JSON, or bytes that are not UTF-8 text
        raise UserFacingError(f"{path} is corrupt ({type(exc).__name__}); restore it or start a new run.") from None


def non_finite_arrays(arrays: dict[str, np.ndarray]) -> list[str]:
    """Names of the floating-point arrays holding a NaN or an infinity (bfloat16 included)."""
    bad = []
    for name, array in arrays.items():
        array = np.asarray(array)
        if array.dtype.kind in "biuSUO":
            continue
        if not np.isfinite(array.astype(np.float32, copy=False)).all():
            bad.append(name)
    return bad


def save_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    # numpy's stubs take savez's **kwds for its allow_pickle flag
    atomic_write(path, lambda tmp: np.savez(tmp, **arrays))  # type: ignore[arg-type]


def load_arrays(path: Path) -> dict[str, np.ndarray]:
    if not Path(path).is_file():
        raise UserFacingError(f"No checkpoint at {path}; train first or pick another run.")
    try:
        with np.load(path, allow_pickle=False) as f:
            return {k: f[k] for k in f.files}
    except NPZ_READ_ERRORS as exc:
        raise UserFacingError(
            f"Checkpoint {path} is damaged ({read_error_reason(exc)}); delete it or resume from another run."
        ) from None


class RunDir:
    """A training run on disk. The checkpoint is replaced atomically, so the last good one survives."""

    def __init__(self, path: Path):
        self.path = Path(path)

    @property
    def info_path(self) -> Path:
        return self.path / RUN_FILE

    @property
    def checkpoint_path(self) -> Path:
        return self.path / CHECKPOINT

    @property
    def grids(self) -> Path:
        return self.path / "grids"

    def exists(self) -> bool:
        return self.info_path.is_file()

    def make_folder(self) -> None:
        """The run's folder, or one line saying why it cannot be one."""
        if self.path.exists() and not self.path.is_dir():
            raise UserFacingError(f"{self.path} is a file, not a folder: choose another --out for the run.")
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UserFacingError(
                f"Cannot make the run folder {self.path}: {exc.strerror}; choose another --out."
            ) from None

    def create(self, info: RunInfo, overwrite: bool = False) -> None:
        """Write a new run's run.json. A folder whose run never wrote a checkpoint (its start failed) is
        taken over; one with a checkpoint is refused unless `overwrite`."""
        self.make_folder()
        if self.exists() and self.checkpoint_path.is_file() and not overwrite:
            raise UserFacingError(
                f"{self.path} already holds a run; pass --resume to continue it or choose another --out."
            )
        self.grids.mkdir(exist_ok=True)
        self.write_info(info)

    def read_info(self) -> RunInfo:
        return checked_run_info(read_json(self.info_path), self.info_path)

    def write_info(self, info: RunInfo) -> None:
        write_json(self.info_path, info.__dict__)

    def save_checkpoint(self, model, step: int) -> None:
        """Replace the checkpoint with the model at `step`, unless a weight or optimizer slot is not finite:
        then the last finite checkpoint stays and TrainingDiverged says which step it holds."""
        arrays = model.state()
        bad = non_finite_arrays(arrays)
        if bad:
            shown = ", ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
            raise TrainingDiverged(f"Training diverged by step {step} ({shown} not finite); {self.kept_checkpoint()}")
        arrays[STEP_KEY] = np.array(step, np.int64)
        save_arrays(self.checkpoint_path, arrays)
        info = self.read_info()
        info.step = step
        self.write_info(info)

    def kept_checkpoint(self) -> str:
        """After a divergence: which checkpoint is left, and how to go on from it."""
        if not self.checkpoint_path.is_file():
            return f"no checkpoint was written in {self.path}: start again with a lower learning rate."
        return (
            f"the last finite checkpoint, step {self.read_info().step}, is kept in {self.path}: resume from it "
            "with a lower learning rate (--resume --config KEY=VALUE, e.g. g_lr, d_lr)."
        )

    def load_checkpoint(self, model) -> int:
        arrays = load_arrays(self.checkpoint_path)
        step = checked_count(arrays.get(STEP_KEY, np.array(0)), f"{self.checkpoint_path} '{STEP_KEY}'")
        model.load_state(arrays)
        return step

    def append_history(self, rows: list[dict], name: str = "history.csv") -> None:
        """Append loss rows (step first); a header is written with the first rows."""
        if not rows:
            return
        path = self.path / name
        keys = list(rows[0])
        new = not path.exists() or path.stat().st_size == 0
        if not new:
            keys = self._header_with(path, keys)
        text = "".join(",".join(f"{row.get(k, float('nan')):.6g}" for k in keys) + "\n" for row in rows)
        try:
            with open(path, "a") as f:
                f.write((",".join(keys) + "\n" if new else "") + text)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            from trainers.images import _write_error

            raise _write_error(path, exc) from None

    @staticmethod
    def _header_with(path: Path, keys: list[str]) -> list[str]:
        """The file's columns, widened (its earlier rows padded with nan) when `keys` brings new ones, e.g. a
        run resumed by a version that measures more."""
        with open(path) as f:
            header = f.readline().rstrip("\n").split(",")
        extra = [k for k in keys if k not in header]
        if not extra:
            return header
        widened = header + extra
        lines = path.read_text().split("\n")[1:]
        pad = ",nan" * len(extra)
        text = ",".join(widened) + "\n" + "".join(line + pad + "\n" for line in lines if line)
        atomic_write(path, lambda tmp: Path(tmp).write_text(text))
        return widened

    def append_alarm(self, step: int, text: str) -> None:
        """Keep a warning (trainers.alarms) with the run: alarms.txt, one 'step: text' line each."""
        try:
            with open(self.path / "alarms.txt", "a") as f:
                f.write(f"{step}: {text}\n")
        except OSError as exc:
            from trainers.images import _write_error

            raise _write_error(self.path / "alarms.txt", exc) from None

    def repair_history(self, step: int) -> None:
        """Before a resume: drop a line torn by a kill and rows past the checkpoint's step, so that the
        history continues exactly where the weights do."""
        for name in ("history.csv", "metrics.csv"):
            path = self.path / name
            if not path.is_file():
                continue
            lines = path.read_text(errors="replace").split("\n")
            complete = lines[:-1]  # the text after the last newline is a torn line (or empty)
            kept = complete[:1] + [line for line in complete[1:] if _row_at_or_before(line, step)]
            if kept != lines[:-1] or lines[-1]:
                text = "\n".join(kept) + "\n" if kept else ""
                atomic_write(path, lambda tmp, text=text: Path(tmp).write_text(text))

    # --- one process per run ---------------------------------------------------------------
    def lock(self) -> RunLock:
        """Hold the run for this process (until `release` or the process ends, however it ends), and clear
        the temporary files that a process killed mid-write left (atomic_write's `.NAME-*` files)."""
        held = RunLock(self.path)
        for name in (CHECKPOINT, RUN_FILE, "history.csv", "metrics.csv"):
            stem, suffix = os.path.splitext(name)
            for leftover in self.path.glob(f".{stem}-*{suffix}"):
                leftover.unlink(missing_ok=True)
        return held


def _row_at_or_before(line: str, step: int) -> bool:
    row_step = _row_step(line)
    return row_step is not None and row_step <= step


def _row_step(line: str) -> int | None:
    head = line.split(",", 1)[0]
    try:
        return int(float(head))
    except ValueError:
        return None


class RunLock:
    """An exclusive flock on RUN/.lock: a second trainer of the same run gets one line naming the holder.
    The kernel drops the lock when the holder exits, so a crashed or killed run is never locked out."""

    def __init__(self, run_path: Path):
        import fcntl

        self.path = Path(run_path) / LOCK_FILE
        try:
            self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UserFacingError(
                f"Cannot train {run_path}: {exc.strerror} ({self.path}); pick a folder you can write to."
            ) from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(self._fd)
            if holder.endswith(FINISHING_ALONE):  # no window left to stop it from: it ends by itself
                raise UserFacingError(
                    f"{run_path} is still being saved by {holder}; try again in a few seconds."
                ) from None
            raise UserFacingError(
                f"{run_path} is being trained by {holder}; stop that run first (opening it in "
                "the explorer works meanwhile)."
            ) from None
        self._holder = f"process {os.getpid()} on {socket.gethostname()}"
        self._say(self._holder)

    def _say(self, holder: str) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, holder.encode(), 0)

    def finishing_alone(self) -> None:
        """The holder's window has closed while it finishes its last step: a second trainer is told to wait,
        not to stop a run that no window shows."""
        self._say(f"{self._holder}, {FINISHING_ALONE}")

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


def family_config(family: str, config: dict, **overrides):
    """`config` as the family's config dataclass, checked field by field (types, ranges, choices)."""
    from trainers.families import family_class
    from trainers.settings import checked_config

    cls = family_class(family)
    if not isinstance(config, dict):
        raise UserFacingError(
            f"The settings of this {family} model are not a mapping: the run or model file is damaged."
        )
    known = set(cls.config_class.__dataclass_fields__)
    overrides = {k: v for k, v in overrides.items() if k in known}  # e.g. precision, for families that have it
    return checked_config(cls.config_class, {**config, **overrides})


def stored_config(family: str, config: dict, path: Path):
    """A file's settings checked as flags would be, before any override (e.g. sampling in float32)."""
    try:
        return family_config(family, config)
    except UserFacingError as exc:
        raise UserFacingError(f"{path}: {exc} Restore the file, or train the model again.") from None


def build_model(family: str, config: dict, **overrides):
    """A fresh model of `family` with `config` (checked: family_config)."""
    from trainers.families import family_class

    return family_class(family)(family_config(family, config, **overrides))


def family_of(path: Path) -> str | None:
    """The family a run directory or exported model names, without loading anything; None where it
    cannot be read (opening it then says why)."""
    path = Path(path)
    try:
        if (path / MODEL_FILE).is_file():
            return checked_model_meta(read_json(path / MODEL_FILE), path / MODEL_FILE)[0]
        return RunDir(path).read_info().family
    except (UserFacingError, OSError, ValueError):
        return None


def load_model(path: Path, precision: str | None = "float32"):
    """Load a run directory (full checkpoint) or an exported model (generator only) for sampling."""
    path = Path(path)
    if not path.exists():
        raise UserFacingError(f"{path} does not exist; give a run directory or an exported model folder.")
    overrides = {"precision": precision} if precision else {}
    if (path / MODEL_FILE).is_file():
        family, config = checked_model_meta(read_json(path / MODEL_FILE), path / MODEL_FILE)
        stored_config(family, config, path / MODEL_FILE)
        model = build_model(family, config, **overrides)
        model.load_state(load_arrays(path / GENERATOR), generators_only=True)
        model.card = read_card(path)
        return model
    run = RunDir(path)
    info = run.read_info()
    stored_config(info.family, info.config, run.info_path)
    model = build_model(info.family, info.config, **overrides)
    run.load_checkpoint(model)
    model.card = read_card(path)
    return model


def in_float32(model):
    """`model` itself where it computes in float32, else a float32 copy of its generators: figures are measured
    as the command line measures them, whatever precision a window draws in."""
    from trainers.families.base import resolve_precision

    config = model.config_dict()
    if resolve_precision(config.get("precision", "float32")) == "float32":
        return model
    copy = build_model(model.name, config, precision="float32")
    copy.load_state(model.state(generators_only=True), generators_only=True)
    copy.card = getattr(model, "card", None)
    return copy


@dataclass(frozen=True)
class FineTuneSource:
    """A run directory (all networks) or exported model (generators) that a new run can start from."""

    path: Path
    family: str
    config: dict
    weights: Path
    generators_only: bool


def fine_tune_source(path: Path) -> FineTuneSource:
    """What `path` offers to a fine-tune; one clear line when it cannot be started from."""
    from trainers.families import family_class

    path = Path(path)
    if (path / MODEL_FILE).is_file():
        family, config = checked_model_meta(read_json(path / MODEL_FILE), path / MODEL_FILE)
        source = FineTuneSource(path, family, config, path / GENERATOR, True)
    else:
        info = RunDir(path).read_info()
        source = FineTuneSource(path, info.family, info.config, path / CHECKPOINT, False)
    if source.generators_only and family_class(source.family).needs_discriminators_to_fine_tune:
        raise UserFacingError(
            f"{path} has generators only; {source.family} needs the networks they were trained "
            "against, so start from a run directory."
        )
    return source


def init_weights(model, path: Path) -> None:
    """Start `model` from another run's networks or an exported model's generators; optimizers start
    fresh. For fine-tuning, e.g. a shipped model with a new discriminator."""
    source = fine_tune_source(path)
    if source.family != model.name:
        raise UserFacingError(f"--init-from {path} holds a model of family '{source.family}', not '{model.name}'.")
    model.load_state(load_arrays(source.weights), generators_only=source.generators_only, optimizers=False)


def export_model(model, dest: Path) -> None:
    """Write what the explorer needs: family, config and generator weights."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    save_arrays(dest / GENERATOR, model.state(generators_only=True))
    write_json(dest / MODEL_FILE, {"family": model.name, "config": model.config_dict()})
