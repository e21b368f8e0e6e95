"""StrictCheckpointRunner: checkpoints load completely and exactly or not at
all, and auto-resume falls back to the newest loadable checkpoint."""
import os.path as osp
import re
import shutil
from typing import List, Optional

import pytest
import torch
from mmengine.runner import Runner

from mmps.engine import StrictCheckpointRunner
from mmps.utils.strict_checkpoint import CheckpointError
from ..conftest import toy_runner_args


def build(work_dir,
          max_epochs: int = 1,
          load_from: Optional[str] = None,
          resume: bool = False,
          **cfg) -> StrictCheckpointRunner:
    """A runner of mmengine's toy model (4 iterations an epoch), saving
    every epoch; ``cfg`` holds extra config keys."""
    return StrictCheckpointRunner(
        **toy_runner_args(work_dir, max_epochs, 'strict'),
        load_from=load_from,
        resume=resume,
        cfg=cfg)


def warnings_of(runner: Runner) -> List[str]:
    """Collect what the runner logs as warnings from now on."""
    found = []
    warning = runner.logger.warning
    runner.logger.warning = lambda message, *args, **kwargs: (found.append(
        message), warning(message, *args, **kwargs))
    return found


@pytest.fixture(scope='module')
def trained(tmp_path_factory) -> str:
    """A work dir with epoch_1.pth, epoch_2.pth and last_checkpoint."""
    work_dir = tmp_path_factory.mktemp('trained')
    build(work_dir, max_epochs=2).train()
    return str(work_dir)


