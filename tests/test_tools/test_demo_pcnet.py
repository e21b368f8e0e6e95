"""The tiny PCNet on the main job (:func:`mmps.apis.demo.run_demo` with
``configs/pcnet/pcnet_tiny_synthetic.py``): a short training lowers its
losses, detects persons and searches them well above chance; tools/test.py,
:func:`mmps.apis.search` and tools/search_demo.py run on its checkpoint.
The training runs once, in a module fixture."""
import json
import os
import os.path as osp
import shutil
from glob import glob

import cv2
import numpy as np
import pytest

from mmps.apis import embed_query, index_gallery, init_searcher, search
from mmps.apis.demo import run_demo
from mmps.testing import get_config_file, run_tool
from .conftest import read_scalars

CONFIG = get_config_file('pcnet/pcnet_tiny_synthetic.py')
TRAIN_EPOCHS = 3
# every detection kept in the search checks (the short training scores low)
ALL_DETECTIONS = {'model.test_cfg.score_thr': 0.0}

pytestmark = pytest.mark.usefixtures('one_torch_thread')


@pytest.fixture(scope='module')
def demo(one_torch_thread, tmp_path_factory) -> dict:
    """One short training of the tiny PCNet, with the data where the
    config expects it (``data/synthetic`` under ``root``)."""
    root = str(tmp_path_factory.mktemp('pcnet_demo'))
    work_dir = osp.join(root, 'work')
    outcome = run_demo(
        config=CONFIG,
        work_dir=work_dir,
        data_root=osp.join(root, 'data', 'synthetic'),
        epochs=TRAIN_EPOCHS,
        queries=[0, 1])
    checkpoint = sorted(glob(osp.join(work_dir, 'epoch_*.pth')))[-1]
    return dict(outcome=outcome, root=root, work_dir=work_dir, checkpoint=checkpoint)


def query_and_gallery(root: str, num_images: int = 5):
    """Protocol query 0 (image path, box x1y1x2y2) and a gallery folder of
    its image and the next test images."""
    data_root = osp.join(root, 'data', 'synthetic')
    with open(osp.join(data_root, 'annotations', 'test.json')) as f:
        ann = json.load(f)
    files = {image['id']: image['file_name'] for image in ann['images']}
    query = ann['protocol']['queries'][0]
    x, y, w, h = query['bbox']
    gallery = osp.join(root, 'gallery')
    os.makedirs(gallery, exist_ok=True)
    ids = [query['image_id']] + [i for i in files if i != query['image_id']
                                 ][:num_images - 1]
    for image_id in ids:
        shutil.copy(osp.join(data_root, 'images', files[image_id]), gallery)
    query_image = osp.join(gallery, osp.basename(files[query['image_id']]))
    return query_image, [x, y, x + w, y + h], gallery


def test_short_training_lowers_losses_and_detects(demo):
    records = read_scalars(demo['work_dir'])
    assert len(records) >= 10, 'the training log is missing'

    def mean(key, rows):
        return sum(r[key] for r in rows) / len(rows)

    # three epochs: the total, the focal and the box regression losses fall
    # (the tiny model once trained with SGD barely moved loss_bbox)
    for key, ratio in (('loss', 0.8), ('loss_cls', 0.5), ('loss_bbox', 0.8)):
        first, last = mean(key, records[:3]), mean(key, records[-3:])
        assert last < ratio * first, f'{key}: {first:.3f} -> {last:.3f}'
    model, chance = demo['outcome']['model'], demo['outcome']['chance']
    # detection counted at score 0.01, the search at 0.5
    assert model['det_recall'] > 0.5, model['det_recall']
    # chance: the same detections with random embeddings
    assert model['mAP'] > chance['mAP'] + 0.05, (model['mAP'], chance['mAP'])
    assert model['mAP'] > 2 * chance['mAP'], (model['mAP'], chance['mAP'])
    assert model['top1'] > chance['top1'], (model['top1'], chance['top1'])
    assert osp.getsize(demo['outcome']['picture']) > 0


def test_test_tool_evaluates_the_checkpoint(demo, tmp_path):
    result = run_tool(
        'test.py',
        CONFIG,
        demo['checkpoint'],
        '--work-dir',
        str(tmp_path),
        cwd=demo['root'])
    output = result.stdout + result.stderr
    assert 'mAP' in output and 'top1' in output, output[-2000:]


def test_search_api_ranks_by_cosine_to_the_query_embedding(demo):
    query_image, box, gallery = query_and_gallery(demo['root'])
    searcher = init_searcher(CONFIG, demo['checkpoint'], cfg_options=ALL_DETECTIONS)
    index = index_gallery(searcher, gallery, progress=False)
    assert all(len(b) > 0 for b in index.bboxes)
    hits = search(searcher, query_image, box, index, topk=3, score_thr=0.0)
    assert len(hits) == 3
    query = embed_query(searcher, cv2.imread(query_image), np.array([box]))[0]
    for hit in hits:
        row = np.flatnonzero((index.bboxes[hit.image_index] == hit.box).all(axis=1))[0]
        embedding = index.embeddings[hit.image_index][row]
        assert hit.similarity == pytest.approx(float(embedding @ query), abs=1e-4)
    sims = [hit.similarity for hit in hits]
    assert sims == sorted(sims, reverse=True)


def test_search_demo_tool_runs_on_the_checkpoint(demo, tmp_path):
    query_image, box, gallery = query_and_gallery(demo['root'])
    out = tmp_path / 'hits.png'
    run_tool('search_demo.py', query_image, '--box', *[str(v)
                                                       for v in box], '--gallery',
             gallery, '--config', CONFIG, '--checkpoint', demo['checkpoint'], '--out',
             str(out), '--topk', '2', '--score-thr', '0', '--cfg-options',
             *[f'{k}={v}' for k, v in ALL_DETECTIONS.items()])
    assert osp.getsize(out) > 0
