"""Background-influence test variants (BUFF, Yang et al., MM 2020, Sec. 3.1).

Every ground-truth box of an image (labelled or not) is foreground, the rest
of the image is background:

- ``MeanBackground`` (MB): background set to the ImageNet mean pixel.
- ``MeanForeground`` (MF): foreground set to the ImageNet mean pixel.
- ``RandomForeground`` (RF): each foreground pixel replaced by a pixel drawn
  at random from the same image (from its background by default).
- ``RandomBackground`` (RB, PRW style): the foreground pasted at the same
  place onto a pure-background image of another camera.

The CUHK-SYSU style RB (the query box pasted into another scene, galleries
unchanged) needs new images and protocol changes, so it exists only as a
written dataset: :mod:`mmps.datasets.background_variants` (command line
``tools/misc/make_background_variant.py``).

The transforms work in the *original* image frame: put them right after
``LoadImageFromFile`` and before ``Resize``. The boxes are read from the data
info's ``instances`` (x1y1x2y2, original frame), so they do not depend on
where ``LoadPersonSearchAnnotations`` sits (after ``Resize`` in the test
pipelines). Random choices use a generator seeded with ``(seed, img_id)``:
an image gets the same pixels whatever the worker, order or run.
"""
import os
import os.path as osp
import re
from typing import Dict, Tuple, Union

import cv2
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS

from .box_mask import box_pixel_slices

#: ImageNet mean pixel in RGB order (mmdet's ``data_preprocessor.mean``).
IMAGENET_MEAN_RGB = (123.675, 116.28, 103.53)

#: Pure-background file names: ``<cam_id>.<ext>`` or ``c<cam_id>.<ext>``.
BACKGROUND_NAME = re.compile(r'^c?(\d+)\.(jpe?g|png|bmp)$', re.IGNORECASE)


def boxes_to_mask(boxes: np.ndarray, height: int, width: int) -> np.ndarray:
    """Union of boxes as a pixel mask.

    A pixel is covered as in :func:`box_pixel_slices` (a partly covered
    pixel counts as covered), the rule of :class:`BoxesToForegroundMasks`.

    Args:
        boxes (np.ndarray): (N, 4) x1y1x2y2 boxes.
        height (int): Image height H.
        width (int): Image width W.

    Returns:
        np.ndarray: (H, W) bool, True inside any box.
    """
    mask = np.zeros((height, width), dtype=bool)
    for box in np.asarray(boxes, np.float64).reshape(-1, 4):
        mask[box_pixel_slices(box, height, width)] = True
    return mask


def mean_pixel(channel_order: str, dtype: np.dtype) -> np.ndarray:
    """The ImageNet mean pixel in ``channel_order``, as ``dtype``.

    Integer images get the mean rounded (BGR uint8: 104, 116, 124).

    Returns:
        np.ndarray: (3,) pixel.
    """
    if channel_order not in ('bgr', 'rgb'):
        raise ValueError(f"channel_order must be 'bgr' or 'rgb', got {channel_order!r}")
    mean = np.asarray(IMAGENET_MEAN_RGB, np.float64)
    if channel_order == 'bgr':
        mean = mean[::-1]
    if np.issubdtype(dtype, np.integer):
        mean = np.round(mean)
    return mean.astype(dtype)


def find_backgrounds(bg_dir: str) -> Dict[int, str]:
    """Pure-background images of a folder, by camera id.

    Args:
        bg_dir (str): Folder with one image per camera, named
            ``<cam_id>.<ext>`` or ``c<cam_id>.<ext>`` (jpg, jpeg, png, bmp).

    Returns:
        dict[int, str]: camera id -> image path.
    """
    if not osp.isdir(bg_dir):
        raise FileNotFoundError(f'background folder not found: {bg_dir}')
    found: Dict[int, str] = {}
    for name in sorted(os.listdir(bg_dir)):
        match = BACKGROUND_NAME.match(name)
        if match is None:
            continue
        cam = int(match.group(1))
        if cam in found:
            raise ValueError(f'camera {cam} has two backgrounds in {bg_dir}: '
                             f'{osp.basename(found[cam])} and {name}')
        found[cam] = osp.join(bg_dir, name)
    if not found:
        raise FileNotFoundError(
            f'no background image in {bg_dir} (expected one per camera, '
            'named <cam_id>.png or c<cam_id>.jpg)')
    return found


