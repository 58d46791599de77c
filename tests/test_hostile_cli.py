"""The hostile cases named in the hardening issue, each through the real CLI: exit 2, one line on stderr, no
traceback, and nothing lost (the run or model is left as it was)."""

import json
import shutil

import numpy as np
import pytest

from trainers.cli import main
from trainers.paths import SHIPPED_MODELS


@pytest.fixture(scope="module")
def lab_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("hostile") / "lab"
    assert main(["train", "gauss1d", "--steps", "3", "--out", str(run), "--metrics-every", "0"]) == 0
    return run


def edit_json(path, change):
    content = json.loads(path.read_text())
    change(content)
    path.write_text(json.dumps(content))


def clean(capsys, argv):
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's usage errors
        code = exit_.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "Traceback" not in err[0], err
    return err[0]


RUN_JSON_CASES = {
    "config is null": lambda c: c.update(config=None),
    "config is a list": lambda c: c.update(config=[1, 2]),
    "negative step": lambda c: c.update(step=-5),
    "absurd step": lambda c: c.update(step=10**15),
    "batch_size a string": lambda c: c.update(batch_size="64"),
    "batch_size 0": lambda c: c.update(batch_size=0),
    "batch_size negative": lambda c: c.update(batch_size=-8),
    "negative seed": lambda c: c["config"].update(seed=-1),
    "unknown family": lambda c: c.update(family="biggan"),
    "the whole file a list": None,
}


@pytest.mark.parametrize("case", list(RUN_JSON_CASES))
def test_a_malformed_run_json(lab_run, tmp_path, capsys, case):
    run = tmp_path / "run"
    shutil.copytree(lab_run, run)
    if RUN_JSON_CASES[case] is None:
        (run / "run.json").write_text("[1, 2, 3]")
    else:
        edit_json(run / "run.json", RUN_JSON_CASES[case])
    before = (run / "checkpoint.npz").read_bytes()
    clean(capsys, ["sample", str(run), "--n", "4", "--out", str(tmp_path / "s.npz")])
    clean(capsys, ["train", "gauss1d", "--out", str(run), "--resume", "--steps", "5"])
    assert (run / "checkpoint.npz").read_bytes() == before  # nothing lost


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("[]", "not an object"),
        ('{"config": {}}', "'family' must be one of"),
        ('{"family": "infogan", "config": []}', "'config' must be an object"),
    ],
)
def test_a_malformed_model_json(tmp_path, capsys, content, fragment):
    model = tmp_path / "model"
    shutil.copytree(SHIPPED_MODELS / "gauss1d", model)
    (model / "model.json").write_text(content)
    assert fragment in clean(capsys, ["generate", str(model), "-o", str(tmp_path / "g.png")])


def test_a_card_json_that_is_a_list(tmp_path, capsys):
    model = tmp_path / "model"
    shutil.copytree(SHIPPED_MODELS / "gauss1d", model)
    (model / "card.json").write_text("[1]")
    assert "card.json: holds a JSON list" in clean(capsys, ["generate", str(model), "-o", str(tmp_path / "g.png")])


