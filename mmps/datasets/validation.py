"""Validate person-search annotations against the mmps schema.

Every violation is reported with the file and the offending index, e.g.
``test.json: annotations[12]: bbox [..] lies entirely outside the 240x160
image``. Besides ids, boxes and the protocol, each box's ``mask_source``
(``'annotated'`` needs a segmentation) and the segmentation format
(polygons of >= 3 points, or an RLE of the image size) are checked.

A test split (``info.split == 'test'``) must hold a protocol. Given an
image folder, every file must exist and be non-empty; the images of a test
split are also decoded by default, since the evaluation cannot run without
any of them.

Two findings are warnings, not violations, because the real releases have
them and the reference evaluation keeps them: a box that extends past the
image border (the converters do not clip, ``docs/dataset_prepare.md``) and
a person id labelled on two boxes of one image (PRW has a few).
"""
import os
import os.path as osp
from collections import Counter
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Set, Tuple, Union

import cv2

from .annotation_file import load_annotation_file

#: Values of an annotation's ``mask_source``: a real person mask, or none
#: (the box stands in).
MASK_SOURCES = ('annotated', 'box')


class AnnotationReport(NamedTuple):
    """What :func:`validate_annotations` found.

    Both lists hold messages ``'<file>: <where>: <what>'``.

    Attributes:
        violations (list[str]): Schema violations; the annotations are
            valid when there is none.
        warnings (list[str]): Findings of the real releases that the
            reference evaluation keeps (a box extending past the image, a
            person id repeated within an image).
    """
    violations: List[str]
    warnings: List[str]


def image_file_problem(path: str, decode: bool = False) -> Optional[str]:
    """Why the image file ``path`` is unusable, or None when it is fine.

    Args:
        path (str): The image file.
        decode (bool): Also decode it (OpenCV, as mmcv's loading does);
            otherwise only its existence and size are checked. Defaults to
            False.

    Returns:
        str | None: ``'missing image file <path>'``, ``'empty image file
        <path> (0 bytes)'``, ``'corrupt image file <path> (N bytes, cannot
        be decoded)'``, or None.
    """
    if not osp.isfile(path):
        return f'missing image file {path}'
    size = os.stat(path).st_size
    if size == 0:
        return f'empty image file {path} (0 bytes)'
    if decode and cv2.imread(path) is None:
        return f'corrupt image file {path} ({size} bytes, cannot be decoded)'
    return None


def validate_annotations(ann: Union[str, dict],
                         img_dir: Optional[str] = None,
                         name: Optional[str] = None,
                         decode: Optional[bool] = None) -> AnnotationReport:
    """Schema violations and warnings of one split.

    Args:
        ann (str | dict): Path of an mmps-schema JSON file, or its parsed
            content (as a converter holds it before writing).
        img_dir (str, optional): When given, each ``file_name`` must be a
            non-empty file under it. Defaults to None (files are not looked
            up).
        name (str, optional): File name that starts every message.
            Defaults to the base name of ``ann``, or ``'annotations'`` for
            a dict.
        decode (bool, optional): With ``img_dir``, also decode every
            image. Defaults to None: decode the images of a test split
            (``info.split == 'test'``) only.

    Returns:
        AnnotationReport: The violations and the warnings.

    Raises:
        FileNotFoundError: ``ann`` is a path that does not exist.
        ValueError: ``ann`` is a file that is not valid JSON, naming it
            (:func:`load_annotation_file`).
    """
    if isinstance(ann, str):
        name = name or osp.basename(ann)
        data = load_annotation_file(ann)
    else:
        name, data = name or 'annotations', ann
    violations: List[str] = []
    warnings: List[str] = []

    def report(where: str, what: str) -> None:
        violations.append(f'{name}: {where}: {what}')

    def warn(where: str, what: str) -> None:
        warnings.append(f'{name}: {where}: {what}')

    for key in ('images', 'annotations', 'categories'):
        if key not in data:
            report(key, 'missing')
    is_test = (data.get('info') or {}).get('split') == 'test'
    images = _check_images(
        data.get('images', []), img_dir, is_test if decode is None else decode, report)
    ids_by_image = _check_annotations(data.get('annotations', []), images, report, warn)
    protocol = data.get('protocol')
    if protocol:
        _check_protocol(protocol, images, ids_by_image, report, warn)
    elif is_test:
        report(
            'protocol', 'missing or empty: a test split needs the search '
            'protocol (queries, galleries) to be evaluated')
    return AnnotationReport(violations, warnings)


