"""The headless CLI end to end: real training on real digits, real files, real exit codes."""

import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest
from cli_args import quick_train_args

from trainers.cli import main
from trainers.run import RunDir

TRAIN = quick_train_args()


@pytest.fixture(scope="module")
def infogan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "info"
    assert main(["train", "infogan", "--steps", "3", "--out", str(out), *TRAIN]) == 0
    return out


def test_train_writes_checkpoint_grids_and_history(infogan_run):
    run = RunDir(infogan_run)
    assert run.read_info().step == 3 and run.checkpoint_path.is_file()
    assert sorted(p.name for p in run.grids.iterdir()) == ["step_000000.png", "step_000002.png", "step_000003.png"]
    history = (infogan_run / "history.csv").read_text().splitlines()
    assert history[0].startswith("step,") and len(history) == 4
    live = (infogan_run / "metrics.csv").read_text().splitlines()
    assert live[0] == "step,label_accuracy,frechet_distance,kernel_distance" and len(live) == 3  # steps 0 and 2


def test_resume_continues_at_the_right_step(infogan_run, tmp_path):
    import shutil

    run_dir = tmp_path / "resumed"
    shutil.copytree(infogan_run, run_dir)
    assert main(["train", "infogan", "--steps", "5", "--out", str(run_dir), "--resume", *TRAIN]) == 0
    assert RunDir(run_dir).read_info().step == 5
    steps = [int(line.split(",")[0]) for line in (run_dir / "history.csv").read_text().splitlines()[1:]]
    assert steps == [1, 2, 3, 4, 5]


def test_generate_digit_and_sweeps(infogan_run, tmp_path):
    from PIL import Image

    assert (
        main(
            [
                "generate",
                str(infogan_run),
                "--digit",
                "3",
                "--code1",
                "0.5",
                "--code2",
                "-1",
                "-o",
                str(tmp_path / "one.png"),
                "--scale",
                "1",
            ]
        )
        == 0
    )
    assert Image.open(tmp_path / "one.png").size == (32, 32)
    assert (
        main(["generate", str(infogan_run), "--sweep", "code1", "-o", str(tmp_path / "sweep.png"), "--scale", "1"]) == 0
    )
    assert Image.open(tmp_path / "sweep.png").size == (10 * 30 + 2, 10 * 30 + 2)


def test_generate_interpolates_between_two_seeds_as_a_strip_or_an_animation(infogan_run, tmp_path, capsys):
    import imageio.v3 as iio
    from PIL import Image

    run, strip, gif, mp4 = str(infogan_run), tmp_path / "walk.png", tmp_path / "walk.gif", tmp_path / "walk.mp4"
    one_class = ["--digit", "3", "--interpolate", "5", "--seed", "1", "--steps", "6", "--scale", "1"]
    assert main(["generate", run, *one_class, "-o", str(strip)]) == 0
    assert Image.open(strip).size == (6 * 30 + 2, 30 + 2)  # one row of six steps
    picture = np.asarray(Image.open(strip))
    assert not np.array_equal(picture[:, 2:30], picture[:, -30:-2])  # the seeds' samples differ
    assert main(["generate", run, "--interpolate", "5", "--steps", "4", "--scale", "1", "-o", str(gif)]) == 0
    frames = iio.imread(gif)  # every digit side by side, four steps forth and two back
    assert frames.shape[:3] == (6, 32, 10 * 30 + 2)
    assert main(["generate", run, *one_class, "--path", "linear", "--scale", "2", "-o", str(mp4)]) == 0
    assert iio.imread(mp4).shape[0] == 10
    assert main(["generate", run, "--digit", "3", "-o", str(tmp_path / "one.gif")]) == 2
    assert "needs --sweep or --interpolate" in capsys.readouterr().err
    assert main(["generate", run, "--sweep", "code1", "--interpolate", "2", "-o", str(tmp_path / "x.png")]) == 2
    assert "not both" in capsys.readouterr().err


def test_sample_writes_images_labels_and_every_code(infogan_run, tmp_path):
    assert main(["sample", str(infogan_run), "--n", "12", "--out", str(tmp_path / "s.npz")]) == 0
    with np.load(tmp_path / "s.npz") as f:
        assert f["images"].shape == (12, 28, 28) and f["images"].dtype == np.uint8
        assert set(f.files) >= {"labels", "latent_digit", "latent_code1", "latent_code2", "latent_z"}


