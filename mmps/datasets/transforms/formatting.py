"""Pack person-search samples for the model."""
import numpy as np
import torch
from mmdet.datasets.transforms import PackDetInputs
from mmdet.registry import TRANSFORMS
from mmengine.structures import InstanceData

INSTANCE_KEYS = ('gt_instances_ids', 'gt_masks_valid')


@TRANSFORMS.register_module()
class PackPersonSearchInputs(PackDetInputs):
    """``PackDetInputs`` that also packs person ids, mask flags and queries.

    - ``gt_instances.person_ids`` (N,) int64 from ``gt_instances_ids``.
    - ``gt_instances.mask_valid`` (N,) bool from ``gt_masks_valid`` (True
      for a real mask, False for a box stand-in), when masks were loaded.
    - ``query_instances`` (test samples): ``bboxes`` (M, 4) float32 in the
      original image frame and ``query_indices`` (M,) int64 (-1 for GT boxes
      that are not protocol queries).
    - ``instance_map`` (H0, W0) int32 at the original image size, when
      ``LoadInstanceMap`` loaded it (MGTS's foreground separation).
    - ``cam_id`` joins the default meta keys.
    """
    mapping_table = dict(
        PackDetInputs.mapping_table,
        gt_instances_ids='person_ids',
        gt_masks_valid='mask_valid')

    def __init__(self,
                 meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                            'scale_factor', 'flip', 'flip_direction', 'cam_id'),
                 **kwargs) -> None:
        super().__init__(meta_keys=meta_keys, **kwargs)

    def transform(self, results: dict) -> dict:
        """Pack ``results``; adds ``query_instances`` when queries exist.

        Raises:
            ValueError: When a per-instance key no longer matches the boxes
                (an instance-dropping transform was not wrapped in
                ``KeepInstancesAligned``).
        """
        num = len(results['gt_bboxes']) if 'gt_bboxes' in results else None
        for key in INSTANCE_KEYS:
            if num is not None and key in results and len(results[key]) != num:
                raise ValueError(
                    f'{key} has {len(results[key])} entries for {num} boxes: '
                    'wrap transforms that drop instances in '
                    'KeepInstancesAligned')
        packed = super().transform(results)
        if 'query_bboxes' in results:
            queries = InstanceData()
            queries.bboxes = torch.from_numpy(
                np.asarray(results['query_bboxes'], np.float32).reshape(-1, 4))
            queries.query_indices = torch.from_numpy(
                np.asarray(results['query_indices'], np.int64))
            packed['data_samples'].query_instances = queries
        if 'instance_map' in results:
            packed['data_samples'].instance_map = torch.from_numpy(
                np.asarray(results['instance_map'], np.int32))
        return packed