def format_report(report: AnnotationReport,
                  num_files: int = 1,
                  max_warnings: int = 20) -> str:
    """The printable report of one or several files.

    Warnings come first (``'warning: '`` and the message, at most
    ``max_warnings`` of them and a count of the rest), then every
    violation, then a summary line such as ``0 violation(s), 3 warning(s)
    in 1 file(s)``.

    Args:
        report (AnnotationReport): Findings, of all files together.
        num_files (int): Files the findings come from. Defaults to 1.
        max_warnings (int): Warnings to list; -1 lists all. Defaults to 20.

    Returns:
        str: Lines joined by newlines.
    """
    warnings = report.warnings
    shown = warnings if max_warnings < 0 else warnings[:max_warnings]
    lines = [f'warning: {line}' for line in shown]
    if len(shown) < len(warnings):
        lines.append(f'... {len(warnings) - len(shown)} more warning(s) not '
                     'shown (--max-warnings -1 shows all)')
    lines += report.violations
    lines.append(f'{len(report.violations)} violation(s), {len(warnings)} '
                 f'warning(s) in {num_files} file(s)')
    return '\n'.join(lines)


def _check_box(box: Any, width: int,
               height: int) -> Tuple[Optional[str], Optional[str]]:
    """(violation, warning) of an [x, y, w, h] box in a width x height
    image; each None when there is none."""
    if not isinstance(box, (list, tuple)) or len(box) != 4:
        return f'bbox {box!r} is not [x, y, w, h]', None
    x, y, w, h = box
    if not (w > 0 and h > 0):
        return f'bbox {box} has w or h <= 0', None
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        return (f'bbox {box} lies entirely outside the {width}x{height} '
                'image'), None
    if x < 0 or y < 0 or x + w > width + 1e-3 or y + h > height + 1e-3:
        return None, (f'bbox {box} extends beyond the {width}x{height} '
                      'image (allowed: the reference evaluation uses the '
                      'release boxes unclipped)')
    return None, None


def _report_box(where: str, box: Any, img: dict, report: Callable[[str, str], None],
                warn: Callable[[str, str], None]) -> None:
    """Report the violation or warning of one box of image ``img``."""
    problem, warning = _check_box(box, img.get('width', 0), img.get('height', 0))
    if problem:
        report(where, problem)
    if warning:
        warn(where, warning)


def _check_segmentation(seg: Any, width: int, height: int) -> Optional[str]:
    """Why a segmentation is neither COCO polygons nor an RLE of the
    image size; None when it is one of them."""
    if isinstance(seg, dict):
        if list(seg.get('size', [])) != [height, width]:
            return (f'RLE size {seg.get("size")} is not the image size '
                    f'[{height}, {width}]')
        if not isinstance(seg.get('counts'), (str, list)):
            return 'RLE has no counts'
        return None
    if not isinstance(seg, list) or not seg:
        return 'segmentation is neither a polygon list nor an RLE dict'
    for k, poly in enumerate(seg):
        if not isinstance(poly, list) or len(poly) < 6 or len(poly) % 2:
            return (f'segmentation polygon {k} does not have an even number '
                    '(>= 6) of coordinates')
    return None


def _check_mask(ann: dict, img: dict) -> List[str]:
    """Problems with ``mask_source`` and ``segmentation`` of one box."""
    out = []
    source, seg = ann.get('mask_source'), ann.get('segmentation')
    if source not in MASK_SOURCES:
        out.append('missing "mask_source"' if source is None else
                   f'mask_source {source!r} is not one of {MASK_SOURCES}')
    elif source == 'annotated' and not seg:
        out.append("mask_source 'annotated' without a segmentation")
    if seg:
        problem = _check_segmentation(seg, img.get('width', 0), img.get('height', 0))
        if problem:
            out.append(problem)
    return out


