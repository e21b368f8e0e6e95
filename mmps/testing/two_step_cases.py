"""Tiny parts of two-step searchers for tests (random weights, CPU)."""
from typing import Dict, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.detectors import BaseDetector
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from mmengine.structures import InstanceData
from torch import Tensor

from mmps.models.reid import BaseCropReID


@MODELS.register_module()
class TinyCropReID(BaseCropReID):
    """The smallest concrete crop re-ID network: one conv (on the patch, and
    on the mask when ``crop_cfg.mask`` is set), average pooling, a linear
    projection, L2; OIM loss.

    Args:
        embed_dim (int): D. Defaults to 8.
        num_person_ids (int, optional): OIM table rows. Defaults to None
            (filled from the data or a checkpoint).
        **kwargs: See :class:`BaseCropReID`.
    """

    def __init__(self,
                 embed_dim: int = 8,
                 num_person_ids: Optional[int] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.conv = nn.Conv2d(4 if self.crop_cfg.mask else 3, 8, 3, padding=1)
        self.fc = nn.Linear(8, embed_dim)
        self.loss_reid = MODELS.build(
            dict(
                type='OIMLoss',
                num_features=embed_dim,
                num_person_ids=num_person_ids,
                queue_size=16))

    def embed(self, patches: Tensor, masks: Optional[Tensor]) -> Tensor:
        """(N, 3, h, w) raw patches (and masks) -> (N, D) L2-normalised."""
        x = self.normalize(patches)
        if masks is not None:
            x = torch.cat([x, masks], dim=1)
        pooled = F.adaptive_avg_pool2d(F.relu(self.conv(x)), 1).flatten(1)
        return F.normalize(self.fc(pooled), dim=1)

    def loss(self, patches: Tensor, masks: Optional[Tensor],
             person_ids: Tensor) -> Dict[str, Tensor]:
        """OIM loss of the embeddings."""
        embeddings = self.embed(patches, masks)
        return {self.loss_reid.loss_name: self.loss_reid(embeddings, person_ids)}


@MODELS.register_module()
class StubDetector(BaseDetector):
    """A detector that returns fixed boxes (input frame) with fixed scores,
    or raises in ``predict`` (to prove a code path runs no detection).

    Args:
        boxes (Sequence): (N, 4) boxes in the input frame.
        scores (Sequence): (N,) scores.
        raise_on_predict (bool): ``predict`` raises RuntimeError. Defaults
            to False.
    """

    def __init__(self,
                 boxes: Sequence = ((10., 10., 40., 90.), ),
                 scores: Sequence = (0.9, ),
                 raise_on_predict: bool = False) -> None:
        super().__init__(
            data_preprocessor=dict(
                type='DetDataPreprocessor',
                mean=[0., 0., 0.],
                std=[1., 1., 1.],
                bgr_to_rgb=False,
                pad_size_divisor=8))
        self.conv = nn.Conv2d(3, 2, 1)
        self.register_buffer('boxes', torch.as_tensor(boxes, dtype=torch.float32))
        self.register_buffer('scores', torch.as_tensor(scores, dtype=torch.float32))
        self.raise_on_predict = raise_on_predict

    def extract_feat(self, batch_inputs: Tensor):
        return self.conv(batch_inputs)

    def _forward(self, batch_inputs: Tensor, batch_data_samples: SampleList = None):
        return self.extract_feat(batch_inputs)

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> dict:
        return dict(loss=self.extract_feat(batch_inputs).mean())

    def predict(self,
                batch_inputs: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        if self.raise_on_predict:
            raise RuntimeError('StubDetector.predict was called')
        for sample in batch_data_samples:
            boxes = self.boxes.clone()
            if rescale:
                scale_w, scale_h = sample.metainfo['scale_factor']
                boxes = boxes / boxes.new_tensor([scale_w, scale_h, scale_w, scale_h])
            sample.pred_instances = InstanceData(
                bboxes=boxes,
                scores=self.scores.clone(),
                labels=torch.zeros(len(boxes), dtype=torch.long))
        return batch_data_samples


def tiny_two_step_cfg(detector: Optional[dict] = None,
                      crop_cfg: Optional[dict] = None,
                      num_person_ids: Optional[int] = 4,
                      **kwargs) -> dict:
    """A TwoStepSearcher config with :class:`TinyCropReID`.

    Args:
        detector (dict, optional): Detector config. Defaults to None.
        crop_cfg (dict, optional): Crop settings. Defaults to 16x8 patches,
            gamma 1, no mask.
        num_person_ids (int, optional): OIM rows. Defaults to 4.
        **kwargs: Other searcher arguments (``score_thr``, ``segmentor``...).

    Returns:
        dict: The model config.
    """
    return dict(
        type='TwoStepSearcher',
        reid=dict(
            type='TinyCropReID',
            num_person_ids=num_person_ids,
            crop_cfg=crop_cfg or dict(expand_ratio=1.0, size=(16, 8), mask=None)),
        detector=detector,
        **kwargs)


def write_two_step_config(path: str,
                          detector: Optional[dict] = dict(type='StubDetector'),
                          **kwargs) -> str:
    """Write a tiny two-step searcher config file (random weights, no data
    needed with a checkpoint): :func:`tiny_two_step_cfg` with
    ``num_person_ids=None`` and a test pipeline resizing to 80x60.

    Args:
        path (str): The file to write.
        detector (dict, optional): Detector config. Defaults to a
            :class:`StubDetector`.
        **kwargs: More arguments of :func:`tiny_two_step_cfg`.

    Returns:
        str: ``path``.
    """
    model = tiny_two_step_cfg(detector=detector, num_person_ids=None, **kwargs)
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(80, 60), keep_ratio=True),
        dict(type='LoadPersonSearchAnnotations', with_bbox=True),
        dict(type='PackPersonSearchInputs')
    ]
    text = (f"default_scope = 'mmdet'\n"
            f"custom_imports = dict(imports=['mmps.datasets', 'mmps.models', "
            f"'mmps.testing.two_step_cases'], allow_failed_imports=False)\n"
            f'model = {model!r}\n'
            f'test_dataloader = dict(dataset=dict(pipeline={pipeline!r}))\n')
    with open(path, 'w') as f:
        f.write(text)
    return path
