"""Detect and embed the persons of a gallery of scene images."""
from pathlib import Path
from typing import List, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmcv.transforms import Compose
from mmdet.structures.bbox import get_box_tensor
from mmengine.dataset import pseudo_collate
from mmengine.utils import ProgressBar

from ..models.detectors import check_person_searcher, contract_error
from .gallery_index import GalleryIndex
from .images import (ImageInput, build_image_pipeline, image_name, list_images,
                     read_image)


def index_gallery(searcher: nn.Module,
                  images: Union[str, Path, Sequence[ImageInput]],
                  batch_size: int = 1,
                  progress: bool = True) -> GalleryIndex:
    """Run the searcher in gallery mode on every image.

    Each image goes through the config's test pipeline (without annotation
    loading) and the model's ``test_step``; the ``pred_instances`` of the
    inference contract (docs/design.md) are kept.

    Args:
        searcher (nn.Module): Model from :func:`init_searcher` (with ``cfg``).
        images (str | Path | Sequence): A folder (its image files, sorted by
            name), or a list of image paths and (H, W, 3) BGR arrays.
        batch_size (int): Images per forward pass. Defaults to 1.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        GalleryIndex: Per image: its name (the path, or ``<array i>``),
        ``bboxes`` (N, 4) in the original frame, ``scores`` (N,) and
        ``embeddings`` (N, D).

    Raises:
        FileNotFoundError: The folder or an image file does not exist, or the
            folder holds no image.
        ValueError: An image cannot be read (the message names it), the
            list is empty, ``batch_size < 1``, or the model is no person
            searcher or gives no embeddings with its detections.

    Examples:
        >>> import numpy as np
        >>> from mmps.apis import index_gallery, init_searcher
        >>> from mmps.testing import get_config_file
        >>> searcher = init_searcher(
        ...     get_config_file('oim/oim_tiny_synthetic.py'),
        ...     cfg_options={
        ...         'model.roi_head.reid_head.loss_reid.num_person_ids': 5,
        ...         'model.test_cfg.rcnn.score_thr': 0.0})
        >>> images = [np.full((80, 60, 3), 128, np.uint8)] * 2
        >>> index = index_gallery(searcher, images, progress=False)
        >>> len(index), index.embed_dim
        (2, 64)
    """
    check_person_searcher(searcher)
    if batch_size < 1:
        raise ValueError(f'batch_size must be >= 1, got {batch_size}')
    items = list_images(images)
    names = [image_name(item, i) for i, item in enumerate(items)]
    pipeline = build_image_pipeline(searcher.cfg)
    bar = ProgressBar(len(items)) if progress else None
    entries = []
    try:
        for start in range(0, len(items), batch_size):
            ids = range(start, min(start + batch_size, len(items)))
            batch = [read_image(items[i], names[i]) for i in ids]
            entries += _predict_gallery(searcher, pipeline, batch, ids)
            if bar is not None:
                bar.update(len(ids))
    finally:
        if bar is not None:  # end the bar's line, also when an image fails
            bar.file.write('\n')
    bboxes, scores, embeddings = zip(*entries)
    return GalleryIndex(names, bboxes, scores, embeddings)


def _predict_gallery(searcher: nn.Module, pipeline: Compose, images: List[np.ndarray],
                     img_ids: Sequence[int]) -> List[Tuple[np.ndarray, ...]]:
    """Gallery-mode predictions of one batch of (H, W, 3) BGR images.

    Returns:
        list[tuple]: Per image, ``bboxes`` (N, 4), ``scores`` (N,) and
        ``embeddings`` (N, D).

    Raises:
        ValueError: The predictions carry no ``embeddings``.
    """
    data = pseudo_collate(
        [pipeline(dict(img=img, img_id=i)) for img, i in zip(images, img_ids)])
    with torch.no_grad():
        samples = searcher.test_step(data)
    if any('pred_instances' not in s or 'embeddings' not in s.pred_instances
           for s in samples):
        raise contract_error(searcher, 'pred_instances.embeddings')
    return [(_to_numpy(get_box_tensor(s.pred_instances.bboxes)),
             _to_numpy(s.pred_instances.scores), _to_numpy(s.pred_instances.embeddings))
            for s in samples]


def _to_numpy(tensor: torch.Tensor) -> np.ndarray:
    """A float32 numpy copy of ``tensor``."""
    return tensor.detach().float().cpu().numpy()
