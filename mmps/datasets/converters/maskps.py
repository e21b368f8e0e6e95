"""Add the maskPS person masks to a converted training split.

maskPS (Zheng et al., "Segmentation Mask Guided End-to-End Person Search",
Sec. 3.1; github.com/Dingyuan-Zheng/maskPS) annotates the labelled persons
of 1,833 CUHK-SYSU training images (and, in the journal version, 495 PRW
images) with Labelme. Its release is a set of archives whose file format is
not documented (a 2019 ``dataset/readme.txt`` only says "images and the
related segmentation masks"), so this converter reads the two forms such
a release can take, from any folder depth under ``mask_dir``:

- Labelme JSON (``<image stem>.json``, or any name with ``imagePath``):
  ``shapes`` of type ``polygon`` (or without a type), grouped into one
  person by ``group_id`` when set, else by ``label``; written as COCO
  polygons;
- PNG masks: ``<image stem>.png`` holds one person per nonzero value
  (instance-valued; a 0/255 file is one person), ``<image stem>_<k>.png``
  one person (nonzero = foreground); written as COCO RLE.

Image files (``.jpg``, ``.jpeg``) and text files (``.txt``, ``.md``) are
ignored; any other file type is an error naming the file.

Each mask is matched to a labelled box (``person_id >= 0``) of its image
by a Hungarian assignment (``scipy.optimize.linear_sum_assignment``) on
the share of the mask's pixels inside the box, accepted at
``min_inside`` (0.5): accessories make masks stick out of boxes (Sec.
3.1). A matched box gets ``segmentation`` and ``mask_source:
'annotated'``; all others keep theirs (``'box'``). Unmatched masks,
polygons of fewer than 3 points and mask files of images outside the
split are counted and reported. A mask file of an image of the test split
(``test.json`` beside the training file, when present) is an error.

The command line is ``tools/dataset_converters/maskps.py``.
"""
import json
import os
import os.path as osp
from collections import Counter
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
import pycocotools.mask as mask_utils
from scipy.optimize import linear_sum_assignment

from ..annotation_file import load_annotation_file
from ..validation import validate_annotations

#: Mask file types read, and types ignored (the release's images, notes).
MASK_TYPES = ('.json', '.png')
IGNORED_TYPES = ('.jpg', '.jpeg', '.txt', '.md')
#: The counts returned by :func:`convert_maskps`.
STAT_KEYS = ('mask_files', 'images_with_masks', 'masked_labelled', 'unmasked_labelled',
             'unlabelled', 'other_images', 'other_labelled', 'other_unlabelled',
             'unmatched_masks', 'short_polygons', 'outside_split', 'schema_warnings')


def _stem(path: str) -> str:
    """File name without folder (``/`` or Labelme's Windows ``\\``) and
    extension."""
    return osp.splitext(path.replace('\\', '/').rsplit('/', 1)[-1])[0]


def list_mask_files(mask_dir: str) -> List[str]:
    """The Labelme JSON and PNG files under ``mask_dir``, sorted.

    Raises:
        FileNotFoundError: ``mask_dir`` is not a folder.
        ValueError: A file of another type (naming it), or no mask file at
            all (listing the types found).
    """
    if not osp.isdir(mask_dir):
        raise FileNotFoundError(f'maskPS folder {mask_dir} does not exist')
    found, types = [], Counter()
    for folder, _, names in sorted(os.walk(mask_dir)):
        for name in sorted(names):
            ext = osp.splitext(name)[1].lower()
            types[ext or '(none)'] += 1
            if ext in MASK_TYPES:
                found.append(osp.join(folder, name))
            elif ext not in IGNORED_TYPES:
                raise ValueError(
                    f'{osp.join(folder, name)}: unknown file type {ext or "(none)"!r}; '
                    'maskPS masks are read from Labelme JSON or PNG files')
    if not found:
        listed = ', '.join(f'{t} ({n})' for t, n in sorted(types.items())) or 'none'
        raise ValueError(f'no Labelme JSON or PNG mask under {mask_dir}; file types '
                         f'found: {listed}')
    return found


