"""Tests of tools/search_demo.py as a command line: the picture, the list,
clean errors."""
import re

import cv2
import pytest

from mmps.testing import last_line, run_tool
from mmps.visualization import PersonSearchVisualizer
from .conftest import BUFF_CONFIG, CONFIG, FAST_TEST_CFG, IMG_H, IMG_W, SMOKE_CONFIG

HIT_LINE = re.compile(r'^\s*\d+\s+-?\d+\.\d{4}\s')  # rank, similarity, ...


def demo_args(checkpoint, gallery_dir, out, *extra):
    return [
        f'{gallery_dir}/a.png', '--box', '10', '8', '40', '72', '--config', CONFIG,
        '--checkpoint', checkpoint, '--out',
        str(out), '--cfg-options', *[f'{k}={v}' for k, v in FAST_TEST_CFG.items()],
        *extra
    ]


def run_search_demo(*args, cwd=None):
    return run_tool(
        'search_demo.py',
        *args,
        cwd=cwd,
        check=False,
        env=dict(CUDA_VISIBLE_DEVICES=''))


def assert_one_line_error(result, message):
    """Exit status 1 and one error line, last on stderr (third-party
    warnings may come before it), without a traceback."""
    assert result.returncode == 1, result.stdout
    errors = [
        line for line in result.stderr.splitlines()
        if line.startswith('search_demo: error: ')
    ]
    assert len(errors) == 1 and errors[0] == last_line(result), \
        result.stderr
    assert 'Traceback' not in result.stderr
    assert message in errors[0]


def test_demo_draws_query_and_topk(checkpoint, gallery_dir, tmp_path):
    out = tmp_path / 'result.png'
    index = tmp_path / 'gallery.npz'
    result = run_search_demo(*demo_args(
        checkpoint, gallery_dir, out, '--gallery', gallery_dir, '--topk', '3',
        '--score-thr', '0', '--panel-height', '100', '--save-index', str(index)))
    assert result.returncode == 0, result.stderr[-3000:]
    picture = cv2.imread(str(out))
    visualizer = PersonSearchVisualizer(name='search_demo_test', panel_height=100)
    panel_w = round(IMG_W * 100 / IMG_H)
    assert picture.shape == (visualizer.caption_height + 100,
                             4 * panel_w + 3 * visualizer.gap, 3)
    hit_lines = [line for line in result.stdout.splitlines() if HIT_LINE.match(line)]
    assert [line.split()[0] for line in hit_lines] == ['1', '2', '3']

    # searching the saved index gives the same ranked list and picture
    out2 = tmp_path / 'again.png'
    again = run_search_demo(
        *demo_args(checkpoint, gallery_dir, out2, '--index', str(index), '--topk', '3',
                   '--score-thr', '0', '--panel-height', '100'))
    assert again.returncode == 0, again.stderr[-3000:]
    assert [line for line in again.stdout.splitlines()
            if HIT_LINE.match(line)] == hit_lines
    assert (cv2.imread(str(out2)) == picture).all()


@pytest.mark.parametrize('extra, message', [
    (['--gallery', 'EMPTY'], 'holds no image file'),
    (['--gallery', 'GALLERY', '--out', 'r.xyz'], 'use an image extension'),
    (['--index', 'absent.npz'], 'gallery index absent.npz not found'),
])
def test_user_errors_give_one_line_and_status_1(checkpoint, gallery_dir, tmp_path,
                                                extra, message):
    (tmp_path / 'EMPTY').mkdir()
    extra = [gallery_dir if arg == 'GALLERY' else arg for arg in extra]
    result = run_search_demo(
        *demo_args(checkpoint, gallery_dir, 'r.png', *extra), cwd=str(tmp_path))
    assert_one_line_error(result, message)
    assert not (tmp_path / 'r.png').exists()


@pytest.mark.parametrize(
    'model, source, message',
    [
        # a detector (no BasePersonSearcher), indexing or searching an index
        ('retinanet', '--gallery',
         'the RetinaNet model of this config gives no pred_instances.embeddings: '
         'it is not a person-search model'),
        ('retinanet', '--index',
         'the RetinaNet model of this config gives no pred_instances.embeddings: '
         'it is not a person-search model'),
        # OIM weights through a BUFF config
        ('buff', '--gallery', 'does not match the config'),
        # no GPU visible to the tool, whatever the machine has
        ('cuda', '--gallery', "device 'cuda' needs CUDA"),
    ])
def test_model_errors_give_one_line_and_status_1(checkpoint, smoke_checkpoint,
                                                 gallery_dir, gallery_index, tmp_path,
                                                 model, source, message):
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
    assert_one_line_error(run_search_demo(*args), message)
    assert not out.exists()


@pytest.mark.parametrize('extra, message', [
    (['--gallery', 'G', '--topk', '0'], '--topk: must be >= 1, got 0'),
    (['--index', 'g.npz', '--save-index', 'h.npz'], '--save-index needs --gallery'),
])
def test_bad_arguments_are_parser_errors(extra, message):
    result = run_search_demo('q.png', '--box', '1', '2', '3', '4', '--config', 'c.py',
                             '--checkpoint', 'c.pth', *extra)
    assert result.returncode == 2
    assert message in result.stderr


def test_cli_bad_box_exits_nonzero_without_traceback(checkpoint, gallery_dir, tmp_path):
    args = demo_args(checkpoint, gallery_dir, tmp_path / 'r.png', '--gallery',
                     gallery_dir)
    args[2:6] = ['50', '8', '40', '72']  # x2 <= x1
    result = run_search_demo(*args)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        'search_demo: error: query box [50.0, 8.0, 40.0, 72.0] is empty: '
        'it needs x2 > x1 and y2 > y1'
    ]