def test_sample_writes_exactly_the_named_file_as_npz_or_png_grid(infogan_run, tmp_path):
    from PIL import Image

    assert main(["sample", str(infogan_run), "--n", "4", "--out", str(tmp_path / "s.data")]) == 0
    with np.load(tmp_path / "s.data") as f:
        assert f["images"].shape == (4, 28, 28)
    assert main(["sample", str(infogan_run), "--n", "20", "--out", str(tmp_path / "grid.png")]) == 0
    assert Image.open(tmp_path / "grid.png").size == (2 * (10 * 30 + 2), 2 * (2 * 30 + 2))
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["grid.png", "s.data"]  # no stray temp files


def test_export_keeps_generator_output(infogan_run, tmp_path):
    from trainers.run import load_model

    assert main(["export", str(infogan_run), str(tmp_path / "exp")]) == 0
    controls = {"digit": 4, "code1": -1.0, "seed": 2}
    assert np.array_equal(load_model(tmp_path / "exp").generate(controls), load_model(infogan_run).generate(controls))


def test_stackedgan_trains_and_sweeps_z0(tmp_path):
    from trainers.data import load_dataset

    digits = load_dataset("bundled").take(800)  # plumbing: its encoder's epoch over 800 real digits, not 8,000
    np.savez(tmp_path / "digits.npz", x=digits.images, y=digits.labels)
    out, small = tmp_path / "stacked", ["--data", str(tmp_path / "digits.npz")]
    argv = ["train", "stackedgan", "--steps", "2", "--config", "encoder_epochs=1", "--out", str(out), *TRAIN, *small]
    assert main(argv) == 0
    assert 0 < RunDir(out).read_info().prepare["encoder_accuracy"] <= 1
    assert main(["generate", str(out), "--digit", "2", "--sweep", "z0", "-o", str(tmp_path / "z0.png")]) == 0


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "trainers.cli", *args], capture_output=True, text=True, timeout=120)


def run_main(capsys, *args):
    """The CLI in this process (its refusals need no TensorFlow start of their own): code and stderr as a
    finished process would give them. The process itself is run by the tests above and below."""
    try:
        code = main(list(args))
    except SystemExit as exit_:  # argparse's usage errors
        code = exit_.code
    return SimpleNamespace(returncode=code, stderr=capsys.readouterr().err)


def assert_one_line_error(result, fragment):
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("gan-explorer:")]
    assert len(lines) == 1 and fragment in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_model_exits_2():
    assert_one_line_error(run_cli("train", "wgan", "--out", "x"), "invalid choice")


def test_missing_data_file_exits_2(tmp_path, capsys):
    assert_one_line_error(
        run_main(capsys, "train", "infogan", "--out", str(tmp_path / "r"), "--data", str(tmp_path / "nope.npz")),
        "not found",
    )


def test_out_of_range_digit_exits_2(infogan_run, capsys):
    assert_one_line_error(run_main(capsys, "generate", str(infogan_run), "--digit", "12"), "0 to 9")


def test_corrupt_checkpoint_exits_2_and_is_left_alone(infogan_run, tmp_path, capsys):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(infogan_run, broken)
    (broken / "checkpoint.npz").write_bytes(b"garbage")
    assert_one_line_error(run_main(capsys, "generate", str(broken), "--digit", "1"), "corrupt")
    assert (broken / "checkpoint.npz").read_bytes() == b"garbage"


def test_bad_step_count_exits_2(capsys):
    assert_one_line_error(run_main(capsys, "train", "infogan", "--out", "x", "--steps", "0"), "at least 1")


def test_init_from_a_shipped_model_fine_tunes_its_generator(tmp_path):
    from trainers.paths import RESOURCES

    shipped = RESOURCES / "models" / "infogan"
    out = tmp_path / "fine"
    assert (
        main(
            [
                "train",
                "infogan",
                "--steps",
                "1",
                "--out",
                str(out),
                "--init-from",
                str(shipped),
                "--config",
                "g_lr=0",
                "--config",
                "fake_label_weight=0",
                *TRAIN,
            ]
        )
        == 0
    )
    info = RunDir(out).read_info()
    assert info.init_from == str(shipped) and info.config["fake_label_weight"] == 0.0
    with np.load(out / "checkpoint.npz") as run, np.load(shipped / "generator.npz") as start:
        kernel = "generator/0"  # the first Dense kernel: g_lr=0 leaves it exactly as shipped
        assert np.array_equal(run[kernel], start[kernel])


