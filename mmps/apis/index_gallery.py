"""Detect and embed the persons of a gallery of scene images."""
import warnings
from pathlib import Path
from typing import Any, Callable, Dict, List, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmcv.transforms import Compose
from mmdet.structures.bbox import get_box_tensor
from mmengine.dataset import pseudo_collate
from mmengine.utils import ProgressBar

from ..models.detectors import check_person_searcher, contract_error
from .gallery_index import GalleryIndex
from .images import (ImageInput, build_image_pipeline, check_image_file, image_name,
                     list_images, read_image)
from .model_fingerprint import model_fingerprint

SKIP_HINT = 'skip_unreadable=True (search_demo.py: --skip-unreadable) leaves it out'


def index_gallery(searcher: nn.Module,
                  images: Union[str, Path, Sequence[ImageInput]],
                  batch_size: int = 1,
                  progress: bool = True,
                  skip_unreadable: bool = False) -> GalleryIndex:
    """Run the searcher in gallery mode on every image.

    Each image goes through the config's test pipeline (without annotation
    loading) and the model's ``test_step``; the ``pred_instances`` of the
    inference contract (docs/design.md) are kept. The index records the
    model's fingerprint (:func:`~mmps.apis.model_fingerprint`), which
    :func:`~mmps.apis.search` checks.

    Every image file is checked before the first forward pass (it exists,
    and its header is one OpenCV decodes); a file that passes this check but
    fails to decode is found when its batch is read. Either way the image
    is named, and ``skip_unreadable`` decides between an error and a
    warning.

    Args:
        searcher (nn.Module): Model from :func:`init_searcher` (with ``cfg``).
        images (str | Path | Sequence): A folder (its image files, sorted by
            name), or a list of image paths and (H, W, 3) BGR arrays.
        batch_size (int): Images per forward pass. Defaults to 1.
        progress (bool): Show a progress bar. Defaults to True.
        skip_unreadable (bool): Leave out the images that are missing or
            cannot be read, with one warning per image and one saying how
            many were left out, instead of failing. Defaults to False.

    Returns:
        GalleryIndex: Per (readable) image: its name (the path, or
        ``<array i>``), ``bboxes`` (N, 4) in the original frame, ``scores``
        (N,) and ``embeddings`` (N, D); and the model fingerprint.

    Raises:
        FileNotFoundError: The folder does not exist or holds no image, or
            (unless ``skip_unreadable``) an image file does not exist.
        ValueError: An image cannot be read (the message names it; unless
            ``skip_unreadable``), no image can be read, the list is empty,
            ``batch_size < 1``, or the model is no person searcher or gives
            no embeddings with its detections.

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
    skipped: Dict[int, str] = {}  # position of an unreadable image: why
    for i, item in enumerate(items):
        if not isinstance(item, np.ndarray):
            _attempt(check_image_file, (item, ), i, skipped, skip_unreadable)
    readable = [i for i in range(len(items)) if i not in skipped]
    fingerprint = model_fingerprint(searcher)
    pipeline = build_image_pipeline(searcher.cfg)
    bar = ProgressBar(len(readable)) if progress else None
    entries = {}  # position: bboxes, scores, embeddings
    try:
        for start in range(0, len(readable), batch_size):
            ids = readable[start:start + batch_size]
            images = {
                i: _attempt(read_image, (items[i], names[i]), i, skipped,
                            skip_unreadable)
                for i in ids
            }
            batch = [i for i in ids if i not in skipped]
            if batch:
                predictions = _predict_gallery(searcher, pipeline,
                                               [images[i] for i in batch], batch)
                entries.update(zip(batch, predictions))
            if bar is not None:
                bar.update(len(ids))
    finally:
        if bar is not None:  # end the bar's line, also when an image fails
            bar.file.write('\n')
    for i in sorted(skipped):
        warnings.warn(f'skipping an unreadable gallery image: {skipped[i]}')
    if not entries:
        raise ValueError(f'none of the {len(items)} gallery images can be read')
    if skipped:
        warnings.warn(f'skipped {len(skipped)} of {len(items)} gallery images '
                      f'(unreadable); the index holds the other {len(entries)}')
    kept = sorted(entries)
    bboxes, scores, embeddings = zip(*(entries[i] for i in kept))
    return GalleryIndex([names[i] for i in kept], bboxes, scores, embeddings,
                        fingerprint)


def _attempt(read: Callable, args: tuple, position: int, skipped: Dict[int, str],
             skip_unreadable: bool) -> Any:
    """``read(*args)`` for the image at ``position``; when it fails and
    ``skip_unreadable``, None, and the reason in ``skipped[position]``.

    Raises:
        FileNotFoundError: The image file does not exist (unless
            ``skip_unreadable``).
        ValueError: The image cannot be read (unless ``skip_unreadable``).
    """
    try:
        return read(*args)
    except (OSError, ValueError) as err:
        if not skip_unreadable:
            raise type(err)(f'{err}; {SKIP_HINT}') from err
        skipped[position] = str(err)
        return None


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
