"""NonFiniteGuardHook stops at the first non-finite loss term, gradient norm
or weight, naming the iteration and the values."""
import math
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
import torch
import torch.nn as nn
from mmdet.registry import HOOKS
from mmdet.structures import DetDataSample
from mmengine.hooks import CheckpointHook, LoggerHook
from mmengine.logging import MessageHub
from mmengine.optim import AmpOptimWrapper, OptimWrapper, OptimWrapperDict
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import DefaultScope
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from mmengine.runner.priority import get_priority

from mmps.engine.hooks.nonfinite_guard_hook import (NonFiniteGuardHook,
                                                    NonFiniteTrainingError)

WHERE = 'iteration 6 (epoch 2, batch 2 of 4)'
STOPPED = 'training stopped before saving this iteration'
FINITE = {'loss_cls': 0.5, 'loss_bbox': 0.25, 'acc': 90.0}


def make_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))


def make_runner(model=None, loop=EpochBasedTrainLoop, grad_norm=None, amp=False):
    """A stand-in runner at iteration 6 = epoch 2, batch 2 of 4."""
    hub = MessageHub(f'guard_test_{id(object())}')
    if grad_norm is not None:
        hub.update_scalar('train/grad_norm', grad_norm)
    model = model or make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    optim_wrapper = OptimWrapper(optimizer)
    if amp:  # AmpOptimWrapper needs a GPU to be built
        optim_wrapper = OptimWrapperDict(
            plain=optim_wrapper, amp=MagicMock(spec=AmpOptimWrapper))
    return SimpleNamespace(
        iter=5,
        epoch=1,
        train_loop=MagicMock(spec=loop),
        train_dataloader=[None] * 4,
        model=model,
        message_hub=hub,
        optim_wrapper=optim_wrapper)


def with_total(terms: dict) -> dict:
    """Log variables as mmengine's ``parse_losses`` returns them: the sum
    first, then the terms, as 0-d tensors."""
    total = sum(value for key, value in terms.items() if 'loss' in key)
    return {
        key: torch.tensor(value)
        for key, value in dict(loss=total, **terms).items()
    }


def run_hook(runner, outputs, hook=None, data_batch=None):
    (hook or NonFiniteGuardHook()).after_train_iter(
        runner, batch_idx=1, data_batch=data_batch, outputs=outputs)


def test_finite_iteration_passes():
    run_hook(make_runner(grad_norm=3.0), with_total(FINITE))


@pytest.mark.parametrize('term', ['loss_cls', 'loss_bbox'])
@pytest.mark.parametrize('value', [math.nan, math.inf, -math.inf])
def test_nonfinite_loss_term_stops_naming_it(term, value):
    outputs = with_total(dict(FINITE, **{term: value}))
    with pytest.raises(NonFiniteTrainingError) as error:
        run_hook(make_runner(), outputs)
    # the term is named, not the sum it spoils, nor the finite terms
    assert str(error.value) == f'non-finite loss at {WHERE}: {term}={value}; {STOPPED}'


def test_every_nonfinite_term_is_named():
    outputs = with_total(dict(FINITE, loss_cls=math.nan, loss_bbox=math.inf))
    with pytest.raises(NonFiniteTrainingError, match='loss_cls=nan, loss_bbox=inf;'):
        run_hook(make_runner(), outputs)


def test_sum_overflowing_finite_terms_is_named():
    outputs = dict(
        loss=torch.tensor(math.inf),
        loss_cls=torch.tensor(3e38),
        loss_bbox=torch.tensor(3e38))
    with pytest.raises(NonFiniteTrainingError) as error:
        run_hook(make_runner(), outputs)
    assert str(error.value) == f'non-finite loss at {WHERE}: loss=inf; {STOPPED}'


def test_only_loss_terms_are_checked():
    run_hook(make_runner(), with_total(dict(FINITE, acc=math.nan)))