def test_generator_warmup_freezes_the_generator_then_resume_trains_it(tmp_path):
    from trainers.paths import RESOURCES
    from trainers.run import build_model

    shipped, out = RESOURCES / "models" / "infogan", tmp_path / "fine"
    kernel = "generator/0"
    assert (
        main(
            [
                "train",
                "infogan",
                "--steps",
                "2",
                "--out",
                str(out),
                "--init-from",
                str(shipped),
                "--generator-warmup",
                "2",
                *TRAIN,
            ]
        )
        == 0
    )
    info = RunDir(out).read_info()
    assert info.generator_warmup_steps == 2 and info.config["g_lr"] > 0
    with np.load(out / "checkpoint.npz") as run, np.load(shipped / "generator.npz") as start:
        assert np.array_equal(run[kernel], start[kernel])  # frozen through the warm-up
    assert main(["train", "infogan", "--steps", "3", "--out", str(out), "--resume", *TRAIN]) == 0
    with np.load(out / "checkpoint.npz") as run, np.load(shipped / "generator.npz") as start:
        assert not np.array_equal(run[kernel], start[kernel])  # step 3 trains the generator
    model = build_model("infogan", info.config)
    RunDir(out).load_checkpoint(model)
    rate = float(np.asarray(model.optimizers["generator"].learning_rate))
    assert rate == pytest.approx(info.config["g_lr"])  # the warm-up's 0 is not kept in the checkpoint


def test_generator_warmup_without_init_from_or_with_resume_exits_2(tmp_path, capsys):
    assert_one_line_error(
        run_main(capsys, "train", "infogan", "--out", str(tmp_path / "r"), "--generator-warmup", "5"), "--init-from"
    )
    assert not (tmp_path / "r").exists()
    assert_one_line_error(
        run_main(capsys, "train", "infogan", "--out", str(tmp_path / "r"), "--resume", "--generator-warmup", "5"),
        "keeps the warm-up in its run.json",
    )


def test_init_from_another_family_exits_2(tmp_path, capsys):
    from trainers.paths import RESOURCES

    assert_one_line_error(
        run_main(
            capsys,
            "train",
            "stackedgan",
            "--out",
            str(tmp_path / "r"),
            "--data",
            "bundled",
            "--init-from",
            str(RESOURCES / "models" / "infogan"),
        ),
        "family 'infogan', not 'stackedgan'",
    )
    assert not (tmp_path / "r").exists()


def test_bool_config_values_are_read_as_words(capsys):
    assert_one_line_error(
        run_main(capsys, "train", "stackedgan", "--out", "x", "--config", "shift_training=maybe"), "true or false"
    )


@pytest.mark.long
def test_the_cli_is_quiet_unless_asked_to_be_verbose(infogan_run, tmp_path):
    quiet = run_cli("generate", str(infogan_run), "--digit", "1", "-o", str(tmp_path / "q.png"))
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr  # no absl / oneDNN / CUDA lines
    helped = run_cli("train", "infogan", "--help")
    assert helped.returncode == 0 and "code_loss=gaussian (gaussian|book)" in helped.stdout and helped.stderr == ""
    loud = subprocess.run(
        [
            sys.executable,
            "-m",
            "explorer",
            "--verbose",
            "generate",
            str(infogan_run),
            "--digit",
            "1",
            "-o",
            str(tmp_path / "v.png"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loud.returncode == 0 and loud.stderr != ""


def test_contradicting_flags_are_refused_before_the_family_or_tensorflow_loads(tmp_path):
    from trainers.paths import RESOURCES

    out, infogan = str(tmp_path / "r"), str(RESOURCES / "models" / "infogan")
    commands = [
        ["train", "infogan", "--out", out, "--generator-warmup", "5"],
        ["train", "infogan", "--out", out, "--resume", "--preset", "x"],
        ["train", "stackedgan", "--out", out, "--init-from", infogan],
    ]
    script = "import sys; from trainers.cli import main; "
    script += f"print([main(c) for c in {commands!r}], 'tensorflow' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[2, 2, 2] False", done.stderr
    assert done.stderr.count("gan-explorer:") == 3 and "family 'infogan', not 'stackedgan'" in done.stderr
