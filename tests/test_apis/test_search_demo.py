"""Tests of tools/search_demo.py: the picture, the list, clean errors."""
import os.path as osp
import re
import runpy
import subprocess
import sys

import cv2
import pytest
import torch

from .conftest import (BUFF_CONFIG, FAST_TEST_CFG, IMG_H, IMG_W, REPO_ROOT,
                       SMOKE_CONFIG)

SCRIPT = osp.join(REPO_ROOT, 'tools', 'search_demo.py')
demo = runpy.run_path(SCRIPT)  # the module's functions, without running main
HIT_LINE = re.compile(r'^\s*\d+\s+-?\d+\.\d{4}\s')  # rank, similarity, ...


def demo_args(checkpoint, gallery_dir, out, *extra):
    return [
        osp.join(gallery_dir, 'a.png'), '--box', '10', '8', '40', '72',
        '--config', osp.join(REPO_ROOT, 'configs/oim/oim_tiny_synthetic.py'),
        '--checkpoint', checkpoint, '--out', str(out), '--cfg-options',
        *[f'{k}={v}' for k, v in FAST_TEST_CFG.items()], *extra
    ]


def test_demo_draws_query_and_topk(checkpoint, gallery_dir, tmp_path,
                                   capsys):
    out = tmp_path / 'result.png'
    index = tmp_path / 'gallery.npz'
    args = demo_args(checkpoint, gallery_dir, out, '--gallery', gallery_dir,
                     '--topk', '3', '--score-thr', '0', '--panel-height',
                     '100', '--save-index', str(index))
    assert demo['main'](args) == 0
    picture = cv2.imread(str(out))
    panel_w = round(IMG_W * 100 / IMG_H)
    assert picture.shape == (demo['CAPTION_HEIGHT'] + 100,
                             4 * panel_w + 3 * demo['GAP'], 3)
    lines = capsys.readouterr().out.splitlines()
    hit_lines = [line for line in lines if HIT_LINE.match(line)]
    assert [line.split()[0] for line in hit_lines] == ['1', '2', '3']

    # searching the saved index gives the same ranked list
    out2 = tmp_path / 'again.png'
    args = demo_args(checkpoint, gallery_dir, out2, '--index', str(index),
                     '--topk', '3', '--score-thr', '0', '--panel-height',
                     '100')
    assert demo['main'](args) == 0
    again = capsys.readouterr().out.splitlines()
    assert [line for line in again if HIT_LINE.match(line)] == hit_lines
    assert (cv2.imread(str(out2)) == picture).all()


@pytest.mark.parametrize('extra, message', [
    (['--gallery', 'EMPTY'], 'holds no image file'),
    (['--gallery', 'GALLERY', '--out', 'r.xyz'], 'use an image extension'),
    (['--index', 'absent.npz'], 'gallery index absent.npz not found'),
])
def test_user_errors_give_one_line_and_status_1(checkpoint, gallery_dir,
                                                tmp_path, capsys, monkeypatch,
                                                extra, message):
    (tmp_path / 'EMPTY').mkdir()
    extra = [gallery_dir if arg == 'GALLERY' else arg for arg in extra]
    args = demo_args(checkpoint, gallery_dir, 'r.png', *extra)
    monkeypatch.chdir(tmp_path)
    assert demo['main'](args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('search_demo: error: ')
    assert message in err[0]
    assert not (tmp_path / 'r.png').exists()


@pytest.mark.parametrize('model, source, message', [
    # a detector without embeddings, in gallery and in query mode
    ('retinanet', '--gallery',
     'the RetinaNet model of this config gives no pred_instances.embeddings: '
     'it is not a person-search model'),
    ('retinanet', '--index',
     'gives no pred_query_instances.embeddings: it is not a person-search '
     'model'),
    # OIM weights through a BUFF config
    ('buff', '--gallery', 'does not match the config'),
    ('cuda', '--gallery', "device 'cuda' needs CUDA"),
])
def test_model_errors_give_one_line_and_status_1(checkpoint, smoke_checkpoint,
                                                 gallery_dir, gallery_index,
                                                 tmp_path, capsys, model,
                                                 source, message):
    if model == 'cuda' and torch.cuda.is_available():
        pytest.skip('a GPU is present')
    index = str(tmp_path / 'gallery.npz')
    gallery_index.save(index)
    out = tmp_path / 'r.png'
    args = demo_args(checkpoint, gallery_dir, out, source,
                     gallery_dir if source == '--gallery' else index)
    if model == 'retinanet':
        args = args[:args.index('--cfg-options')] + [source, args[-1]]
        args[args.index('--config') + 1] = SMOKE_CONFIG
        args[args.index('--checkpoint') + 1] = smoke_checkpoint
    elif model == 'buff':
        args[args.index('--config') + 1] = BUFF_CONFIG
    else:
        args += ['--device', 'cuda']
    assert demo['main'](args) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith('search_demo: error: ')
    assert message in err[0]
    assert not out.exists()


@pytest.mark.parametrize('extra, message', [
    (['--gallery', 'G', '--topk', '0'], '--topk: must be >= 1, got 0'),
    (['--index', 'g.npz', '--save-index', 'h.npz'],
     '--save-index needs --gallery'),
])
def test_bad_arguments_are_parser_errors(capsys, extra, message):
    with pytest.raises(SystemExit) as exit_info:
        demo['parse_args'](['q.png', '--box', '1', '2', '3', '4', '--config',
                            'c.py', '--checkpoint', 'c.pth', *extra])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_cli_bad_box_exits_nonzero_without_traceback(checkpoint, gallery_dir,
                                                     tmp_path):
    args = demo_args(checkpoint, gallery_dir, tmp_path / 'r.png', '--gallery',
                     gallery_dir)
    args[2:6] = ['50', '8', '40', '72']  # x2 <= x1
    result = subprocess.run([sys.executable, SCRIPT, *args], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        'search_demo: error: query box [50.0, 8.0, 40.0, 72.0] is empty: '
        'it needs x2 > x1 and y2 > y1'
    ]