def image_rng(seed: int, results: dict) -> np.random.Generator:
    """The random generator of one image, seeded by ``(seed, img_id)``."""
    return np.random.default_rng([seed, int(results['img_id'])])


class BaseBackgroundInfluence(BaseTransform):
    """Shared check of the input: an unresized 3-channel image, and its
    foreground."""

    def foreground(self, results: dict) -> Tuple[np.ndarray, np.ndarray]:
        """The image and its foreground mask.

        Returns:
            tuple[np.ndarray, np.ndarray]: ``img`` (H, W, 3) and the (H, W)
            bool union of the GT boxes of ``results['instances']``.
        """
        img = results['img']
        name = type(self).__name__
        if img.ndim != 3 or img.shape[2] != 3:
            raise ValueError(f'{name} needs an (H, W, 3) image, got shape '
                             f'{img.shape} (image {results.get("img_id")})')
        ori_shape = tuple(results.get('ori_shape', img.shape[:2]))
        if tuple(img.shape[:2]) != ori_shape:
            raise ValueError(
                f'{name}: the image is {img.shape[:2]} but ori_shape is '
                f'{ori_shape}; the boxes are in the original frame, so put '
                f'{name} before Resize (right after LoadImageFromFile)')
        boxes = np.asarray([inst['bbox'] for inst in results.get('instances', [])],
                           np.float64).reshape(-1, 4)
        return img, boxes_to_mask(boxes, *img.shape[:2])


class _MeanFill(BaseBackgroundInfluence):
    """Fill the background (``fill_foreground=False``) or the foreground
    with the ImageNet mean pixel."""

    fill_foreground: bool

    def __init__(self, channel_order: str = 'bgr') -> None:
        mean_pixel(channel_order, np.uint8)  # validates channel_order
        self.channel_order = channel_order

    def transform(self, results: dict) -> dict:
        img, mask = self.foreground(results)
        out = img.copy()
        region = mask if self.fill_foreground else ~mask
        out[region] = mean_pixel(self.channel_order, img.dtype)
        results['img'] = out
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(channel_order={self.channel_order!r})'


@TRANSFORMS.register_module()
class MeanBackground(_MeanFill):
    """MB: every pixel outside the GT boxes becomes the ImageNet mean.

    The mean (RGB 123.675, 116.28, 103.53) is written in the image's channel
    order: ``LoadImageFromFile`` decodes BGR by default, so uint8 BGR images
    get (104, 116, 124). After mmdet's data preprocessor (``bgr_to_rgb``
    and mean subtraction) the background is then about zero.

    Required keys: ``img`` (unresized), ``instances`` (``bbox`` x1y1x2y2).
    Modified keys: ``img``.

    Args:
        channel_order (str): ``'bgr'`` (mmcv's default) or ``'rgb'``.
    """

    fill_foreground = False


@TRANSFORMS.register_module()
class MeanForeground(_MeanFill):
    """MF: every pixel inside a GT box becomes the ImageNet mean.

    See :class:`MeanBackground` for the mean and the keys.

    Args:
        channel_order (str): ``'bgr'`` (mmcv's default) or ``'rgb'``.
    """

    fill_foreground = True


@TRANSFORMS.register_module()
class RandomForeground(BaseBackgroundInfluence):
    """RF: every pixel inside a GT box is replaced by a random pixel of the
    same image (all channels of one source pixel, drawn independently and
    uniformly, with replacement, per target pixel).

    Required keys: ``img`` (unresized), ``instances``, ``img_id``.
    Modified keys: ``img``.

    Args:
        source (str): ``'image'`` (any pixel of the image, as BUFF Sec.
            3.1 says: "from the original image") or ``'background'``
            (pixels outside every box, so no person pixel survives).
            Defaults to ``'image'``.
        seed (int): Seed; the generator of an image is seeded with
            ``(seed, img_id)``.
    """

    def __init__(self, source: str = 'image', seed: int = 0) -> None:
        if source not in ('background', 'image'):
            raise ValueError(f"source must be 'background' or 'image', got {source!r}")
        self.source = source
        self.seed = seed

    def transform(self, results: dict) -> dict:
        img, mask = self.foreground(results)
        pool = img[~mask] if self.source == 'background' else img.reshape(
            -1, img.shape[2])
        if not len(pool):
            raise ValueError(
                f'RandomForeground: the boxes of image {results["img_id"]} '
                'cover it entirely, no background pixel to sample')
        out = img.copy()
        draw = image_rng(self.seed, results).integers(len(pool), size=int(mask.sum()))
        out[mask] = pool[draw]
        results['img'] = out
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(source={self.source!r}, '
                f'seed={self.seed})')


