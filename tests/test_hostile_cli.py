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
    assert "is corrupt" in clean(capsys, ["generate", str(run), "-o", str(tmp_path / "g.png")])
