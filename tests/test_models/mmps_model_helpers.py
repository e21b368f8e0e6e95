"""Tiny OIM model configs and hand-made data samples for the model tests."""
import copy
from pathlib import Path

import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config, ConfigDict
from mmengine.structures import InstanceData

import mmps.models  # noqa: F401  (registers the mmps modules)

REPO = Path(__file__).resolve().parents[2]
IMG_H, IMG_W = 64, 96  # network input
SCALE = 0.5  # original images are twice as large


def tiny_model_cfg(num_person_ids: int = 4,
                   queue_size: int = 8) -> ConfigDict:
    """The OIM base model shrunk to ResNet-18 stages 1..3 with conv5 as
    the shared head, 64-d embeddings and no pretrained weights."""
    model = copy.deepcopy(
        Config.fromfile(REPO / 'configs/_base_/models/oim_r50_c4.py').model)
    model.backbone.update(depth=18, frozen_stages=-1, init_cfg=None)
    model.rpn_head.update(in_channels=256, feat_channels=64)
    model.rpn_head.anchor_generator.scales = [2, 4]
    roi = model.roi_head
    roi.shared_head.update(depth=18, init_cfg=None)
    roi.bbox_roi_extractor.out_channels = 256
    roi.bbox_head.in_channels = 512
    roi.reid_head.update(in_channels=512, embed_dim=64)
    roi.reid_head.loss_reid.update(
        num_features=64, num_person_ids=num_person_ids,
        queue_size=queue_size)
    model.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=50)
    # room for every proposal: all ground truths are sampled as positives
    model.train_cfg.rcnn.sampler.num = 256
    model.test_cfg.rpn.update(nms_pre=200, max_per_img=20)
    model.test_cfg.rcnn.update(score_thr=0.0, max_per_img=10)
    return model


def make_sample(gt_bboxes, person_ids, flip: bool = False,
                query_bboxes=None) -> DetDataSample:
    """A data sample of an image resized by SCALE; boxes in the original
    frame for queries, in the input frame for the ground truth."""
    sample = DetDataSample(
        metainfo=dict(
            img_id=0,
            ori_shape=(int(IMG_H / SCALE), int(IMG_W / SCALE)),
            img_shape=(IMG_H, IMG_W),
            scale_factor=(SCALE, SCALE),
            flip=flip,
            flip_direction='horizontal' if flip else None))
    gt = InstanceData()
    gt.bboxes = torch.tensor(gt_bboxes, dtype=torch.float32)
    gt.labels = torch.zeros(len(gt_bboxes), dtype=torch.long)
    gt.person_ids = torch.tensor(person_ids, dtype=torch.long)
    sample.gt_instances = gt
    if query_bboxes is not None:
        query = InstanceData()
        query.bboxes = torch.tensor(query_bboxes, dtype=torch.float32)
        query.query_indices = torch.arange(len(query_bboxes)) * 2 - 1
        sample.query_instances = query
    return sample
