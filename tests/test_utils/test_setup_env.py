"""``import mmps`` registers nothing; register_all_modules registers all."""
import subprocess
import sys

from mmdet.registry import (DATASETS, HOOKS, METRICS, MODELS, RUNNERS, TRANSFORMS,
                            VISUALIZERS)

from mmps.utils import register_all_modules

PROBE = '''
import sys
import mmps
from mmdet.registry import MODELS
assert 'PersonSearchTwoStage' not in MODELS.module_dict, 'registered'
heavy = [m for m in ('mmps.models', 'mmps.datasets', 'mmps.evaluation', 'mmps.engine',
                     'mmps.apis', 'mmps.visualization', 'mmcv.ops')
         if m in sys.modules]
assert not heavy, heavy
print(mmps.__version__)
'''


def test_import_mmps_is_cheap_and_registers_nothing():
    result = subprocess.run([sys.executable, '-c', PROBE],
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == __import__('mmps').__version__


def test_register_all_modules_fills_every_registry():
    register_all_modules(init_default_scope=False)
    for registry, name in [(MODELS, 'PersonSearchTwoStage'), (MODELS, 'OIMLoss'),
                           (DATASETS, 'PersonSearchDataset'),
                           (TRANSFORMS, 'PackPersonSearchInputs'),
                           (METRICS, 'PersonSearchMetric'),
                           (HOOKS, 'AtomicCheckpointHook'),
                           (HOOKS, 'NonFiniteGuardHook'),
                           (RUNNERS, 'StrictCheckpointRunner'), (MODELS, 'RetinaNet')]:
        assert name in registry.module_dict, name
    assert len(VISUALIZERS.module_dict) > 0
