"""The mode-collapse alarm: when it sounds, that it sounds once per episode, and that the loop, the CLI and
the training view all show it."""

import io

import pytest
from tqdm import tqdm

from trainers.alarms import AlarmSettings, CollapseWatch
from trainers.cli import _show
from trainers.families.cgan import Cgan, CganConfig
from trainers.loop import LoopSettings, Trainer
from trainers.run import RunDir, RunInfo
from trainers.updates import Alarm, StepFigures, is_plain

PERFECT = {"d_real_acc": 1.0, "d_fake_acc": 0.99, "d_loss": 0.01}
FAIR = {"d_real_acc": 0.7, "d_fake_acc": 0.8, "d_loss": 1.1}


def feed(watch, rows, start=1):
    return [line for step, row in enumerate(rows, start) if (line := watch.on_losses(step, row))]


def test_a_discriminator_near_perfect_for_the_whole_window_sounds_once():
    watch = CollapseWatch(AlarmSettings(window_steps=50))
    assert feed(watch, [FAIR] * 100) == []
    assert feed(watch, [PERFECT] * 40, start=101) == []  # a fifth of the window still holds fair steps
    lines = feed(watch, [PERFECT] * 200, start=141)
    assert (
        len(lines) == 1
        and "for 50 steps (real 99%, fake 98%)" in lines[0]
        and "lower discriminator learning rate" in lines[0]
    )
    assert feed(watch, [FAIR] * 50, start=350) == []  # cleared ...
    assert len(feed(watch, [PERFECT] * 50, start=400)) == 1  # ... so a new episode sounds again


def test_a_short_burst_or_a_family_without_accuracies_does_not_sound():
    watch = CollapseWatch(AlarmSettings(window_steps=50))
    assert feed(watch, ([PERFECT] * 45 + [FAIR] * 5) * 10) == []  # 90% perfect steps average below 0.98
    assert feed(CollapseWatch(AlarmSettings(window_steps=5)), [{"d_loss": 0.0, "g_loss": 9.0}] * 50) == []


def test_a_frechet_distance_without_a_new_best_for_many_checks_sounds_once():
    watch = CollapseWatch(AlarmSettings(stale_checks=3))
    assert [watch.on_metrics(s, {"frechet_distance": d}) for s, d in ((500, 9.0), (1000, 5.0), (1500, 4.0))] == [
        None
    ] * 3
    lines = [watch.on_metrics(s, {"frechet_distance": 4.5}) for s in (2000, 2500, 3000, 3500)]
    assert lines[:2] == [None, None] and lines[3] is None
    assert "4.5" in lines[2] and "best (4 at step 1,500)" in lines[2] and "3 checks" in lines[2]
    assert watch.on_metrics(4000, {"frechet_distance": 3.0}) is None  # a new best re-arms it
    assert watch.on_metrics(4500, {"label_accuracy": 0.9}) is None


def test_the_loop_sends_alarms_as_plain_messages_and_keeps_them_with_the_run(small_mnist, tmp_path):
    model = Cgan(CganConfig(precision="float32"))
    run = RunDir(tmp_path / "run")
    run.create(RunInfo("cgan", model.config_dict(), batch_size=8))
    trainer = Trainer(model, small_mnist, run, LoopSettings(steps=4, batch_size=8))
    trainer.watch = CollapseWatch(AlarmSettings(window_steps=2, stuck_accuracy=0.0, clear_accuracy=-1.0))
    updates = []
    trainer.run_loop(updates.append)
    alarms = [u for u in updates if isinstance(u, Alarm)]
    assert len(alarms) == 1 and alarms[0].step == 2 and is_plain(alarms[0])
    steps = [u.step for u in updates if isinstance(u, StepFigures)]
    assert updates.index(alarms[0]) > [type(u) for u in updates].index(StepFigures) and steps == [1, 2, 3, 4]
    assert (run.path / "alarms.txt").read_text().startswith("2: Possible mode collapse at step 2")


def test_the_terminal_shows_an_alarm_as_a_warning_line(capsys):
    with tqdm(total=10, file=io.StringIO()) as bar:
        _show(bar, Alarm(7, "Possible mode collapse at step 7: …"))
    assert capsys.readouterr().err.strip() == "warning: Possible mode collapse at step 7: …"


@pytest.mark.timeout(60)
def test_the_training_view_shows_an_alarm_until_the_next_run(qtbot):
    from explorer.training_view import TrainingView

    view = TrainingView()
    qtbot.addWidget(view)
    view.show()
    assert not view.alarm.isVisible()
    view.on_update([StepFigures(7, 10, dict(PERFECT)), Alarm(7, "Possible mode collapse at step 7: …")])
    view.flush()
    assert view.alarm.isVisible() and "mode collapse at step 7" in view.alarm.text()
    view.reset()
    assert not view.alarm.isVisible()
