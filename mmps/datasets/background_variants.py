"""Background-influence variants (BUFF, Sec. 3.1) of a test split, written
as a new dataset.

:func:`make_variant` reads an mmps-schema annotation file and its images and
writes ``OUT_DIR/images/...`` plus ``OUT_DIR/<annotation file name>``; the
json records what was done in ``info.background_influence``. Variants (every
GT box of an image is foreground, the rest background):

- ``mb`` / ``mf``: background / foreground set to the ImageNet mean pixel.
- ``rf``: foreground pixels replaced by random pixels of the same image.
- ``rb``, PRW style (``rb_mode='prw'``, the default for splits without
  gallery lists): every image's boxes pasted at their place onto the pure
  background of another, randomly drawn camera. Backgrounds come from a
  folder (``<cam_id>.png`` or ``c<cam_id>.jpg``), or are estimated per
  camera as the per-pixel median of up to ``bg_frames`` of that camera's
  frames (evenly spaced by image id), person boxes left out of the median;
  estimates are saved in ``OUT_DIR/backgrounds``.
- ``rb``, CUHK-SYSU style (``rb_mode='cuhk'``, the default for splits with
  gallery lists): each query box pasted, at its own size, centred on a
  random box of a random other scene, one outside the query's gallery lists
  that does not show the query person; the result is a new query-only
  image, listed in no gallery. Gallery images are copied unchanged and the
  gallery lists are kept (less the query's original image, if listed,
  which the original protocol excludes anyway). Only explicit gallery sizes
  are meaningful on this variant: the "all other images" mode would now
  contain the query's original image.

Changed images are written as PNG (lossless; the file name's extension
becomes ``.png``). Randomness is seeded with ``(seed, image id)``
(``(seed, query index)`` for CUHK-style RB), as in the pipeline transforms
of :mod:`mmps.datasets.transforms.background_influence`, which give the
same pixels on the fly. ``tools/misc/make_background_variant.py`` is the
command line.
"""
import json
import os
import os.path as osp
import shutil
import warnings
from typing import Callable, Dict, List, Optional, Sequence, Set, Union

import mmcv
import numpy as np
from mmengine.utils import ProgressBar

from mmps.structures import xywh_to_xyxy
from .transforms.background_influence import (MeanBackground, MeanForeground,
                                              RandomBackground, RandomForeground,
                                              boxes_to_mask, find_backgrounds)

#: The variants :func:`make_variant` writes.
VARIANTS = ('mb', 'mf', 'rf', 'rb')
#: The random-background styles; ``'auto'`` picks one from the protocol.
RB_MODES = ('auto', 'prw', 'cuhk')
#: Rows of a camera's frames taken at once by the median (memory bound).
MEDIAN_ROWS = 64


def read_image(img_dir: str, img: dict) -> np.ndarray:
    """The (H, W, 3) BGR pixels of an ``images[]`` entry.

    Unlike :func:`mmps.apis.images.read_image`, errors name the image id of
    the annotation file, and an undecodable file raises ``OSError``.

    Args:
        img_dir (str): Folder the ``file_name`` is relative to.
        img (dict): The ``images[]`` entry.

    Returns:
        np.ndarray: (H, W, 3) uint8 BGR image.
    """
    path = osp.join(img_dir, img['file_name'])
    if not osp.isfile(path):
        raise FileNotFoundError(f'image id {img["id"]}: {path} not found')
    pixels = mmcv.imread(path, 'color')
    if pixels is None:
        raise OSError(f'image id {img["id"]}: {path} cannot be decoded')
    return pixels


def boxes_by_image(data: dict) -> Dict[int, np.ndarray]:
    """Image id -> (N, 4) float64 x1y1x2y2 boxes of all its annotations."""
    boxes: Dict[int, List[List[float]]] = {img['id']: [] for img in data['images']}
    for ann in data['annotations']:
        boxes.setdefault(ann['image_id'], []).append(ann['bbox'])
    return {k: xywh_to_xyxy(v) for k, v in boxes.items()}


