"""Load the instance label map of an image (MGTS's foreground separation)."""
from typing import Optional, Tuple

import numpy as np
import torch
from mmdet.datasets.transforms import LoadAnnotations
from mmdet.registry import TRANSFORMS

from mmps.models.utils.foreground_separation import paint_instance_map
from ..instance_mask_file import MAKE_COMMAND, decode_masks, load_instance_mask_file

SOURCES = ('file', 'annotations')


@TRANSFORMS.register_module()
class LoadInstanceMap(LoadAnnotations):
    """Load ``instance_map``, the person instances of an image painted into
    one label map: the input of Algorithm 1 of MGTS (Chen et al., ECCV 2018).

    The map is (H, W) int32 at the *original* image size (geometric
    transforms leave it alone; the crop transform and the searcher map
    boxes to that frame), 0 for background; instances scoring at least
    ``score_thr`` are painted in ascending score order, so the highest score
    wins where masks overlap (:func:`paint_instance_map`).
    :class:`PackPersonSearchInputs` packs it as ``data_sample.instance_map``.

    Being a ``LoadAnnotations``, it is dropped with the other annotation
    loaders by the search API's image pipeline; a searcher with an online
    segmentor then paints the map itself.

    Sources:

    - ``'file'``: an offline mask file (``tools/misc/make_instance_masks.py``),
      read once; the image is looked up by ``img_id`` and must have the
      file name and size the file recorded.
    - ``'annotations'``: the instances' annotated masks (e.g. the synthetic
      data's polygons), all of score 1 (painted in file order); box
      stand-ins (``mask_valid`` False) are not painted.

    Required keys: ``ori_shape`` (or ``img_shape``), ``img_id`` and
    ``img_path`` ('file'), ``instances`` ('annotations').

    Added keys: ``instance_map`` (H, W) int32.

    Args:
        source (str): 'file' or 'annotations'. Defaults to 'file'.
        mask_file (str, optional): The mask file ('file'). Defaults to None.
        score_thr (float): Lowest instance score painted. Defaults to 0.5.
    """

    def __init__(self,
                 source: str = 'file',
                 mask_file: Optional[str] = None,
                 score_thr: float = 0.5) -> None:
        super().__init__(with_bbox=False, with_label=False)
        if source not in SOURCES:
            raise ValueError(f"LoadInstanceMap source must be 'file' or 'annotations', "
                             f'got {source!r}')
        if source == 'file' and not mask_file:
            raise ValueError("LoadInstanceMap(source='file') needs mask_file: make one "
                             'with ' + MAKE_COMMAND.format(path='F'))
        self.source = source
        self.mask_file = mask_file
        self.score_thr = score_thr
        self._images = None
        self._info = None

    def _from_file(self, results: dict, height: int,
                   width: int) -> Tuple[np.ndarray, np.ndarray]:
        if self._images is None:
            self._info, self._images = load_instance_mask_file(self.mask_file)
        made_for = self._info.get('ann_file')
        entry = self._images.get(int(results['img_id']))
        if entry is None or not str(results.get('img_path', '')).endswith(
                entry['file_name']):
            raise ValueError(
                f"mask file {self.mask_file} has no masks for image "
                f"{results['img_id']} ({results.get('img_path')}): it was made "
                f'for {made_for}; remake it for this annotation file')
        if (entry['height'], entry['width']) != (height, width):
            raise ValueError(
                f"mask file {self.mask_file} gives {entry['height']}x"
                f"{entry['width']} for image {results['img_id']} but it is "
                f'{height}x{width}: remake the file for these images')
        masks = decode_masks(entry['masks'], height, width)
        return masks, np.asarray(entry['scores'], np.float32)

    def _from_annotations(self, results: dict, height: int,
                          width: int) -> Tuple[np.ndarray, np.ndarray]:
        instances = [
            inst for inst in results.get('instances', [])
            if inst.get('mask_valid', 'mask' in inst) and inst.get('mask')
        ]
        if not instances:
            raise ValueError(
                "LoadInstanceMap(source='annotations') found no annotated mask in "
                f"image {results.get('img_path')}: use source='file' with a mask file "
                '(tools/misc/make_instance_masks.py) or crop_cfg.mask=\'box\'')
        masks = np.stack([
            self._poly2mask(inst['mask'], height, width) for inst in instances
        ]).astype(bool)
        return masks, np.ones(len(instances), np.float32)

    def transform(self, results: dict) -> dict:
        """Add ``instance_map`` to ``results``."""
        height, width = results.get('ori_shape', results.get('img_shape'))[:2]
        if self.source == 'file':
            masks, scores = self._from_file(results, height, width)
        else:
            masks, scores = self._from_annotations(results, height, width)
        results['instance_map'] = paint_instance_map(
            torch.from_numpy(masks), torch.from_numpy(scores), self.score_thr).numpy()
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(source={self.source!r}, '
                f'mask_file={self.mask_file!r}, score_thr={self.score_thr})')