def test_a_checkpoint_of_nan_weights_is_refused(lab_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(lab_run, run)
    with np.load(run / "checkpoint.npz") as f:
        arrays = {k: f[k] for k in f.files}
    arrays = {k: np.full_like(v, np.nan) if v.dtype.kind == "f" else v for k, v in arrays.items()}
    np.savez(run / "checkpoint.npz", **arrays)
    assert "NaN or infinite weights" in clean(capsys, ["generate", str(run), "-o", str(tmp_path / "g.png")])


@pytest.mark.parametrize(
    "argv_tail, fragment",
    [
        (["--seed", "-1"], "--seed"),
        (["--config", "target_sigma=nan"], "finite"),
        (["--config", "steps_typo=3"], "expected KEY=VALUE"),
    ],
)
def test_bad_training_values(tmp_path, capsys, argv_tail, fragment):
    assert fragment in clean(capsys, ["train", "gauss1d", "--out", str(tmp_path / "r"), "--steps", "2", *argv_tail])
    assert not (tmp_path / "r").exists()


def test_generate_values_and_an_output_that_is_a_folder(tmp_path, capsys):
    model = str(SHIPPED_MODELS / "infogan")
    assert "--code1" in clean(capsys, ["generate", model, "--code1", "nan", "-o", str(tmp_path / "g.png")])
    assert "--code1" in clean(capsys, ["generate", model, "--code1", "9", "-o", str(tmp_path / "g.png")])
    (tmp_path / "folder.png").mkdir()
    assert "folder" in clean(capsys, ["generate", model, "-o", str(tmp_path / "folder.png")])


@pytest.mark.parametrize("setting", ["num_labels=0", "noise_dim=0", "num_labels=x"])
def test_bad_model_settings(tmp_path, capsys, setting):
    clean(
        capsys,
        ["train", "infogan", "--out", str(tmp_path / "r"), "--steps", "1", "--data", "bundled", "--config", setting],
    )
    assert not (tmp_path / "r").exists()


def test_a_compressed_checkpoint_with_damaged_deflate_data(lab_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(lab_run, run)
    with np.load(run / "checkpoint.npz") as f:
        arrays = {k: f[k] for k in f.files}
    np.savez_compressed(run / "checkpoint.npz", **arrays)  # a user's re-saved, zlib-compressed copy
    raw = bytearray((run / "checkpoint.npz").read_bytes())
    for at in range(200, 260):  # inside the first member's deflate stream
        raw[at] ^= 0xFF
    (run / "checkpoint.npz").write_bytes(bytes(raw))
    assert "is damaged" in clean(capsys, ["generate", str(run), "-o", str(tmp_path / "g.png")])


# --- a diverging run, resuming with other settings, failed starts (the first-hour issue's §5) ------------------
@pytest.fixture(scope="module")
def diverged_run(tmp_path_factory):
    """InfoGAN at learning rate 10 with a checkpoint every step: its weights turn to NaN after finite losses."""
    run = tmp_path_factory.mktemp("diverged") / "run"
    argv = ["train", "infogan", "--batch-size", "16", "--steps", "60", "--checkpoint-every", "1", "--out", str(run)]
    argv += ["--data", "bundled", "--metrics-every", "0", "--steps-per-call", "1"]
    argv += ["--config", "d_lr=10", "--config", "g_lr=10", "--config", "precision=float32"]
    assert main(argv) == 2
    return run


def test_a_diverged_run_keeps_only_finite_checkpoints_and_says_which_step(diverged_run, capsys):
    info = json.loads((diverged_run / "run.json").read_text())
    with np.load(diverged_run / "checkpoint.npz") as f:
        arrays = {k: f[k] for k in f.files}
    assert all(np.isfinite(a).all() for a in arrays.values() if a.dtype.kind == "f")
    assert int(arrays["__step__"]) == info["step"] < 60
    assert not list(diverged_run.glob(".checkpoint-*"))


def test_the_divergence_message_names_the_kept_step(tmp_path, capsys):
    run = tmp_path / "run"
    argv = ["train", "infogan", "--batch-size", "16", "--steps", "60", "--checkpoint-every", "1", "--out", str(run)]
    argv += ["--data", "bundled", "--metrics-every", "0", "--steps-per-call", "1"]
    argv += ["--config", "d_lr=10", "--config", "g_lr=10", "--config", "precision=float32"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    line = err.strip().splitlines()[-1]  # after the progress bar
    assert "Traceback" not in err
    step = json.loads((run / "run.json").read_text())["step"]
    assert "diverged" in line and f"the last finite checkpoint, step {step}, is kept" in line, line


def test_a_diverged_run_resumes_with_lower_rates_and_records_them(diverged_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(diverged_run, run)
    kept = json.loads((run / "run.json").read_text())["step"]
    argv = ["train", "infogan", "--out", str(run), "--resume", "--steps", str(kept + 3), "--metrics-every", "0"]
    assert main([*argv, "--config", "d_lr=0.0002", "--config", "g_lr=0.0001"]) == 0
    info = json.loads((run / "run.json").read_text())
    assert info["step"] == kept + 3
    assert info["config"]["d_lr"] == 0.0002 and info["config"]["g_lr"] == 0.0001
    assert info["changes"] == [{"step": kept, "d_lr": 0.0002, "g_lr": 0.0001}]
    with np.load(run / "checkpoint.npz") as f:
        assert all(np.isfinite(f[k]).all() for k in f.files if f[k].dtype.kind == "f")
    assert "Resuming with d_lr=0.0002, g_lr=0.0001" in capsys.readouterr().out


def test_resume_refuses_a_setting_that_changes_the_networks(diverged_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(diverged_run, run)
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    line = clean(capsys, ["train", "infogan", "--out", str(run), "--resume", "--config", "noise_dim=8"])
    assert "--config noise_dim=8: changes the shapes" in line and "--init-from" in line
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and p.name != ".lock"} == {
        k: v for k, v in before.items() if k != ".lock"
    }


@pytest.mark.parametrize(
    "flags, fragment",
    [
        (["--seed", "3"], "keeps its seed (0)"),
        (["--data", "bundled"], "keeps its data"),
        (["--config", "hidden=x"], "hidden takes a int"),
        (["--config", "nonsense=1"], "expected KEY=VALUE"),
        (["--preset", "lab"], "--preset start a new run"),
    ],
)
def test_resume_refuses_what_it_cannot_change_in_one_line(lab_run, tmp_path, capsys, flags, fragment):
    run = tmp_path / "run"
    shutil.copytree(lab_run, run)
    before = (run / "run.json").read_bytes()
    assert fragment in clean(capsys, ["train", "gauss1d", "--out", str(run), "--resume", "--steps", "5", *flags])
    assert (run / "run.json").read_bytes() == before


def test_a_start_that_failed_before_its_first_checkpoint_can_be_retried(lab_run, tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(lab_run / "run.json", run / "run.json")  # what a start that failed after writing run.json leaves
    assert "no checkpoint to resume" in clean(capsys, ["train", "gauss1d", "--out", str(run), "--resume"])
    assert main(["train", "gauss1d", "--steps", "2", "--out", str(run), "--metrics-every", "0"]) == 0
    assert (run / "checkpoint.npz").is_file()
    capsys.readouterr()
    assert "already holds a run" in clean(capsys, ["train", "gauss1d", "--steps", "2", "--out", str(run)])


def test_out_that_is_a_file(tmp_path, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("mine")
    assert "is a file, not a folder" in clean(capsys, ["train", "gauss1d", "--steps", "2", "--out", str(target)])
    assert target.read_text() == "mine"


def test_a_checkpoint_whose_header_claims_a_huge_array(lab_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(lab_run, run)
    with np.load(run / "checkpoint.npz") as f:
        arrays = {k: f[k] for k in f.files}
    np.savez(run / "checkpoint.npz", **arrays)
    raw = (run / "checkpoint.npz").read_bytes()
    first = next(iter(arrays))
    header = f"'shape': {arrays[first].shape!r}".encode()
    huge = f"'shape': ({2**40},)".encode().ljust(len(header))  # same length: the zip stays readable
    assert header in raw
    (run / "checkpoint.npz").write_bytes(raw.replace(header, huge, 1))
    line = clean(capsys, ["generate", str(run), "-o", str(tmp_path / "g.png")])
    assert "is damaged" in line, line


def test_sample_never_overwrites_a_file_it_did_not_write(lab_run, tmp_path, capsys):
    notes = tmp_path / "existing.txt"
    notes.write_text("my notes")
    line = clean(capsys, ["sample", str(lab_run), "--n", "4", "--out", str(notes)])
    assert "--force" in line and notes.read_text() == "my notes"
    mine = tmp_path / "s.npz"
    assert main(["sample", str(lab_run), "--n", "4", "--out", str(mine)]) == 0
    assert main(["sample", str(lab_run), "--n", "5", "--out", str(mine)]) == 0  # its own output: replaced
    assert main(["sample", str(lab_run), "--n", "4", "--out", str(notes), "--force"]) == 0


def test_generate_never_overwrites_a_picture_it_did_not_write(tmp_path, capsys):
    from PIL import Image

    model = str(SHIPPED_MODELS / "infogan")
    photo = tmp_path / "photo.png"
    Image.new("L", (4, 4), 7).save(photo)
    before = photo.read_bytes()
    assert "--force" in clean(capsys, ["generate", model, "--digit", "3", "-o", str(photo)])
    assert photo.read_bytes() == before
    assert main(["generate", model, "--digit", "3", "-o", str(photo), "--force"]) == 0
    assert main(["generate", model, "--digit", "4", "-o", str(photo)]) == 0  # now it is ours


def test_a_stored_setting_is_checked_like_a_flag(tmp_path, capsys):
    model = tmp_path / "model"
    shutil.copytree(SHIPPED_MODELS / "infogan", model)
    edit_json(model / "model.json", lambda c: c["config"].update(precision="float8"))
    line = clean(capsys, ["generate", str(model), "-o", str(tmp_path / "g.png")])
    assert "model.json" in line and "precision" in line and "float8" in line


def test_leftovers_of_a_killed_checkpoint_write_are_cleared_by_the_next_start(lab_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(lab_run, run)
    (run / ".checkpoint-k9x2ab.npz").write_bytes(b"\0" * 1000)  # what kill -9 mid-write leaves
    (run / ".run-3fj1.json").write_text("{")
    assert main(["train", "gauss1d", "--out", str(run), "--resume", "--steps", "4", "--metrics-every", "0"]) == 0
    assert not list(run.glob(".checkpoint-*")) and not list(run.glob(".run-*"))


def test_a_pickled_data_file_gets_advice_to_convert_it_not_to_load_it(tmp_path, capsys):
    data = tmp_path / "digits.npz"
    np.savez(data, x=np.array([np.zeros((28, 28))] * 4, dtype=object), y=np.arange(4))
    line = clean(capsys, ["train", "infogan", "--steps", "1", "--data", str(data), "--out", str(tmp_path / "r")])
    assert "allow_pickle" not in line and "never loaded" in line and "np.savez" in line


def test_generate_help_works_without_a_model(capsys):
    assert main(["generate", "--help"]) == 0
    assert "gan-explorer generate RUN --help" in capsys.readouterr().out


def test_generate_takes_class_names_from_the_model(tmp_path, capsys):
    model = str(SHIPPED_MODELS / "acgan-fashion")
    out = tmp_path / "sneaker.png"
    assert main(["generate", model, "--class", "Sneaker", "-o", str(out)]) == 0
    assert out.is_file()
    assert main(["generate", model, "--class", "ankle boot", "-o", str(out)]) == 0
    assert "a class name" in clean(capsys, ["generate", model, "--class", "Sneakers", "-o", str(out)])