def _bar(total: int, progress: bool) -> Optional[ProgressBar]:
    return ProgressBar(total) if progress and total else None


def rewrite_images(data: dict,
                   img_dir: str,
                   out_img_dir: str,
                   transform: Callable[[dict], dict],
                   progress: bool = True) -> None:
    """Apply a background-influence transform to every image.

    Each image is written as PNG under ``out_img_dir``; its ``file_name`` in
    ``data`` (modified in place) gets the ``.png`` extension.

    Args:
        data (dict): The split's annotations.
        img_dir (str): Folder of the original images.
        out_img_dir (str): Folder of the written images.
        transform (Callable): One of the pipeline transforms of
            :mod:`mmps.datasets.transforms.background_influence`.
        progress (bool): Show a progress bar. Defaults to True.
    """
    names = [osp.splitext(img['file_name'])[0] + '.png' for img in data['images']]
    if len(set(names)) != len(names):
        raise ValueError('two images differ only by their extension; their '
                         'PNG variants would collide')
    boxes = boxes_by_image(data)
    bar = _bar(len(names), progress)
    for img, name in zip(data['images'], names):
        pixels = read_image(img_dir, img)
        results = transform(
            dict(
                img=pixels,
                img_id=img['id'],
                ori_shape=pixels.shape[:2],
                cam_id=img.get('cam_id', 0),
                instances=[dict(bbox=b) for b in boxes[img['id']].tolist()]))
        mmcv.imwrite(results['img'], osp.join(out_img_dir, name))
        img['file_name'] = name
        if bar is not None:
            bar.update()


