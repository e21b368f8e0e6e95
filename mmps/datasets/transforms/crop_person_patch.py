"""Cut one person's patch out of a loaded, resized image."""
from typing import Tuple

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from mmps.models.layers.roi_align_cropper import RoIAlignCropper
from mmps.models.reid.base_crop_reid import build_crop_cfg, crop_settings
from mmps.models.utils.box_frames import boxes_to_input_frame
from mmps.models.utils.foreground_separation import box_masks, instance_masks


@TRANSFORMS.register_module()
class CropPersonPatch(BaseTransform):
    """Cut the patch of box ``crop_index`` (an item of
    :class:`~mmps.datasets.PersonCropDataset`) out of the image, as
    :class:`~mmps.models.searchers.TwoStepSearcher` cuts it at test time.

    The box (``instances[crop_index]['bbox']``, original frame) is mapped
    into the frame of the loaded image (``scale_factor``, ``flip``: put the
    detector's ``Resize`` before this transform so that training and test
    patches share one scale), widened by ``expand_ratio`` about its centre
    and cut by :class:`~mmps.models.layers.RoIAlignCropper` (zeros outside
    the image). With ``mask`` set, the foreground mask of MGTS's Algorithm 1
    is cut on the same grid: 'instance' from ``instance_map`` (original
    image size, e.g. from ``LoadInstanceMap``), 'box' from the tight box.

    Required keys: ``img`` (H, W, 3), ``instances``, ``crop_index``,
    ``person_id``; ``scale_factor`` and ``flip`` when present;
    ``instance_map`` (H0, W0) for ``mask='instance'``.

    Modified keys: ``img`` becomes the raw patch (h, w, 3) float32,
    ``img_shape`` (h, w).

    Added keys: ``fg_mask`` (h, w) float32 in {0, 1} (when ``mask`` is
    set), ``mask_fallback`` (``mask='instance'``: True when the widened box
    held no instance pixel and the tight box became the mask),
    ``crop_box`` (4,) the box in the image frame before widening,
    ``crop_cfg`` (the settings, checked by the re-ID network).

    Args:
        size (tuple[int, int]): Patch size (h, w). Defaults to (256, 128).
        expand_ratio (float): gamma >= 1. Defaults to 1.0.
        mask (str, optional): None, 'instance' or 'box'. Defaults to None.
    """

    def __init__(self,
                 size: Tuple[int, int] = (256, 128),
                 expand_ratio: float = 1.0,
                 mask: str = None) -> None:
        self.crop_cfg = build_crop_cfg(
            dict(size=size, expand_ratio=expand_ratio, mask=mask))
        self.cropper = RoIAlignCropper(self.crop_cfg.size, self.crop_cfg.expand_ratio)

    def transform(self, results: dict) -> dict:
        """Cut the patch (and its mask).

        Raises:
            ValueError: ``mask='instance'`` without ``instance_map``.
        """
        original = torch.as_tensor(
            results['instances'][results['crop_index']]['bbox'],
            dtype=torch.float32).reshape(1, 4)
        meta = dict(
            scale_factor=results.get('scale_factor', (1.0, 1.0)),
            img_shape=results['img'].shape[:2],
            flip=results.get('flip', False),
            flip_direction=results.get('flip_direction'))
        box = boxes_to_input_frame(original, meta)
        image = torch.from_numpy(np.ascontiguousarray(results['img'])).permute(2, 0, 1)
        patch = self.cropper([image], [box])[0]
        size, mode = self.crop_cfg.size, self.crop_cfg.mask
        gamma = self.crop_cfg.expand_ratio
        if mode == 'box':
            results['fg_mask'] = box_masks(meta['img_shape'], box, size,
                                           gamma)[0, 0].numpy()
        elif mode == 'instance':
            if 'instance_map' not in results:
                raise ValueError(
                    "CropPersonPatch(mask='instance') needs instance_map: put "
                    'LoadInstanceMap before it in the pipeline')
            masks, fallbacks = instance_masks(
                torch.as_tensor(results['instance_map']),
                original,
                size,
                gamma,
                return_fallbacks=True)
            mask = masks[0, 0]
            results['mask_fallback'] = bool(fallbacks[0])
            if meta['flip']:
                mask = mask.flip(-1)
            results['fg_mask'] = mask.numpy()
        results['img'] = patch.permute(1, 2, 0).numpy()
        results['img_shape'] = size
        results['crop_box'] = box[0].numpy()
        results['crop_cfg'] = crop_settings(self.crop_cfg)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}({crop_settings(self.crop_cfg)})'
