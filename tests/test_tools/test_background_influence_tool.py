"""tools/analysis_tools/background_influence.py prints BUFF's Table 3 for
the baseline and BUFF (their tiny configs, random weights) on every
variant of a tiny split, and refuses bad arguments with one line."""
import json
import os.path as osp
import re

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmps.datasets import make_synthetic_dataset
from mmps.testing import TINY_SYNTHETIC_CFG, get_config_file, last_line, run_tool
from mmps.utils import build_person_search_model, fill_num_person_ids

TOOL = 'analysis_tools/background_influence.py'
MODELS = ('buff_baseline_tiny_synthetic', 'buff_tiny_synthetic')
VARIANTS = ('orig', 'mb', 'mf', 'rf', 'rb')


@pytest.fixture(scope='module')
def split(tmp_path_factory) -> dict:
    """A tiny split, its CUHK-style RB variant and a random-weight
    checkpoint of each tiny model."""
    root = tmp_path_factory.mktemp('bi_tool')
    make_synthetic_dataset(str(root), **TINY_SYNTHETIC_CFG)
    ann_file = str(root / 'annotations' / 'test.json')
    rb_root = str(root / 'rb')
    run_tool('misc/make_background_variant.py', ann_file, str(root / 'images'), rb_root,
             '--variant', 'rb', '--no-progress')
    checkpoints = {}
    for name in MODELS:
        cfg = Config.fromfile(get_config_file(f'buff/{name}.py'))
        fill_num_person_ids(cfg, TINY_SYNTHETIC_CFG['num_train_ids'])
        torch.manual_seed(0)
        model = build_person_search_model(cfg)
        checkpoints[name] = str(root / f'{name}.pth')
        torch.save(dict(state_dict=model.state_dict()), checkpoints[name])
    return dict(
        root=str(root), ann_file=ann_file, rb_root=rb_root, checkpoints=checkpoints)


def pairs(split: dict) -> list:
    """CONFIG CHECKPOINT arguments of the two tiny models."""
    return [
        arg for name in MODELS
        for arg in (get_config_file(f'buff/{name}.py'), split['checkpoints'][name])
    ]


def tiny_split_options(split: dict) -> list:
    """--cfg-options pointing the test split at the tiny one, at the
    images' own size, with 2 proposals per image (the ground-truth boxes
    are what is searched)."""
    return [
        '--cfg-options', f'test_dataloader.dataset.data_root={split["root"]}/',
        f'test_evaluator.ann_file={split["ann_file"]}',
        'test_dataloader.dataset.pipeline.1.scale=(128,96)',
        'model.test_cfg.rpn.max_per_img=2'
    ]


def test_prints_table_3_for_both_models(split, tmp_path):
    out = str(tmp_path / 'table.json')
    work_dir = tmp_path / 'work'
    result = run_tool(
        TOOL,
        *pairs(split),
        '--variants',
        *VARIANTS,
        '--rb-root',
        split['rb_root'],
        '--seed',
        '2',
        '--work-dir',
        str(work_dir),
        '--out',
        out,
        *tiny_split_options(split),
        timeout=600)

    lines = result.stdout[result.stdout.index('background influence ('):]
    lines = lines.splitlines()
    assert lines[0] == ('background influence (ground-truth boxes): '
                        'mAP / top-1 (%)')
    assert lines[1].split() == ['model', 'gallery', *VARIANTS]
    for line, name in zip(lines[2:4], MODELS):
        cells = line.split()
        assert cells[:2] == [name, '8']
        assert cells[3::3] == ['/'] * len(VARIANTS)
    with open(out) as f:
        saved = json.load(f)
    assert saved['variants'] == list(VARIANTS)
    assert list(saved['rows']) == list(MODELS)
    for row in saved['rows'].values():
        assert row.pop('gallery_size') == '8'
        assert list(row) == list(VARIANTS)
        assert all(0 <= v['mAP'] <= 1 and 0 <= v['top1'] <= 1 for v in row.values())

    # what each variant's test loop ran, as the runner saved it
    for name in MODELS:
        runs = {
            v: Config.fromfile(work_dir / name / v / f'{name}.py')
            for v in VARIANTS
        }
        for cfg in runs.values():
            assert cfg.test_evaluator.labeled
            assert cfg.test_evaluator.gallery_sizes == ['8']
        steps = {
            v: [t['type'] for t in cfg.test_dataloader.dataset.pipeline]
            for v, cfg in runs.items()
        }
        assert steps['orig'][:2] == ['LoadImageFromFile', 'Resize']
        for variant, transform in (('mb', 'MeanBackground'), ('mf', 'MeanForeground'),
                                   ('rf', 'RandomForeground')):
            assert steps[variant] == [
                'LoadImageFromFile', transform, *steps['orig'][1:]
            ]
        rf = runs['rf'].test_dataloader.dataset.pipeline[1]
        assert rf['source'] == 'image' and rf['seed'] == 2
        rb = runs['rb']
        assert steps['rb'] == steps['orig']
        assert rb.test_dataloader.dataset.data_root == split['rb_root']
        assert rb.test_evaluator.ann_file == osp.join(split['rb_root'], 'test.json')


