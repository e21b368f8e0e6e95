"""tools/analysis_tools/anchor_scales.py on the synthetic split: its
printed scales are those the training tools fill in."""
import re

from mmengine.config import Config

from mmps.testing import get_config_file, run_tool
from mmps.utils import fill_anchor_scales

CNNV = get_config_file('mgts/mgts_det_vgg16_cuhk_sysu.py')


def test_prints_the_scales_training_fills(tiny_root):
    split = [
        f'train_dataloader.dataset.data_root={tiny_root}/',
        'train_dataloader.dataset.ann_file=annotations/train.json',
        'train_dataloader.dataset.data_prefix.img=images/'
    ]
    out = run_tool('analysis_tools/anchor_scales.py', CNNV, '--cfg-options',
                   *split).stdout
    cfg = Config.fromfile(CNNV)
    cfg.merge_from_dict(dict(arg.split('=') for arg in split))
    scales = fill_anchor_scales(cfg)['model.rpn_head.anchor_generator']
    assert re.search(r'^person heights, .*: \d+ boxes, min ', out, re.M)
    assert re.search(r'heights p1 [\d.]+ px, p99 [\d.]+ px', out)
    assert f'3 scales: {scales}' in out
    # the square anchors span the 1st to 99th percentile heights
    low, high = map(float, re.search(r'p1 ([\d.]+) px, p99 ([\d.]+) px', out).groups())
    square = re.search(r'ratio 1 \(h/w\) anchors, w x h px: (\d+)x(\d+), .*x(\d+)$',
                       out, re.M)
    assert abs(int(square[2]) - low) <= 1 and abs(int(square[3]) - high) <= 1
    line = ('--cfg-options model.rpn_head.anchor_generator.scales='
            f'[{",".join(map(str, scales))}]')
    assert line in out
