"""LossDivergenceHook warns, once per run-away, when a loss term stays far
above its running median, naming the iteration, term, value and median."""
import math
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
import torch
from mmdet.registry import HOOKS
from mmengine.hooks import CheckpointHook
from mmengine.runner import EpochBasedTrainLoop
from mmengine.runner.priority import get_priority

from mmps.engine.hooks.loss_divergence_hook import LossDivergenceHook


def feed(hook, values, key='loss_cls', batches_per_epoch=100):
    """Run the hook over iterations with ``key`` taking ``values`` (and a
    constant ``loss_bbox``); return the warnings it logged."""
    logger = MagicMock()
    for index, value in enumerate(values):
        runner = SimpleNamespace(
            iter=index,
            epoch=index // batches_per_epoch,
            train_loop=MagicMock(spec=EpochBasedTrainLoop),
            train_dataloader=[None] * batches_per_epoch,
            logger=logger)
        outputs = {key: torch.tensor(float(value)), 'loss_bbox': torch.tensor(1.)}
        hook.after_train_iter(
            runner, batch_idx=index % batches_per_epoch, outputs=outputs)
    return [call.args[0] for call in logger.warning.call_args_list]


def test_defaults():
    hook = HOOKS.build(dict(type='LossDivergenceHook'))
    assert (hook.factor, hook.window, hook.patience) == (10., 50, 3)
    # warnings only: its place among the hooks does not matter, but it is
    # done before the iteration can be saved
    assert get_priority(hook.priority) < get_priority(CheckpointHook.priority)


def test_noisy_healthy_training_does_not_warn():
    values = [8.5 * 0.99**step * (1 + 0.5 * math.sin(step)) for step in range(200)]
    assert feed(LossDivergenceHook(), values) == []


def test_run_away_warns_once_with_the_facts():
    hook = LossDivergenceHook(factor=10, window=10, patience=3)
    warnings = feed(hook, [2.] * 10 + [30., 300., 3000., 8657.], batches_per_epoch=4)
    assert warnings == [
        'loss loss_cls diverging at iteration 13 (epoch 4, batch 1 of 4): 3000 '
        'is above 10 times its median 2 over the previous 10 iterations, for 3 '
        'iterations in a row'
    ]


def test_short_spike_does_not_warn():
    hook = LossDivergenceHook(factor=10, window=10, patience=3)
    assert feed(hook, [2.] * 10 + [30., 300., 2., 30., 300., 2.]) == []


def test_warns_again_after_coming_back_under_the_bound():
    hook = LossDivergenceHook(factor=10, window=10, patience=2)
    warnings = feed(hook, [2.] * 10 + [30.] * 4 + [2.] * 2 + [400.] * 2)
    assert len(warnings) == 2
    assert warnings[0].startswith('loss loss_cls diverging at iteration 12 ')
    assert warnings[1].startswith('loss loss_cls diverging at iteration 18 ')


def test_the_sum_is_a_term_too():
    hook = LossDivergenceHook(factor=10, window=10, patience=2)
    warnings = feed(hook, [2.] * 10 + [300.] * 2, key='loss')
    assert len(warnings) == 1 and warnings[0].startswith('loss loss diverging at')


def test_zero_median_bounds_nothing():
    hook = LossDivergenceHook(factor=10, window=10, patience=2)
    assert feed(hook, [0.] * 10 + [1.] * 5) == []


def test_nonfinite_values_are_skipped():
    hook = LossDivergenceHook(factor=10, window=10, patience=2)
    assert feed(hook, [2.] * 10 + [math.nan, math.inf, 2.]) == []
    assert len(hook._history['loss_cls']) == 10


@pytest.mark.parametrize('kwargs, message', [
    (dict(factor=1.), 'factor must be above 1, got 1.0'),
    (dict(window=0), 'window and patience must be at least 1, got 0 and 3'),
    (dict(patience=0), 'window and patience must be at least 1, got 50 and 0'),
])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=f'^LossDivergenceHook: {message}$'):
        LossDivergenceHook(**kwargs)