def test_detected_boxes_and_backgrounds_on_the_fly(split, tmp_path):
    """--detected searches the detections; --backgrounds pastes PRW-style
    random backgrounds in the test pipeline."""
    backgrounds = tmp_path / 'backgrounds'
    backgrounds.mkdir()
    for cam in range(TINY_SYNTHETIC_CFG['num_cameras']):
        cv2.imwrite(
            str(backgrounds / f'c{cam}.png'), np.full((96, 128, 3), 40 * cam, np.uint8))
    work_dir = tmp_path / 'work'
    name = MODELS[0]
    result = run_tool(TOOL,
                      *pairs(split)[:2], '--variants', 'rb', '--backgrounds',
                      str(backgrounds), '--detected', '--gallery-size', '4',
                      '--work-dir', str(work_dir), *tiny_split_options(split))
    assert 'background influence (detected boxes)' in result.stdout
    assert re.search(rf'^{name} +4 +[\d.]+ / +[\d.]+$', result.stdout, re.M)
    cfg = Config.fromfile(work_dir / name / 'rb' / f'{name}.py')
    steps = cfg.test_dataloader.dataset.pipeline
    assert steps[1] == dict(
        type='RandomBackground', backgrounds=str(backgrounds), seed=0)
    assert not cfg.test_evaluator.labeled
    assert cfg.test_evaluator.gallery_sizes == ['4']


@pytest.mark.parametrize(
    'args,message', [
        (['{config}', '{checkpoint}', '{config}'
          ], 'expected CONFIG CHECKPOINT pairs, got an odd number of paths'),
        (['{config}', '{missing}'], 'checkpoint .*none.pth does not exist'),
        (['{config}', '{checkpoint}', '{config}', '{checkpoint}'
          ], 'each model needs a config of its own name'),
        (['{config}', '{checkpoint}', '--variants', 'rb'], 'rb needs --rb-root'),
        ([
            '{config}', '{checkpoint}', '--rb-root', '{rb_root}', '--backgrounds',
            '{rb_root}'
        ], 'argument --backgrounds: not allowed with argument'),
        ([
            '{config}', '{checkpoint}', '--variants', 'orig', 'rb', '--rb-root',
            '{rb_root}', '--gallery-size', 'full'
        ], 'a CUHK-style rb variant cannot be evaluated on the "full" gallery'),
        ([
            '{config}', '{checkpoint}', '--variants', 'orig', 'rb', '--rb-root',
            '{root}/annotations'
        ], 'annotations/test.json is not an rb variant'),
        ([
            '{config}', '{checkpoint}', '--variants', 'orig', 'rb', '--rb-root',
            '{root}'
        ], 'test.json not found: write the rb variant with'),
        (['{smoke}', '{checkpoint}', '--variants', 'orig'
          ], 'has no PersonSearchMetric in test_evaluator'),
    ],
    ids=[
        'odd', 'no checkpoint', 'same config', 'rb without source', 'two rb sources',
        'cuhk rb full gallery', 'not rb', 'rb not written', 'no metric'
    ])
def test_bad_arguments_stop_with_one_line(split, args, message):
    """Exit status 2 and one line naming the problem, before any test loop
    runs."""
    values = dict(
        config=pairs(split)[0],
        checkpoint=pairs(split)[1],
        missing=osp.join(split['root'], 'none.pth'),
        smoke=get_config_file('smoke/smoke_retinanet_tiny.py'),
        **split)
    result = run_tool(
        TOOL,
        *[arg.format(**values) for arg in args],
        *tiny_split_options(split),
        check=False)
    assert result.returncode == 2, result.stderr[-2000:]
    assert last_line(result).startswith('background_influence.py: error: ')
    assert re.search(message, last_line(result)), last_line(result)