def _check_images(images: List[dict], img_dir: Optional[str], decode: bool,
                  report: Callable[[str, str], None]) -> Dict[int, dict]:
    """Fields, unique ids and file names of ``images[]``, and with
    ``img_dir`` their files (:func:`image_file_problem`).

    Returns:
        dict[int, dict]: The first image entry of every id.
    """
    by_id: Dict[int, dict] = {}
    id_counts = Counter(img.get('id') for img in images)
    seen_files: Set[str] = set()
    for k, img in enumerate(images):
        for field in ('id', 'file_name', 'width', 'height', 'cam_id'):
            if field not in img:
                report(f'images[{k}]', f'missing "{field}"')
        if id_counts[img.get('id')] > 1:
            report(f'images[{k}]', f'duplicate image id {img.get("id")}')
        file_name = img.get('file_name')
        if file_name in seen_files:
            report(f'images[{k}]', f'duplicate file_name {file_name}')
        seen_files.add(file_name)
        if img_dir is not None and file_name is not None:
            problem = image_file_problem(osp.join(img_dir, file_name), decode)
            if problem:
                report(f'images[{k}]', problem)
        by_id.setdefault(img.get('id'), img)
    return by_id


def _check_annotations(annotations: List[dict], images: Dict[int, dict],
                       report: Callable[[str, str], None],
                       warn: Callable[[str, str], None]) -> Dict[int, Set[int]]:
    """Ids, boxes, masks and person ids of ``annotations[]``.

    Returns:
        dict[int, set[int]]: The labelled person ids of every image id.
    """
    ann_counts = Counter(a.get('id') for a in annotations)
    ids_by_image: Dict[int, Set[int]] = {}
    for k, ann in enumerate(annotations):
        where = f'annotations[{k}]'
        if ann_counts[ann.get('id')] > 1:
            report(where, f'duplicate annotation id {ann.get("id")}')
        img = images.get(ann.get('image_id'))
        if img is None:
            report(where, f'unknown image id {ann.get("image_id")}')
            continue
        _report_box(where, ann.get('bbox'), img, report, warn)
        for problem in _check_mask(ann, img):
            report(where, problem)
        pid = ann.get('person_id')
        if not isinstance(pid, int) or pid < -1:
            report(where, f'person_id {pid!r} is neither >= 0 nor -1')
            continue
        if pid >= 0:
            if pid in ids_by_image.get(img['id'], ()):
                warn(
                    where, f'person id {pid} already labelled in image id '
                    f'{img["id"]} (kept: the evaluation counts the image '
                    'once per query)')
            ids_by_image.setdefault(img['id'], set()).add(pid)
    return ids_by_image


def _check_protocol(protocol: dict, images: Dict[int, dict],
                    ids_by_image: Dict[int, Set[int]],
                    report: Callable[[str, str], None], warn: Callable[[str, str],
                                                                       None]) -> None:
    """Queries inside known images and findable in every gallery."""
    queries = protocol.get('queries') or []
    if not queries:
        report('protocol.queries', 'missing or empty')
    for k, q in enumerate(queries):
        where = f'protocol.queries[{k}]'
        img = images.get(q.get('image_id'))
        if img is None:
            report(where, f'unknown image id {q.get("image_id")}')
            continue
        _report_box(where, q.get('bbox'), img, report, warn)
        if q.get('person_id') not in ids_by_image.get(img['id'], set()):
            report(where, f'person id {q.get("person_id")} has no GT box '
                   'in its image')
    galleries = protocol.get('galleries') or {}
    if not galleries:  # all other test images
        holders = Counter(pid for pids in ids_by_image.values() for pid in pids)
        for k, q in enumerate(queries):
            pid = q.get('person_id')
            own = pid in ids_by_image.get(q.get('image_id'), ())
            if holders[pid] - own < 1:
                report(f'protocol.galleries[all][{k}]',
                       f'query id {pid} absent from the gallery')
    for size, lists in galleries.items():
        if len(lists) != len(queries):
            report(f'protocol.galleries[{size}]',
                   f'{len(lists)} lists for {len(queries)} queries')
        for k, (q, gallery) in enumerate(zip(queries, lists)):
            where = f'protocol.galleries[{size}][{k}]'
            unknown = [i for i in gallery if i not in images]
            if unknown:
                report(where, f'unknown image ids {unknown[:5]}')
            if not any(
                    q.get('person_id') in ids_by_image.get(i, ())
                    for i in gallery if i != q.get('image_id')):
                report(where, f'query id {q.get("person_id")} absent from '
                       'the gallery')
    for subset, indices in (protocol.get('subsets') or {}).items():
        bad = [i for i in indices if not 0 <= i < len(queries)]
        if bad:
            report(f'protocol.subsets[{subset}]',
                   f'query indices {bad[:5]} out of range')
