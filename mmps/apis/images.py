"""Plain scene images (files or arrays) as searcher inputs."""
import copy
import os
import os.path as osp
from pathlib import Path
from typing import List, Sequence, Union

import cv2
import mmcv
import numpy as np
from mmcv.transforms import Compose, LoadAnnotations, LoadImageFromFile
from mmdet.registry import TRANSFORMS
from mmengine.config import Config

ImageInput = Union[str, Path, np.ndarray]
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


def list_images(images: Union[str, Path, Sequence[ImageInput]]) -> List[ImageInput]:
    """The images of a folder (sorted by name, not recursive) or a list.

    Args:
        images (str | Path | Sequence): A folder, or image paths and
            (H, W, 3) BGR arrays.

    Returns:
        list: Paths (str) and arrays, in gallery order.

    Raises:
        FileNotFoundError: The folder does not exist or holds no image file.
        ValueError: The list is empty.
    """
    if isinstance(images, (str, Path)):
        folder = str(images)
        if not osp.isdir(folder):
            raise FileNotFoundError(f'gallery folder {folder} does not exist')
        paths = sorted(
            osp.join(folder, name) for name in os.listdir(folder)
            if name.lower().endswith(IMAGE_EXTENSIONS))
        if not paths:
            raise FileNotFoundError(f'gallery folder {folder} holds no image file '
                                    f'({", ".join(IMAGE_EXTENSIONS)})')
        return paths
    items = [str(item) if isinstance(item, Path) else item for item in images]
    if not items:
        raise ValueError('the gallery image list is empty')
    return items


def image_name(image: ImageInput, index: int) -> str:
    """The name of an image in results: its path, or ``<array index>``."""
    return str(image) if isinstance(image, (str, Path)) else f'<array {index}>'


def check_image_file(path: Union[str, Path]) -> None:
    """Check, without decoding it, that an image file exists and starts like
    an image OpenCV reads (its header).

    Args:
        path (str | Path): The file.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is empty or its header is no known image
            format's (a truncated image with an intact header passes).
    """
    path = str(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'image {path} not found')
    size = osp.getsize(path)
    if size == 0 or not cv2.haveImageReader(path):
        raise ValueError(f'cannot read image {path}: not an image file '
                         f'({size} bytes, no known image header)')


def read_image(image: ImageInput, name: str = 'image') -> np.ndarray:
    """Load an image as a BGR array, failing with the file's name.

    Args:
        image (str | Path | np.ndarray): Image file, or an (H, W, 3) BGR
            uint8 array (returned as is).
        name (str): How to name an array in error messages.

    Returns:
        np.ndarray: The image, shape (H, W, 3), BGR.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is no readable image, or the array is not
            (H, W, 3).
    """
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3 or 0 in image.shape:
            raise ValueError(f'{name}: expected an (H, W, 3) BGR array, got '
                             f'shape {image.shape}')
        return image
    path = str(image)
    if not osp.isfile(path):
        raise FileNotFoundError(f'image {path} not found')
    try:
        img = mmcv.imread(path)
    except Exception as err:  # decoders raise their own types
        raise ValueError(f'cannot read image {path}: {err}') from err
    if img is None:
        raise ValueError(f'cannot read image {path}: corrupt or not an image file')
    return img


def build_image_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline for plain image arrays.

    Image loading from files becomes mmdet's ``LoadImageFromNDArray``
    (:func:`read_image` does the reading) and annotation loading is dropped
    (plain images have no annotations; query boxes are added to the packed
    sample by the caller).

    Args:
        cfg (Config): Config with ``test_dataloader.dataset.pipeline``.

    Returns:
        Compose: Takes ``dict(img=(H, W, 3) array, img_id=int)``, returns the
        packed ``inputs`` and ``data_samples``.
    """
    transforms = [dict(type='mmdet.LoadImageFromNDArray')]
    for transform in copy.deepcopy(cfg.test_dataloader.dataset.pipeline):
        cls = transform['type']
        if isinstance(cls, str):
            cls = TRANSFORMS.get(cls)
        if not issubclass(cls, (LoadImageFromFile, LoadAnnotations)):
            transforms.append(transform)
    return Compose([TRANSFORMS.build(t) for t in transforms])