def read_labelme(data: dict, path: str, height: int,
                 width: int) -> Tuple[List[np.ndarray], List[list], int]:
    """The persons of one Labelme file.

    Args:
        data (dict): The parsed JSON file.
        path (str): Its path, for messages.
        height (int): Image height, for rasterising.
        width (int): Image width.

    Returns:
        tuple: (masks, polygons, short): per person a (H, W) bool mask and
        its COCO polygons, and the number of polygons skipped for having
        fewer than 3 points.

    Raises:
        ValueError: The file is not Labelme JSON (no ``shapes`` list).
    """
    if not isinstance(data.get('shapes'), list):
        raise ValueError(f'{path}: not a Labelme file (no "shapes" list)')
    groups: Dict[object, List[list]] = {}
    short = 0
    for shape in data['shapes']:
        if shape.get('shape_type', 'polygon') != 'polygon':
            continue
        points = shape.get('points') or []
        if len(points) < 3:
            short += 1
            continue
        key = shape.get('group_id')
        key = ('label', shape.get('label')) if key is None else ('group', key)
        groups.setdefault(key, []).append(
            np.asarray(points, np.float64).reshape(-1).tolist())
    masks, polygons = [], []
    for polys in groups.values():
        mask = np.zeros((height, width), np.uint8)
        cv2.fillPoly(
            mask,
            [np.round(np.asarray(p).reshape(-1, 2)).astype(np.int32) for p in polys], 1)
        masks.append(mask.astype(bool))
        polygons.append(polys)
    return masks, polygons, short


def read_png(path: str, per_person: bool) -> List[np.ndarray]:
    """The persons of one PNG file: the whole foreground when
    ``per_person``, else one mask per nonzero value."""
    image = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f'{path}: cannot be read as an image')
    if image.ndim == 3:  # colour-coded instances: one value per colour
        image = image.astype(np.int64) @ (256**np.arange(image.shape[2]))
    if per_person:
        return [image != 0]
    return [image == v for v in np.unique(image) if v != 0]


def match_masks(masks: List[np.ndarray], boxes: np.ndarray,
                min_inside: float) -> List[Tuple[int, int]]:
    """Pair masks with boxes by the share of mask pixels inside each box.

    Args:
        masks (list[np.ndarray]): M (H, W) bool masks.
        boxes (np.ndarray): (B, 4) x1y1x2y2 boxes.
        min_inside (float): Smallest share accepted.

    Returns:
        list[tuple[int, int]]: (mask index, box index) pairs of a maximum
        total share assignment, each share >= ``min_inside``.
    """
    if not masks or not len(boxes):
        return []
    share = np.zeros((len(masks), len(boxes)))
    for m, mask in enumerate(masks):
        ys, xs = np.nonzero(mask)
        if not len(xs):
            continue
        xs, ys = xs + 0.5, ys + 0.5  # pixel centres
        for b, (x1, y1, x2, y2) in enumerate(boxes):
            share[m, b] = np.mean((xs >= x1) & (xs <= x2) & (ys >= y1) & (ys <= y2))
    rows, cols = linear_sum_assignment(share, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if share[r, c] >= min_inside]


def _rle(mask: np.ndarray) -> dict:
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return dict(
        size=[int(s) for s in rle['size']], counts=rle['counts'].decode('ascii'))


def _image_stems(data: dict) -> Dict[str, dict]:
    return {_stem(img['file_name']): img for img in data['images']}


