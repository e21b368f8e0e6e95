"""Keep the person-search per-instance keys aligned with the boxes."""
from typing import List, Optional, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from .formatting import INSTANCE_KEYS


@TRANSFORMS.register_module()
class KeepInstancesAligned(BaseTransform):
    """Run transforms that may drop instances without losing alignment.

    mmdet's instance-dropping transforms (``RandomCrop``,
    ``FilterAnnotations``, ``MinIoURandomCrop``, ``RandomAffine``, ...)
    index ``gt_bboxes``, ``gt_bboxes_labels``, ``gt_masks`` and
    ``gt_ignore_flags`` with the instances they keep, but not the keys mmps
    adds (``FilterAnnotations`` not even ``gt_instances_ids``). This wrapper
    replaces ``gt_bboxes_labels`` by the instance indices ``0..N-1`` while
    ``transforms`` run, then indexes the saved labels and every key in
    ``keys`` with the indices that survived.

    Example::

        dict(type='KeepInstancesAligned', transforms=[
            dict(type='RandomCrop', crop_size=(600, 600)),
            dict(type='FilterAnnotations', min_gt_bbox_wh=(2, 2)),
        ])

    Args:
        transforms (list[dict | callable]): Transforms to run, in order.
        keys (Sequence[str]): Per-instance keys to keep aligned. Defaults
            to ``('gt_instances_ids', 'gt_masks_valid')``.
    """

    def __init__(self, transforms: List, keys: Sequence[str] = INSTANCE_KEYS) -> None:
        self.transforms = [
            TRANSFORMS.build(t) if isinstance(t, dict) else t for t in transforms
        ]
        self.keys = tuple(keys)

    def transform(self, results: dict) -> Optional[dict]:
        """Run the wrapped transforms; None when one of them drops the
        sample."""
        if 'gt_bboxes_labels' not in results:
            return self._run(results)
        saved = {
            key: results[key]
            for key in ('gt_bboxes_labels', ) + self.keys if key in results
        }
        results['gt_bboxes_labels'] = np.arange(
            len(saved['gt_bboxes_labels']), dtype=np.int64)
        results = self._run(results)
        if results is None:
            return None
        kept = np.asarray(results['gt_bboxes_labels'], dtype=np.int64)
        for key, value in saved.items():
            results[key] = value[kept]
        return results

    def _run(self, results: dict) -> Optional[dict]:
        for t in self.transforms:
            results = t(results)
            if results is None:
                return None
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transforms={self.transforms}, '
                f'keys={self.keys})')
