"""Pack person patches for a crop re-ID network."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures import ReIDDataSample


@TRANSFORMS.register_module()
class PackCropReIDInputs(BaseTransform):
    """Pack what :class:`CropPersonPatch` cut for
    :class:`~mmps.models.reid.BaseCropReID` (and ``TwoStepSearcher.loss``).

    - ``inputs``: the raw patch (3, h, w) float32, channels as loaded (BGR):
      the re-ID network normalises it.
    - ``data_samples``: an mmdet ``ReIDDataSample`` with ``gt_label`` (the
      ``person_id``, -1 unlabelled), ``fg_mask`` (1, h, w) float32 when the
      pipeline cut one, and metainfo ``crop_cfg`` (the crop settings, which
      the network checks against its own) plus ``meta_keys``.

    mmdet's ``PackReIDInputs`` (registered under that name) packs uint8
    images of a file list, with no mask and no crop settings; its samples
    are accepted by the re-ID networks too.

    Args:
        meta_keys (Sequence[str]): Metainfo keys copied when present.
            Defaults to ('img_id', 'img_path', 'crop_index', 'crop_box',
            'scale_factor', 'flip', 'mask_fallback').
    """

    def __init__(
        self,
        meta_keys: Sequence[str] = ('img_id', 'img_path', 'crop_index', 'crop_box',
                                    'scale_factor', 'flip', 'mask_fallback')
    ) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        """Pack one patch.

        Raises:
            KeyError: ``crop_cfg`` is missing (no ``CropPersonPatch`` ran).
        """
        if 'crop_cfg' not in results:
            raise KeyError('PackCropReIDInputs packs patches: put CropPersonPatch '
                           'before it in the pipeline')
        patch = torch.from_numpy(
            np.ascontiguousarray(results['img'].transpose(2, 0, 1), dtype=np.float32))
        sample = ReIDDataSample()
        sample.set_gt_label(int(results['person_id']))
        if 'fg_mask' in results:
            sample.fg_mask = torch.from_numpy(
                np.asarray(results['fg_mask'], dtype=np.float32))[None]
        metainfo = {key: results[key] for key in self.meta_keys if key in results}
        metainfo['crop_cfg'] = results['crop_cfg']
        sample.set_metainfo(metainfo)
        return dict(inputs=patch, data_samples=sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