def convert_maskps(mask_dir: str,
                   train_file: str,
                   out_file: str,
                   test_file: Optional[str] = None,
                   min_inside: float = 0.5) -> dict:
    """Write ``out_file``: ``train_file`` with the maskPS masks added.

    Args:
        mask_dir (str): The unpacked maskPS release.
        train_file (str): The converted training split (mmps schema, e.g.
            ``data/CUHK-SYSU/mmps/train.json``).
        out_file (str): Output file (e.g. ``.../train_maskps.json``).
        test_file (str, optional): The test split, whose images must have
            no mask. Defaults to ``test.json`` beside ``train_file`` when
            that exists.
        min_inside (float): Smallest share of a mask's pixels inside its
            box. Defaults to 0.5.

    Returns:
        dict: Counts (:data:`STAT_KEYS`): ``mask_files``,
        ``images_with_masks``, ``masked_labelled``, ``unmasked_labelled``
        and ``unlabelled`` (persons of the images with masks),
        ``other_images``, ``other_labelled``, ``other_unlabelled`` (Table
        1's rows), ``unmatched_masks``, ``short_polygons``,
        ``outside_split`` (mask files of images not in the file),
        ``schema_warnings``.

    Raises:
        ValueError: A file type that is neither a mask nor ignored, a
            Labelme file without shapes, a mask of a test image, or an
            output that breaks the schema.
    """
    files = list_mask_files(mask_dir)
    data = load_annotation_file(train_file)
    if test_file is None:
        beside = osp.join(osp.dirname(train_file), 'test.json')
        test_file = beside if osp.isfile(beside) else None
    test_stems = set(_image_stems(
        load_annotation_file(test_file))) if test_file else set()
    images = _image_stems(data)
    anns_by_image: Dict[int, List[dict]] = {}
    for ann in data['annotations']:
        anns_by_image.setdefault(ann['image_id'], []).append(ann)

    stats = Counter({key: 0 for key in STAT_KEYS})
    stats['mask_files'] = len(files)
    per_image: Dict[int, List[Tuple[np.ndarray, object]]] = {}
    for path in files:
        stem = _stem(path)
        per_person = False
        if path.lower().endswith('.json'):
            labelme = load_annotation_file(path)
            stem = _stem(labelme['imagePath']) if labelme.get('imagePath') else stem
        elif stem not in images and stem not in test_stems and '_' in stem:
            stem, per_person = stem.rsplit('_', 1)[0], True
        if stem in test_stems:
            raise ValueError(f'{path}: a mask of test image {stem}; maskPS masks '
                             'are for training images only')
        if stem not in images:
            stats['outside_split'] += 1
            continue
        img = images[stem]
        if path.lower().endswith('.json'):
            masks, polygons, short = read_labelme(labelme, path, img['height'],
                                                  img['width'])
            stats['short_polygons'] += short
            per_image.setdefault(img['id'], []).extend(zip(masks, polygons))
        else:
            masks = read_png(path, per_person)
            for mask in masks:
                if mask.shape != (img['height'], img['width']):
                    raise ValueError(f'{path}: mask size {mask.shape} is not the '
                                     f'image size {(img["height"], img["width"])}')
            per_image.setdefault(img['id'], []).extend((m, None) for m in masks)

    for image_id, entries in per_image.items():
        labelled = [a for a in anns_by_image.get(image_id, []) if a['person_id'] >= 0]
        boxes = np.asarray([a['bbox'] for a in labelled], np.float64).reshape(-1, 4)
        boxes[:, 2:] += boxes[:, :2]
        pairs = match_masks([m for m, _ in entries], boxes, min_inside)
        stats['unmatched_masks'] += len(entries) - len(pairs)
        for m, b in pairs:
            mask, polygons = entries[m]
            labelled[b]['segmentation'] = polygons if polygons else _rle(mask)
            labelled[b]['mask_source'] = 'annotated'

    for img in data['images']:
        anns = anns_by_image.get(img['id'], [])
        masked = any(a.get('mask_source') == 'annotated' for a in anns)
        prefix = '' if masked else 'other_'
        stats['images_with_masks' if masked else 'other_images'] += 1
        stats[prefix + 'unlabelled'] += sum(a['person_id'] < 0 for a in anns)
        stats['masked_labelled' if masked else 'other_labelled'] += sum(
            a['person_id'] >= 0 and (not masked or a.get('mask_source') == 'annotated')
            for a in anns)
        if masked:
            stats['unmasked_labelled'] += sum(
                a['person_id'] >= 0 and a.get('mask_source') != 'annotated'
                for a in anns)
    report = validate_annotations(data, name=osp.basename(out_file))
    if report.violations:
        raise ValueError(f'{len(report.violations)} schema violation(s), e.g. '
                         f'{report.violations[0]}')
    stats['schema_warnings'] = len(report.warnings)
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    with open(out_file, 'w') as f:
        json.dump(data, f)
    return dict(stats)


def format_maskps_summary(stats: dict) -> str:
    """The printable summary of :func:`convert_maskps` (Table 1's rows
    first: maskPS's release has 1,833 images with 2,815 masked labelled
    and 6,269 unlabelled persons, 9,373 others with 12,270 / 33,918)."""
    return '\n'.join([
        f'images with masks: {stats["images_with_masks"]} '
        f'(labelled persons masked: {stats["masked_labelled"]}, '
        f'labelled without a mask: {stats["unmasked_labelled"]}, '
        f'unlabelled: {stats["unlabelled"]})',
        f'images without masks: {stats["other_images"]} '
        f'(labelled: {stats["other_labelled"]}, '
        f'unlabelled: {stats["other_unlabelled"]})',
        f'mask files: {stats["mask_files"]}, of images outside the split: '
        f'{stats["outside_split"]}, unmatched masks: {stats["unmatched_masks"]}, '
        f'polygons with < 3 points: {stats["short_polygons"]}',
        f'schema check passed: {stats["schema_warnings"]} warning(s)'
    ])
