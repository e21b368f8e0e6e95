"""The offline mask tool's library: a segmentor's person masks written per
image, read back by LoadInstanceMap as the map the online segmentor of
TwoStepSearcher paints at the same scale."""
import json
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmdet.evaluation import get_classes
from mmdet.registry import MODELS
from mmengine.hub import get_config

from mmps.apis.instance_masks import make_instance_masks
from mmps.datasets.instance_mask_file import load_instance_mask_file, sha256_of
from mmps.datasets.transforms import LoadInstanceMap
from mmps.testing import last_line, run_tool

COCO = tuple(get_classes('coco'))


def _segmentor_cfg():
    cfg = get_config('mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py')
    cfg.model.backbone.update(depth=18, init_cfg=None)
    cfg.model.neck.in_channels = [64, 128, 256, 512]
    cfg.model.test_cfg.rpn.update(nms_pre=200, max_per_img=50)
    cfg.model.test_cfg.rcnn.max_per_img = 10
    return cfg


@pytest.fixture(scope='module')
def segmentor(tmp_path_factory):
    """A small random Mask R-CNN whose detections are all persons."""
    cfg = _segmentor_cfg()
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    with torch.no_grad():
        model.roi_head.bbox_head.fc_cls.bias[0] = 8.0  # 'person' wins
    path = str(tmp_path_factory.mktemp('seg') / 'seg.pth')
    torch.save(
        dict(state_dict=model.state_dict(), meta=dict(dataset_meta=dict(classes=COCO))),
        path)
    return cfg, path, model.eval()


@pytest.fixture(scope='module')
def two_images(tiny_root, tmp_path_factory):
    with open(osp.join(tiny_root, 'annotations', 'test.json')) as f:
        content = json.load(f)
    content['images'] = content['images'][:2]
    path = str(tmp_path_factory.mktemp('ann') / 'two.json')
    with open(path, 'w') as f:
        json.dump(content, f)
    return path, osp.join(tiny_root, 'images'), content['images']


def test_round_trip_and_online_maps(segmentor, two_images, tmp_path):
    cfg, checkpoint, model = segmentor
    ann_file, img_dir, images = two_images
    out = str(tmp_path / 'masks.json')
    make_instance_masks(cfg, checkpoint, ann_file, img_dir, out, score_thr=0.5)
    info, entries = load_instance_mask_file(out)
    assert info['ann_file'] == osp.abspath(ann_file)
    assert info['checkpoint_sha256'] == sha256_of(checkpoint)
    assert sorted(entries) == sorted(image['id'] for image in images)

    searcher = MODELS.build(
        dict(
            type='TwoStepSearcher',
            reid=dict(
                type='MaskGuidedReID',
                streams=('O', ),
                backbone=dict(type='ResNet', depth=18, out_indices=(3, )),
                reid_head=dict(
                    type='ReIDEmbeddingHead',
                    in_channels=512,
                    embed_dim=8,
                    loss_reid=None)),
            segmentor=dict(model=cfg.model, classes=COCO, score_thr=0.5)))
    searcher.segmentor.load_state_dict(model.state_dict())
    searcher.eval()
    loader = LoadInstanceMap(mask_file=out)
    painted = 0
    for image in images:
        img_path = osp.join(img_dir, image['file_name'])
        img = mmcv.imread(img_path)
        offline = loader(
            dict(img_id=image['id'], img_path=img_path,
                 ori_shape=img.shape[:2]))['instance_map']
        with torch.no_grad():
            online = searcher.segment(torch.from_numpy(img).permute(2, 0, 1).float())
        assert np.array_equal(offline, online.numpy())
        painted += int(offline.max())
    assert painted > 0  # the maps hold persons


def test_segmentor_checks(two_images, tmp_path):
    ann_file, img_dir, _ = two_images
    faster = get_config('mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py')
    faster.model.backbone.init_cfg = None
    with pytest.raises(
            ValueError,
            match='the segmentor FasterRCNN predicts no masks: use an '
            'instance-segmentation config'):
        make_instance_masks(faster, None, ann_file, img_dir, str(tmp_path / 'm.json'))
    with pytest.raises(
            ValueError,
            match="segmentor --person-class=1 is 'bicycle', not 'person': set "
            r"--person-class to the index of 'person' \(0\)"):
        make_instance_masks(
            _segmentor_cfg(),
            None,
            ann_file,
            img_dir,
            str(tmp_path / 'm.json'),
            person_class=1)


def test_tool_reports_a_missing_checkpoint_in_one_line(two_images, tmp_path):
    ann_file, img_dir, _ = two_images
    failed = run_tool(
        'misc/make_instance_masks.py',
        'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
        'none.pth',
        ann_file,
        '--img-prefix',
        img_dir,
        '--out',
        str(tmp_path / 'm.json'),
        check=False)
    assert failed.returncode == 1
    assert 'Traceback' not in failed.stderr
    assert last_line(failed) == 'error: segmentor checkpoint none.pth not found'