@pytest.mark.parametrize('value', [math.nan, math.inf])
def test_nonfinite_gradient_norm_stops(value):
    with pytest.raises(NonFiniteTrainingError) as error:
        run_hook(make_runner(grad_norm=value), with_total(FINITE))
    assert str(error.value) == (
        f'non-finite gradient norm at {WHERE}: grad_norm={value}; {STOPPED}')


def test_amp_overflow_gradient_norm_passes():
    """The loss scaler skips the update of an overflowing step itself (here
    one of two optimizers is under AMP)."""
    run_hook(make_runner(grad_norm=math.inf, amp=True), with_total(FINITE))


@pytest.mark.parametrize('name', ['0.weight', '0.bias', '1.weight', '1.running_var'])
def test_nonfinite_weight_after_update_stops_naming_it(name):
    """A non-finite gradient leaves a non-finite weight while the loss of
    its iteration is finite."""
    model = make_model()
    model.state_dict()[name][1] = math.inf if name.endswith('var') else math.nan
    with pytest.raises(NonFiniteTrainingError) as error:
        run_hook(make_runner(model), with_total(FINITE))
    assert str(error.value) == (
        f'non-finite weight after the update at {WHERE}: {name} (losses finite); '
        f'{STOPPED}')


def test_huge_finite_weights_pass():
    """Their sum overflows, the values do not."""
    model = make_model()
    with torch.no_grad():
        model[0].weight.fill_(3e38)
    run_hook(make_runner(model), with_total(FINITE))


def test_wrapped_model_names_the_checkpoint_key():
    model = make_model()
    with torch.no_grad():
        model[1].bias[0] = math.nan
    with pytest.raises(NonFiniteTrainingError, match=r': 1\.bias \(losses finite\);'):
        run_hook(make_runner(nn.DataParallel(model)), with_total(FINITE))


def test_weight_check_can_be_turned_off():
    model = make_model()
    with torch.no_grad():
        model[0].weight.fill_(math.nan)
    run_hook(
        make_runner(model), with_total(FINITE), NonFiniteGuardHook(check_weights=False))


def test_loss_is_checked_before_weights():
    model = make_model()
    with torch.no_grad():
        model[0].weight.fill_(math.nan)
    with pytest.raises(NonFiniteTrainingError, match='non-finite loss at'):
        run_hook(make_runner(model), with_total(dict(FINITE, loss_cls=math.nan)))


def test_message_names_the_images_of_the_batch():
    samples = [
        DetDataSample(metainfo=dict(img_path=f'/data/images/s{index}.jpg'))
        for index in (12, 7)
    ]
    with pytest.raises(NonFiniteTrainingError) as error:
        run_hook(
            make_runner(),
            with_total(dict(FINITE, loss_cls=math.nan)),
            data_batch=dict(inputs=[], data_samples=samples))
    assert str(error.value) == (
        'non-finite loss at iteration 6 (epoch 2, batch 2 of 4; images s12.jpg, '
        f's7.jpg): loss_cls=nan; {STOPPED}')


def test_iteration_based_loop_has_no_epoch():
    with pytest.raises(NonFiniteTrainingError) as error:
        run_hook(
            make_runner(loop=IterBasedTrainLoop),
            with_total(dict(FINITE, loss_cls=math.nan)))
    assert str(
        error.value) == f'non-finite loss at iteration 6: loss_cls=nan; {STOPPED}'


def test_runs_after_logging_and_before_checkpointing():
    hook = NonFiniteGuardHook()
    assert hook.check_weights is True
    assert get_priority(LoggerHook.priority) < get_priority(hook.priority) \
        < get_priority(CheckpointHook.priority)


def test_builds_from_config_under_the_mmdet_scope():
    assert HOOKS.get('NonFiniteGuardHook') is NonFiniteGuardHook
    # the runner builds custom_hooks with mmengine's registry, default scope mmdet
    with DefaultScope.overwrite_default_scope('mmdet'):
        hook = MMENGINE_HOOKS.build(
            dict(type='NonFiniteGuardHook', check_weights=False))
    assert isinstance(hook, NonFiniteGuardHook) and hook.check_weights is False