def estimate_background(frames: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """Per-pixel median of a camera's frames over their background.

    Args:
        frames (np.ndarray): (F, H, W, 3) uint8 frames of one camera.
        masks (np.ndarray): (F, H, W) bool, True inside a person box.

    Returns:
        np.ndarray: (H, W, 3) uint8 background. A pixel covered by a box in
        every frame gets the median of all frames instead (a warning says
        how many).
    """
    num, height = frames.shape[:2]
    out = np.empty(frames.shape[1:], np.uint8)
    always_covered = 0
    for r0 in range(0, height, MEDIAN_ROWS):
        block = frames[:, r0:r0 + MEDIAN_ROWS].astype(np.float32)
        covered = masks[:, r0:r0 + MEDIAN_ROWS]
        block[covered] = np.nan
        with warnings.catch_warnings():  # all-NaN pixels, filled below
            warnings.simplefilter('ignore', RuntimeWarning)
            median = np.nanmedian(block, axis=0)
        never_free = covered.all(axis=0)
        if never_free.any():
            always_covered += int(never_free.sum())
            median[never_free] = np.median(
                frames[:, r0:r0 + MEDIAN_ROWS][:, never_free], axis=0)
        out[r0:r0 + MEDIAN_ROWS] = np.round(median)
    if always_covered:
        warnings.warn(f'{always_covered} background pixels are inside a box '
                      f'in all {num} frames; they take the plain median')
    return out


def camera_backgrounds(data: dict,
                       img_dir: str,
                       out_dir: str,
                       cams: Sequence[int],
                       bg_dir: Union[str, Dict[int, str], None] = None,
                       max_frames: int = 50,
                       progress: bool = True) -> Dict[int, str]:
    """Pure-background image path of every camera in ``cams``.

    Cameras with an image in ``bg_dir`` (a folder, or its
    :func:`find_backgrounds` result) use it; the others are estimated with
    :func:`estimate_background` from up to ``max_frames`` of their frames
    in ``data`` (evenly spaced by image id, same size as the first) and
    saved as ``out_dir/backgrounds/<cam_id>.png``.

    Args:
        data (dict): The split's annotations.
        img_dir (str): Folder of its images.
        out_dir (str): Output folder of the variant.
        cams (Sequence[int]): Cameras that need a background.
        bg_dir (str | dict[int, str], optional): Given backgrounds.
            Defaults to None (all estimated).
        max_frames (int): Frames per camera for an estimate. Defaults to 50.
        progress (bool): Show progress bars. Defaults to True.

    Returns:
        dict[int, str]: camera id -> image path, for every camera of
        ``bg_dir`` and ``cams``.
    """
    if max_frames < 1:
        raise ValueError(f'--bg-frames must be >= 1, got {max_frames}')
    if isinstance(bg_dir, str):
        paths = find_backgrounds(bg_dir)
    else:
        paths = dict(bg_dir or {})
    boxes = boxes_by_image(data)
    for cam in sorted(set(cams) - set(paths)):
        frames = sorted((img for img in data['images'] if img.get('cam_id', 0) == cam),
                        key=lambda i: i['id'])
        if not frames:
            raise ValueError(
                f'camera {cam} has no background'
                f'{" in " + bg_dir if isinstance(bg_dir, str) else ""} and '
                'no frames to estimate one from')
        pick = np.unique(
            np.linspace(0,
                        len(frames) - 1, min(max_frames, len(frames))).round())
        frames = [frames[int(i)] for i in pick]
        size = (frames[0]['height'], frames[0]['width'])
        frames = [f for f in frames if (f['height'], f['width']) == size]
        print(f'estimating the background of camera {cam} from '
              f'{len(frames)} frames')
        bar = _bar(len(frames), progress)
        stack = np.empty((len(frames), *size, 3), np.uint8)
        masks = np.empty((len(frames), *size), bool)
        for k, img in enumerate(frames):
            stack[k] = read_image(img_dir, img)
            masks[k] = boxes_to_mask(boxes[img['id']], *size)
            if bar is not None:
                bar.update()
        paths[cam] = osp.join(out_dir, 'backgrounds', f'{cam}.png')
        mmcv.imwrite(estimate_background(stack, masks), paths[cam])
    return paths


def _gallery_images(galleries: Dict[str, list], k: int) -> Set[int]:
    """Image ids of query ``k``'s gallery lists, all sizes together."""
    return {int(i) for lists in galleries.values() for i in lists[k]}


def paste_queries(data: dict,
                  img_dir: str,
                  out_img_dir: str,
                  seed: int,
                  progress: bool = True) -> List[List[int]]:
    """CUHK-SYSU style RB: move every query into a new query-only image.

    For query ``k`` (generator seeded with ``(seed, k)``): a scene is drawn
    among the images that hold a box, are neither the query's image nor in
    any of its gallery lists (all sizes), do not show the query person and
    are at least as large as the query patch (its box rounded outwards); a
    box of that scene is drawn, and the query patch is pasted centred on it
    (shifted to stay inside the image). Leaving the gallery images out
    keeps the query from sharing a background with the people it is
    searched among. The new image keeps the query's ``cam_id`` and holds the
    pasted query box (its person id) and the scene's other boxes as
    unlabelled persons, all with ``mask_source='box'`` (the paste may cover
    parts of them, so no mask is carried over). ``data`` is modified in
    place; the original images are copied unchanged.

    Args:
        data (dict): A test split with protocol queries.
        img_dir (str): Folder of its images.
        out_img_dir (str): Folder of the written images.
        seed (int): Seed of the draws.
        progress (bool): Show a progress bar. Defaults to True.

    Returns:
        list[list[int]]: per query, the scene image id and the id of the
        annotation the query was pasted on.

    Raises:
        ValueError: The split has no queries, or a query has no image left
            to paste it into (the message names the query).
    """
    protocol = data.get('protocol') or {}
    queries = protocol.get('queries') or []
    if not queries:
        raise ValueError('CUHK-SYSU style RB needs the protocol queries of a '
                         'test split; the annotation file has none')
    galleries = protocol.get('galleries') or {}
    images = {img['id']: img for img in data['images']}
    anns_by_image: Dict[int, List[dict]] = {}
    for ann in data['annotations']:
        anns_by_image.setdefault(ann['image_id'], []).append(ann)
    scene_ids = np.array(sorted(i for i in images if anns_by_image.get(i)), np.int64)
    scene_w = np.array([images[i]['width'] for i in scene_ids])
    scene_h = np.array([images[i]['height'] for i in scene_ids])
    holders: Dict[int, List[int]] = {}
    for ann in data['annotations']:
        holders.setdefault(ann['person_id'], []).append(ann['image_id'])
    next_img = max(images) + 1
    next_ann = max((a['id'] for a in data['annotations']), default=0) + 1
    bar = _bar(len(images) + len(queries), progress)
    for img in data['images']:
        dst = osp.join(out_img_dir, img['file_name'])
        src = osp.join(img_dir, img['file_name'])
        if not osp.isfile(src):
            raise FileNotFoundError(f'image id {img["id"]}: {src} not found')
        os.makedirs(osp.dirname(dst), exist_ok=True)
        shutil.copyfile(src, dst)
        if bar is not None:
            bar.update()
    used = []
    for k, query in enumerate(queries):
        x1, y1, x2, y2 = xywh_to_xyxy(query['bbox'])[0].tolist()
        src_img = images[query['image_id']]
        c1, r1 = max(int(np.floor(x1)), 0), max(int(np.floor(y1)), 0)
        c2 = min(int(np.ceil(x2)), src_img['width'])
        r2 = min(int(np.ceil(y2)), src_img['height'])
        # the query's own image holds the query person in a valid file
        # (validate_annotations); excluding it explicitly covers one that
        # does not
        excluded = _gallery_images(galleries, k) | {query['image_id']}
        excluded.update(holders.get(query['person_id'], []))
        candidates = scene_ids[(scene_w >= c2 - c1) & (scene_h >= r2 - r1)
                               & ~np.isin(scene_ids, sorted(excluded))]
        if not len(candidates):
            raise ValueError(
                f'query {k} (image id {query["image_id"]}, person id '
                f'{query["person_id"]}): no image outside its gallery lists '
                'that has a box, does not show this person and is large '
                'enough to paste the query into')
        rng = np.random.default_rng([seed, k])
        scene = images[int(candidates[rng.integers(len(candidates))])]
        scene_anns = anns_by_image[scene['id']]
        target = scene_anns[int(rng.integers(len(scene_anns)))]
        tx1, ty1, tx2, ty2 = xywh_to_xyxy(target['bbox'])[0].tolist()
        left = int(
            np.clip(
                np.floor((tx1 + tx2 - (c2 - c1)) / 2 + 0.5), 0,
                scene['width'] - (c2 - c1)))
        top = int(
            np.clip(
                np.floor((ty1 + ty2 - (r2 - r1)) / 2 + 0.5), 0,
                scene['height'] - (r2 - r1)))
        pixels = read_image(img_dir, scene).copy()
        pixels[top:top + r2 - r1,
               left:left + c2 - c1] = read_image(img_dir, src_img)[r1:r2, c1:c2]
        name = f'rb_queries/query_{k:06d}.png'
        mmcv.imwrite(pixels, osp.join(out_img_dir, name))
        bbox = [x1 - c1 + left, y1 - r1 + top, x2 - x1, y2 - y1]
        new_img = dict(
            id=next_img,
            file_name=name,
            width=scene['width'],
            height=scene['height'],
            cam_id=src_img.get('cam_id', 0))
        new_anns = [dict(bbox=bbox, person_id=query['person_id'])] + [
            dict(bbox=a['bbox'], person_id=-1) for a in scene_anns if a is not target
        ]
        for ann in new_anns:
            ann.update(
                id=next_ann,
                image_id=next_img,
                category_id=1,
                area=float(ann['bbox'][2] * ann['bbox'][3]),
                iscrowd=0,
                mask_source='box')
            data['annotations'].append(ann)
            next_ann += 1
        data['images'].append(new_img)
        for lists in galleries.values():
            lists[k] = [i for i in lists[k] if i != query['image_id']]
        query.update(image_id=next_img, bbox=bbox)
        used.append([scene['id'], target['id']])
        next_img += 1
        if bar is not None:
            bar.update()
    return used


def make_variant(ann_file: str,
                 img_dir: str,
                 out_dir: str,
                 variant: str,
                 seed: int = 0,
                 rb_mode: str = 'auto',
                 backgrounds: Optional[str] = None,
                 bg_frames: int = 50,
                 rf_source: str = 'image',
                 progress: bool = True) -> str:
    """Write one background-influence variant of a split (module docstring).

    Args:
        ann_file (str): mmps-schema annotation file (a test split).
        img_dir (str): Folder its ``file_name`` entries are relative to.
        out_dir (str): Output folder (``images/``, the json, and
            ``backgrounds/`` for estimated PRW-style backgrounds).
        variant (str): One of :data:`VARIANTS`.
        seed (int): Seed of the random variants. Defaults to 0.
        rb_mode (str): ``'auto'`` (``'cuhk'`` when the protocol has gallery
            lists, else ``'prw'``), ``'prw'`` or ``'cuhk'``. Defaults to
            ``'auto'``.
        backgrounds (str, optional): Folder of pure backgrounds by camera id
            (PRW style); cameras missing there are estimated. Defaults to
            None.
        bg_frames (int): Frames per camera for the background estimate.
            Defaults to 50.
        rf_source (str): ``'background'`` or ``'image'``, see
            :class:`RandomForeground`. Defaults to ``'image'``.
        progress (bool): Show progress bars. Defaults to True.

    Returns:
        str: Path of the written annotation file.
    """
    if variant not in VARIANTS:
        raise ValueError(f'unknown variant {variant!r}; choose from {VARIANTS}')
    if rb_mode not in RB_MODES:
        raise ValueError(f"rb_mode must be 'auto', 'prw' or 'cuhk', got {rb_mode!r}")
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'annotation file not found: {ann_file}')
    if not osp.isdir(img_dir):
        raise FileNotFoundError(f'image folder not found: {img_dir}')
    out_img_dir = osp.join(out_dir, 'images')
    if osp.abspath(out_img_dir) == osp.abspath(img_dir):
        raise ValueError(f'{out_img_dir} is the input image folder; choose '
                         'another OUT_DIR')
    with open(ann_file) as f:
        data = json.load(f)
    info = dict(variant=variant, seed=seed, source=osp.abspath(ann_file))
    transform = None
    if variant == 'mb':
        transform = MeanBackground()
    elif variant == 'mf':
        transform = MeanForeground()
    elif variant == 'rf':
        transform = RandomForeground(source=rf_source, seed=seed)
        info['rf_source'] = rf_source
    else:
        if rb_mode == 'auto':
            has_lists = bool((data.get('protocol') or {}).get('galleries'))
            rb_mode = 'cuhk' if has_lists else 'prw'
        info['rb_mode'] = rb_mode
        if rb_mode == 'cuhk':
            info['rb_scenes'] = paste_queries(data, img_dir, out_img_dir, seed,
                                              progress)
        else:
            cams = sorted({img.get('cam_id', 0) for img in data['images']})
            given = find_backgrounds(backgrounds) if backgrounds else {}
            if len(set(cams) | set(given)) < 2:
                raise ValueError(
                    f'PRW-style RB pastes onto another camera, but the split '
                    f'has only camera(s) {cams} and no other background was '
                    'given (--backgrounds); use --rb-mode cuhk')
            paths = camera_backgrounds(data, img_dir, out_dir, cams, given, bg_frames,
                                       progress)
            info['backgrounds'] = {str(c): osp.abspath(p) for c, p in paths.items()}
            transform = RandomBackground(paths, seed=seed)
    if transform is not None:
        rewrite_images(data, img_dir, out_img_dir, transform, progress)
    data.setdefault('info', {})['background_influence'] = info
    out_file = osp.join(out_dir, osp.basename(ann_file))
    with open(out_file, 'w') as f:
        json.dump(data, f)
    return out_file
