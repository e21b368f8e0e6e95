"""Tiny PCNet models for CPU tests: the tiny synthetic config, and each
head variant of the paper's tables as a diff of its head."""
import copy
from typing import Dict

from mmengine.config import Config, ConfigDict

from ._utils import get_config_file

# The head diff of every PCNet config row (configs/pcnet/), for the tiny
# model (64-d maps, strides 8-32; the detection-first rows embed the 32-d
# tower output, so their identity loss is 32-d).
PCNET_HEAD_VARIANTS: Dict[str, dict] = dict(
    full=dict(),
    cpp=dict(loss_dist=None, with_csa=False, loss_tri=None),
    cpp_dist=dict(with_csa=False, loss_tri=None),
    cpp_dist_csa=dict(loss_tri=None),
    conv3x3=dict(reid_branch='conv3x3', loss_dist=None),
    plain=dict(reid_branch='plain', loss_dist=None, with_csa=False, loss_tri=None),
    detfirst_reg=dict(det_input='reg_tower', loss_reid=dict(num_features=32)),
    detfirst_cls=dict(det_input='cls_tower', loss_reid=dict(num_features=32)),
    parallel=dict(
        det_input='pyramid',
        reid_branch='conv3x3',
        loss_dist=None,
        with_csa=False,
        loss_tri=None),
    parallel_cpp=dict(det_input='pyramid', with_csa=False, loss_tri=None),
    roialign=dict(
        det_input='pyramid',
        reid_branch='roialign',
        loss_dist=None,
        with_csa=False,
        loss_tri=None,
        gallery_cluster_iou=None,
        roi_extractor=dict(
            type='GenericRoIExtractor',
            aggregation='sum',
            roi_layer=dict(type='RoIAlign', output_size=4, sampling_ratio=0),
            out_channels=64,
            featmap_strides=[8, 16, 32],
            pre_cfg=dict(
                type='ConvModule',
                in_channels=64,
                out_channels=64,
                kernel_size=3,
                padding=1,
                inplace=False))),
    light=dict(gallery_cluster_iou=None),
    dagger=dict(anchor_generator=dict(ratios=[1.0, 2.0], scales_per_octave=2)),
)


def _merge(dst: dict, src: dict) -> None:
    """Merge ``src`` into ``dst`` recursively, as a config diff does."""
    for key, value in src.items():
        if isinstance(value, dict) and isinstance(dst.get(key), dict):
            _merge(dst[key], value)
        else:
            dst[key] = value


def tiny_pcnet_cfg(variant: str = 'full',
                   num_person_ids: int = 4,
                   queue_size: int = 8) -> ConfigDict:
    """The model of ``configs/pcnet/pcnet_tiny_synthetic.py`` with the head
    of one PCNet row, every detection kept at test time.

    Args:
        variant (str): A key of :data:`PCNET_HEAD_VARIANTS`. Defaults to
            'full'.
        num_person_ids (int): Rows of the OIM lookup table. Defaults to 4.
        queue_size (int): OIM queue length. Defaults to 8.

    Returns:
        ConfigDict: The model config.
    """
    model = copy.deepcopy(
        Config.fromfile(get_config_file('pcnet/pcnet_tiny_synthetic.py')).model)
    head = model.bbox_head
    _merge(head, copy.deepcopy(PCNET_HEAD_VARIANTS[variant]))
    head.loss_reid.update(num_person_ids=num_person_ids, queue_size=queue_size)
    model.test_cfg.update(score_thr=0.0, nms_pre=100, max_per_img=10)
    return model