@pytest.fixture
def work_dir(trained, tmp_path) -> str:
    """A copy of ``trained`` to break (its last_checkpoint names its own
    epoch_2.pth)."""
    copy = shutil.copytree(trained, str(tmp_path / 'work'))
    with open(osp.join(copy, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(copy, 'epoch_2.pth'))
    return copy


def test_is_registered_and_a_runner():
    from mmdet.registry import RUNNERS
    assert RUNNERS.get('StrictCheckpointRunner') is StrictCheckpointRunner
    assert issubclass(StrictCheckpointRunner, Runner)


def test_load_from_a_matching_checkpoint(trained, tmp_path):
    runner = build(tmp_path, load_from=osp.join(trained, 'epoch_2.pth'))
    runner.load_or_resume()
    expected = torch.load(osp.join(trained, 'epoch_2.pth'))['state_dict']
    for key, value in runner.model.state_dict().items():
        torch.testing.assert_close(value, expected[key])


def edited_checkpoint(trained: str, folder, edit) -> str:
    """epoch_2.pth with ``edit`` applied to its state dict, saved in
    ``folder``."""
    checkpoint = torch.load(osp.join(trained, 'epoch_2.pth'))
    edit(checkpoint['state_dict'])
    path = str(folder / 'edited.pth')
    torch.save(checkpoint, path)
    return path


@pytest.mark.parametrize(
    'edit, difference', [
        (lambda sd: sd.pop('linear2.bias'),
         'model keys missing from it (1): linear2.bias'),
        (lambda sd: sd.update(extra=torch.ones(1)), 'keys not in the model (1): extra'),
        (lambda sd: sd.update({'linear1.weight': torch.ones(3, 2)}),
         'tensors of another shape (1): linear1.weight '
         '(checkpoint (3, 2), model (2, 2))'),
    ],
    ids=['missing', 'unexpected', 'shape'])
def test_load_from_refuses_a_checkpoint_of_another_model(trained, tmp_path, edit,
                                                         difference):
    path = edited_checkpoint(trained, tmp_path, edit)
    runner = build(tmp_path / 'work', max_epochs=1, load_from=path)
    with pytest.raises(CheckpointError) as error:
        runner.train()
    assert str(error.value).startswith(f'checkpoint {path} does not match the '
                                       f'config of {runner.experiment_name}: '
                                       f'{difference}. It holds the weights')
    assert 'allow_partial_checkpoint=True' in str(error.value)
    assert not osp.exists(tmp_path / 'work' / 'epoch_1.pth')  # no training


def test_allow_partial_checkpoint_loads_the_matching_tensors(trained, tmp_path):
    path = edited_checkpoint(trained, tmp_path, lambda sd: sd.pop('linear2.bias'))
    runner = build(tmp_path / 'work', load_from=path, allow_partial_checkpoint=True)
    bias = runner.model.linear2.bias.detach().clone()
    runner.load_or_resume()
    expected = torch.load(path)['state_dict']
    torch.testing.assert_close(runner.model.linear1.weight, expected['linear1.weight'])
    torch.testing.assert_close(runner.model.linear2.bias, bias)  # not in the file
    # strict=True wins over the config
    with pytest.raises(CheckpointError, match='missing from it'):
        runner.load_checkpoint(path, strict=True)


@pytest.mark.parametrize(
    'content', [b'', b'PK\x03\x04 cut', b'not a checkpoint'],
    ids=['empty', 'cut zip', 'text'])
def test_unreadable_files_are_one_sentence(tmp_path, content):
    path = tmp_path / 'bad.pth'
    path.write_bytes(content)
    runner = build(tmp_path / 'work', load_from=str(path))
    with pytest.raises(CheckpointError) as error:
        runner.load_or_resume()
    assert str(error.value) == (f'checkpoint {path} is truncated or not a PyTorch '
                                f'checkpoint ({len(content)} bytes)')


def test_non_finite_values_are_refused_naming_the_tensor(trained, tmp_path):
    path = edited_checkpoint(trained, tmp_path,
                             lambda sd: sd['linear2.weight'].fill_(float('inf')))
    runner = build(tmp_path / 'work', load_from=path)
    with pytest.raises(CheckpointError) as error:
        runner.load_or_resume()
    assert str(error.value).startswith(
        f'checkpoint {path} holds non-finite values (inf) in linear2.weight: ')


def truncate(path: str, size: int = 100) -> None:
    with open(path, 'r+b') as f:
        f.truncate(size)


def resume(work_dir: str, max_epochs: int = 3) -> List[str]:
    """Auto-resume in ``work_dir`` and train to ``max_epochs``; return the
    warnings logged."""
    runner = build(work_dir, max_epochs=max_epochs, resume=True)
    warnings = warnings_of(runner)
    runner.train()
    return warnings


def epoch_of(work_dir: str, name: str) -> int:
    return torch.load(osp.join(work_dir, name))['meta']['epoch']


def test_auto_resume_from_the_recorded_checkpoint(work_dir):
    assert not [w for w in resume(work_dir) if 'newest loadable' in w]
    assert epoch_of(work_dir, 'epoch_3.pth') == 3


@pytest.mark.parametrize(
    'damage, problem, resumed', [
        (lambda d: truncate(osp.join(d, 'epoch_2.pth')),
         r'checkpoint (\S+)/epoch_2.pth is truncated or not a PyTorch checkpoint '
         r'\(100 bytes\)', 'epoch_1.pth'),
        (lambda d: shutil.move(osp.join(d, 'epoch_2.pth'), osp.join(d, 'moved.bin')),
         r'checkpoint (\S+)/epoch_2.pth does not exist', 'epoch_1.pth'),
        (lambda d: open(osp.join(d, 'last_checkpoint'), 'w').close(),
         r'(\S+)/last_checkpoint is empty', 'epoch_2.pth'),
    ],
    ids=['truncated', 'missing', 'empty record'])
def test_auto_resume_skips_to_the_newest_loadable_checkpoint(work_dir, damage, problem,
                                                             resumed):
    damage(work_dir)
    warnings = resume(work_dir)
    resuming = [w for w in warnings if 'newest loadable' in w]
    assert len(resuming) == 1, warnings
    assert re.fullmatch(
        f'{problem}; resuming from \\S+/{resumed}, the newest loadable '
        'checkpoint of \\S+', resuming[0]), resuming[0]
    assert epoch_of(work_dir, 'epoch_3.pth') == 3


def test_auto_resume_finds_the_work_dir_when_the_recorded_folder_is_gone(work_dir):
    """A work dir moved or copied: ``last_checkpoint`` names a folder that
    no longer exists; the work dir's own checkpoints are used."""
    gone = osp.join(osp.dirname(work_dir), 'moved_away', 'epoch_2.pth')
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(gone)
    resuming = [w for w in resume(work_dir) if 'newest loadable' in w]
    assert len(resuming) == 1, resuming
    assert resuming[0].startswith(f'checkpoint {gone} does not exist; resuming '
                                  f'from {osp.abspath(work_dir)}/epoch_2.pth')
    assert epoch_of(work_dir, 'epoch_3.pth') == 3


def test_auto_resume_without_a_loadable_checkpoint_is_refused(work_dir):
    for name in ('epoch_1.pth', 'epoch_2.pth'):
        truncate(osp.join(work_dir, name))
    with pytest.raises(CheckpointError) as error:
        resume(work_dir)
    assert re.fullmatch(
        r'cannot resume: checkpoint \S+/epoch_2.pth is truncated or not a PyTorch '
        r'checkpoint \(100 bytes\), and no other checkpoint in \S+ can be loaded',
        str(error.value)), str(error.value)


def test_auto_resume_without_a_record_starts_from_the_beginning(tmp_path):
    resume(str(tmp_path), max_epochs=1)
    assert epoch_of(str(tmp_path), 'epoch_1.pth') == 1
