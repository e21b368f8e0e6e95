"""The tiny OIM model and its inputs, for model tests."""
import copy

from mmengine.config import Config, ConfigDict

from ._utils import get_config_file

TINY_IMG_H, TINY_IMG_W = 64, 96  # network input of the tiny model tests
TINY_SCALE = 0.5  # their original images are twice as large


def tiny_model_cfg(num_person_ids: int = 4, queue_size: int = 8) -> ConfigDict:
    """The OIM base model shrunk for CPU tests: ResNet-18 stages 1..3 with
    conv5 as the shared head, 64-d embeddings, no pretrained weights.

    Args:
        num_person_ids (int): Rows of the OIM lookup table. Defaults to 4.
        queue_size (int): OIM queue length. Defaults to 8.

    Returns:
        ConfigDict: The model config.
    """
    model = copy.deepcopy(
        Config.fromfile(get_config_file('_base_/models/oim_r50_c4.py')).model)
    model.backbone.update(depth=18, frozen_stages=-1, init_cfg=None)
    model.rpn_head.update(in_channels=256, feat_channels=64)
    model.rpn_head.anchor_generator.scales = [2, 4]
    roi = model.roi_head
    roi.shared_head.update(depth=18, init_cfg=None)
    roi.bbox_roi_extractor.out_channels = 256
    roi.bbox_head.in_channels = 512
    roi.reid_head.update(in_channels=512, embed_dim=64)
    roi.reid_head.loss_reid.update(
        num_features=64, num_person_ids=num_person_ids, queue_size=queue_size)
    model.train_cfg.rpn_proposal.update(nms_pre=200, max_per_img=50)
    # room for every proposal: all ground truths are sampled as positives
    model.train_cfg.rcnn.sampler.num = 256
    model.test_cfg.rpn.update(nms_pre=200, max_per_img=20)
    model.test_cfg.rcnn.update(score_thr=0.0, max_per_img=10)
    return model
