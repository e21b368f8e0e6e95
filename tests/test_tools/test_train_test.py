"""tools/train.py and tools/test.py train for real and evaluate checkpoints."""
import os.path as osp
import pickle

import numpy as np

from mmps.testing import run_tool
from .conftest import SMOKE_CONFIG, read_scalars


def test_train_lowers_loss_and_saves_checkpoints(reference_run):
    records = read_scalars(reference_run)
    assert len(records) == 48  # 12 epochs x 4 iterations
    losses = np.array([record['loss'] for record in records])
    assert np.all(np.isfinite(losses))
    assert losses[-4:].mean() < 0.5 * losses[:4].mean(), losses
    for epoch in range(1, 13):
        assert osp.isfile(osp.join(reference_run, f'epoch_{epoch}.pth'))


def test_test_tool_evaluates_checkpoint_and_dumps(reference_run, toy_root, tmp_path):
    out = str(tmp_path / 'results.pkl')
    result = run_tool(
        'test.py',
        SMOKE_CONFIG,
        osp.join(reference_run, 'epoch_12.pth'),
        '--work-dir',
        str(tmp_path / 'test'),
        '--out',
        out,
        cwd=toy_root)
    output = result.stdout + result.stderr
    assert 'coco/bbox_mAP' in output
    bbox_map = float(output.split('coco/bbox_mAP: ')[1].split()[0])
    assert bbox_map > 0.1, output[-2000:]
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 16
    assert all('pred_instances' in sample for sample in predictions)