@TRANSFORMS.register_module()
class RandomBackground(BaseBackgroundInfluence):
    """RB (PRW style): the GT boxes pasted at their place onto the
    pure-background image of a randomly chosen *other* camera.

    The background is drawn uniformly among the cameras, other than the
    image's ``cam_id``, that have one, and resized (bilinear) to the image
    size when it differs. Backgrounds are read with mmcv in
    ``channel_order`` and kept in memory.

    Required keys: ``img`` (unresized), ``instances``, ``img_id``,
    ``cam_id``. Modified keys: ``img``.

    Args:
        backgrounds (str | dict[int, str]): A folder of pure-background
            images named by camera id (see :func:`find_backgrounds`), or a
            camera id -> path mapping.
            :func:`mmps.datasets.background_variants.camera_backgrounds`
            estimates them (per-camera median with the boxes left out) and
            saves them under ``OUT_DIR/backgrounds``.
        seed (int): Seed; the generator of an image is seeded with
            ``(seed, img_id)``.
        channel_order (str): Channel order of the loaded images.
    """

    def __init__(self,
                 backgrounds: Union[str, Dict[int, str]],
                 seed: int = 0,
                 channel_order: str = 'bgr') -> None:
        mean_pixel(channel_order, np.uint8)  # validates channel_order
        self.backgrounds = backgrounds
        self.seed = seed
        self.channel_order = channel_order
        self.paths = (
            find_backgrounds(backgrounds) if isinstance(backgrounds, str) else
            {int(c): p
             for c, p in backgrounds.items()})
        for cam, path in self.paths.items():
            if not osp.isfile(path):
                raise FileNotFoundError(f'background of camera {cam} not found: {path}')
        if len(self.paths) < 2:
            raise ValueError('RandomBackground needs pure backgrounds of at least two '
                             f'cameras (got cameras {sorted(self.paths)}): with one '
                             'camera there is no other camera to draw from')
        self._cache: Dict[int, np.ndarray] = {}

    def background(self, cam: int) -> np.ndarray:
        """The (H, W, 3) pure background of camera ``cam``."""
        if cam not in self._cache:
            self._cache[cam] = mmcv.imread(
                self.paths[cam], 'color', channel_order=self.channel_order)
        return self._cache[cam]

    def draw_camera(self, results: dict) -> int:
        """The camera whose background the image gets.

        Raises:
            KeyError: The data info has no ``cam_id``: without it the
                image's own camera could be drawn.
        """
        own = results.get('cam_id')
        if own is None:
            raise KeyError(f'RandomBackground: image {results.get("img_id")} has no '
                           "'cam_id' in its data info; the PRW-style RB needs the "
                           'camera of every image to draw another camera')
        # __init__ ensures two cameras or more, so ``others`` is never empty
        others = sorted(c for c in self.paths if c != own)
        return others[int(image_rng(self.seed, results).integers(len(others)))]

    def transform(self, results: dict) -> dict:
        img, mask = self.foreground(results)
        bg = self.background(self.draw_camera(results))
        h, w = img.shape[:2]
        if bg.shape[:2] != (h, w):
            bg = cv2.resize(bg, (w, h), interpolation=cv2.INTER_LINEAR)
        out = bg.astype(img.dtype, copy=True)
        out[mask] = img[mask]
        results['img'] = out
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(backgrounds={self.backgrounds!r}, '
                f'seed={self.seed}, channel_order={self.channel_order!r})')
