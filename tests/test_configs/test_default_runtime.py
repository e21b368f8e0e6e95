"""The shared runtime base: two runs in one process log into their own work
dirs (mmengine returns an existing visualizer of the same name, whatever its
save dir)."""
import copy
import os.path as osp
import uuid
from glob import glob

from mmengine.config import Config
from mmengine.runner import Runner
from mmengine.testing.runner_test_case import ToyDataset, ToyModel

from mmps.testing import get_config_file


def _train_one_epoch(work_dir: str, runtime: Config) -> None:
    runner = Runner(
        model=ToyModel(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=ToyDataset(),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=3,
            num_workers=0),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1)),
        visualizer=copy.deepcopy(runtime.visualizer),
        log_processor=copy.deepcopy(runtime.log_processor),
        default_scope='mmdet',
        experiment_name=f'runtime_{uuid.uuid4().hex}')
    runner.train()


def test_two_runs_in_one_process_log_into_their_own_work_dirs(tmp_path):
    runtime = Config.fromfile(get_config_file('_base_/default_runtime.py'))
    for run in ('first', 'second'):
        work_dir = str(tmp_path / run)
        _train_one_epoch(work_dir, runtime)
        logs = glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
        assert len(logs) == 1, f'{run} run: no training log in its work dir'
        with open(logs[0]) as f:
            assert sum(1 for line in f if '"loss"' in line) == 4
