"""`make run` starts detector-logo's proposal trainer, as its own workload, unless a stack that
must not spend minutes of CPU on training (the Playwright stack, the chaos rig) turns it off."""

from __future__ import annotations

from sightline_devstack.stack import SERVICES, TRAINER, services_to_run


def test_the_trainer_runs_in_train_proposals_mode_unless_training_is_off() -> None:
    (trainer,) = (entry for entry in SERVICES if entry.name == TRAINER)
    assert trainer.argv()[-3:] == ["-m", "sightline_detector_logo", "train-proposals"]
    assert services_to_run(training=True) == SERVICES
    assert [entry.name for entry in services_to_run(training=False)] == [
        entry.name for entry in SERVICES if entry.name != TRAINER
    ]
