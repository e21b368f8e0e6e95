"""Offline person masks for MGTS's foreground separation: run an mmdet
instance segmentor over the images of an annotation file and write a mask
file (:mod:`mmps.datasets.instance_mask_file`) for ``LoadInstanceMap``."""
import json
import os.path as osp
from typing import Optional, Union

from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.hub import get_config

from mmps.datasets.instance_mask_file import (dump_instance_mask_file, encode_masks,
                                              sha256_of)
from mmps.models.utils import check_person_segmentor


def segmentation_pipeline(scale: Optional[tuple] = None) -> Compose:
    """The segmentor's test pipeline of the mask tool.

    Args:
        scale (tuple, optional): (long, short) edge of a keep-ratio
            ``Resize``; None segments the image at its own size, as
            ``TwoStepSearcher``'s online segmentor does on an image whose
            test pipeline keeps the original size. Defaults to None.

    Returns:
        Compose: Load, resize, pack (masks come back at the original size).
    """
    resize = dict(
        type='Resize', scale=scale, keep_ratio=True) if scale else dict(
            type='Resize', scale_factor=1.0)
    return Compose([
        dict(type='LoadImageFromFile'), resize,
        dict(
            type='PackDetInputs',
            meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor'))
    ])


def make_instance_masks(config: Union[str, Config],
                        checkpoint: Optional[str],
                        ann_file: str,
                        img_prefix: str,
                        out: str,
                        score_thr: float = 0.5,
                        person_class: int = 0,
                        scale: Optional[tuple] = None,
                        device: str = 'cpu') -> dict:
    """Segment every image of ``ann_file`` and write its person masks.

    Args:
        config (str | Config): mmdet instance segmentation config (an
            ``mmdet::`` name works).
        checkpoint (str, optional): Its weights; None keeps random weights
            (tests only).
        ann_file (str): mmps-schema annotation file whose images to segment.
        img_prefix (str): Folder of its images (``data_prefix.img``).
        out (str): The mask file to write.
        score_thr (float): Lowest mask score kept. Defaults to 0.5.
        person_class (int): Label of persons. Defaults to 0 (COCO).
        scale (tuple, optional): See :func:`segmentation_pipeline`.
        device (str): Defaults to 'cpu'.

    Returns:
        dict: The header written (annotation file, checkpoint sha256, ...).

    Raises:
        FileNotFoundError: A missing checkpoint or annotation file.
        ValueError: See
            :func:`mmps.models.utils.check_person_segmentor`.
    """
    from mmdet.apis import inference_detector, init_detector

    for path, what in ((checkpoint, 'segmentor checkpoint'), (ann_file,
                                                              'annotation file')):
        if path is not None and not osp.isfile(path):
            raise FileNotFoundError(f'{what} {path} not found')
    if isinstance(config, str) and '::' in config:
        config = get_config(config)  # e.g. mmdet::mask_rcnn/...
    model = init_detector(config, checkpoint, device=device)
    check_person_segmentor(model, person_class, option='--person-class')
    pipeline = segmentation_pipeline(scale)
    with open(ann_file) as f:
        images = json.load(f)['images']
    entries = []
    for image in images:
        result = inference_detector(
            model, osp.join(img_prefix, image['file_name']), test_pipeline=pipeline)
        pred = result.pred_instances
        keep = (pred.labels == person_class) & (pred.scores >= score_thr)
        height, width = result.metainfo['ori_shape'][:2]
        entries.append(
            dict(
                id=image['id'],
                file_name=image['file_name'],
                height=int(height),
                width=int(width),
                masks=encode_masks(pred.masks[keep].cpu().numpy()),
                scores=[float(s) for s in pred.scores[keep]]))
    info = dict(
        ann_file=osp.abspath(ann_file),
        seg_config=config if isinstance(config, str) else config.filename,
        seg_checkpoint=checkpoint,
        checkpoint_sha256=sha256_of(checkpoint) if checkpoint else None,
        score_thr=score_thr,
        person_class=person_class,
        scale=list(scale) if scale else None)
    dump_instance_mask_file(out, info, entries)
    return info
