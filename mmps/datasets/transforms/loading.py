"""Load person-search annotations next to boxes and labels."""
from typing import List, Tuple

import numpy as np
import pycocotools.mask as mask_utils
from mmdet.datasets.transforms import LoadAnnotations
from mmdet.registry import TRANSFORMS
from mmdet.structures.mask import BitmapMasks, PolygonMasks

from mmps.structures import mask_to_polygons


@TRANSFORMS.register_module()
class LoadPersonSearchAnnotations(LoadAnnotations):
    """mmdet's ``LoadAnnotations`` plus person ids, query boxes and masks.

    Added keys:

    - ``gt_instances_ids`` (N,) int64: ``person_id`` of each instance, -1 for
      unlabelled. mmdet's ``RandomFlip``/``Resize`` keep the box order and
      ``RandomCrop`` indexes this key together with the boxes, so ids stay
      aligned; ``PackPersonSearchInputs`` renames it ``person_ids``.
    - ``query_bboxes`` (M, 4) float32 and ``query_indices`` (M,) int64 when
      the data info has ``queries`` (test split). They stay in the
      *original* image frame: geometric transforms do not touch them, and
      the model maps them with ``scale_factor``/``flip`` itself.
    - ``gt_masks`` and ``gt_masks_valid`` (N,) bool when
      ``with_mask=True``: an instance with no (or no valid) mask gets its
      box as a rectangular polygon, so masks and boxes always have the same
      length and no instance is silently ignored; ``gt_masks_valid`` is
      True only for real masks (the instance's ``mask_valid`` and at least
      one usable polygon), so a mask loss can skip the stand-ins.
      ``PackPersonSearchInputs`` packs it as ``gt_instances.mask_valid``.
      Flip and resize keep the order; wrap transforms that drop instances
      (``RandomCrop``, ``FilterAnnotations``, ...) in
      ``KeepInstancesAligned``.

    Args:
        with_person_id (bool): Load ``gt_instances_ids``. Defaults to True.
        with_query (bool): Load query boxes when present. Defaults to True.
        **kwargs: See :class:`mmdet.datasets.transforms.LoadAnnotations`.
    """

    def __init__(self,
                 with_person_id: bool = True,
                 with_query: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.with_person_id = with_person_id
        self.with_query = with_query

    def _load_person_ids(self, results: dict) -> None:
        results['gt_instances_ids'] = np.asarray(
            [inst['person_id'] for inst in results.get('instances', [])],
            dtype=np.int64)

    def _load_queries(self, results: dict) -> None:
        queries = results['queries']
        results['query_bboxes'] = np.asarray([q['bbox'] for q in queries],
                                             dtype=np.float32).reshape(-1, 4)
        results['query_indices'] = np.asarray([q['query_index'] for q in queries],
                                              dtype=np.int64)

    def _instance_polygons(self, inst: dict) -> Tuple[List[np.ndarray], bool]:
        """Valid polygons of one instance (or its box as a polygon) and
        whether they are a real mask."""
        seg = inst.get('mask')
        if isinstance(seg, dict):  # RLE -> outer contours
            seg = mask_to_polygons(
                mask_utils.decode(
                    mask_utils.frPyObjects(seg, *seg['size']) if isinstance(
                        seg['counts'], list) else seg))
        polys = [
            np.asarray(p, dtype=np.float64) for p in (seg or [])
            if len(p) >= 6 and len(p) % 2 == 0
        ]
        real = bool(polys) and inst.get('mask_valid', 'mask' in inst)
        if not polys:
            x1, y1, x2, y2 = inst['bbox']
            polys = [np.array([x1, y1, x2, y1, x2, y2, x1, y2], np.float64)]
        return polys, real

    def _load_masks(self, results: dict) -> None:
        h, w = results['ori_shape']
        loaded = [
            self._instance_polygons(inst) for inst in results.get('instances', [])
        ]
        polys = [p for p, _ in loaded]
        results['gt_masks_valid'] = np.asarray([r for _, r in loaded], bool)
        if self.poly2mask:
            results['gt_masks'] = BitmapMasks([self._poly2mask(p, h, w) for p in polys],
                                              h, w)
        else:
            results['gt_masks'] = PolygonMasks(polys, h, w)

    def transform(self, results: dict) -> dict:
        """Load boxes, labels, ids, masks and query boxes into ``results``."""
        results = super().transform(results)
        if self.with_person_id:
            self._load_person_ids(results)
        if self.with_query and 'queries' in results:
            self._load_queries(results)
        return results

    def __repr__(self) -> str:
        return (super().__repr__()[:-1] + f', with_person_id={self.with_person_id}, '
                f'with_query={self.with_query})')
