"""Build one split of the mmps annotation schema, counting what is dropped,
and write validated splits.

Used by the release converters of :mod:`mmps.datasets.converters`.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Set, Tuple

import numpy as np
from PIL import Image

from ..validation import validate_annotations


class SchemaBuilder:
    """Accumulates images, boxes and the protocol of one split.

    Boxes are stored as the converter passes them: the converters apply the
    reference loader's rule for their release (``docs/dataset_prepare.md``),
    so a box may extend past the image border. Boxes whose width or height
    is not positive are dropped and counted in ``num_degenerate``. The
    releases carry no person masks, so every box is written with
    ``mask_source='box'`` (its mask, if a model needs one, is the box).

    Args:
        dataset (str): ``info.dataset`` value, e.g. ``'cuhk_sysu'``.
        split (str): ``'train'`` or ``'test'``.
    """

    def __init__(self, dataset: str, split: str) -> None:
        self.dataset = dataset
        self.split = split
        self.images: List[dict] = []
        self.annotations: List[dict] = []
        self.protocol: Optional[dict] = None
        self.num_degenerate = 0

    def add_image(self, file_name: str, width: int, height: int, cam_id: int) -> int:
        """Register an image; returns its id (1-based, in insertion order)."""
        image_id = len(self.images) + 1
        self.images.append(
            dict(
                id=image_id,
                file_name=file_name,
                width=int(width),
                height=int(height),
                cam_id=int(cam_id)))
        return image_id

    def add_box(self, image_id: int, xywh: Sequence[float],
                person_id: int) -> Optional[int]:
        """Add an (x, y, w, h) box; returns its annotation index, or None
        when w or h <= 0 (dropped and counted)."""
        box = [float(v) for v in xywh]
        if not (box[2] > 0 and box[3] > 0):
            self.num_degenerate += 1
            return None
        self.annotations.append(
            dict(
                id=len(self.annotations) + 1,
                image_id=image_id,
                category_id=1,
                bbox=box,
                area=box[2] * box[3],
                iscrowd=0,
                person_id=int(person_id),
                mask_source='box'))
        return len(self.annotations) - 1

    def set_box(self, index: int, xywh: Sequence[float]) -> None:
        """Replace the (x, y, w, h) box of annotation ``index``."""
        box = [float(v) for v in xywh]
        if not (box[2] > 0 and box[3] > 0):
            raise ValueError(f'{self.dataset} {self.split}: box {box} of '
                             f'annotation {index} has w or h <= 0')
        self.annotations[index].update(bbox=box, area=box[2] * box[3])

    def duplicate_ids(self) -> Tuple[int, Optional[str]]:
        """Labelled boxes whose person id already labels another box of the
        same image: their number and the first one as ``'<file> id <k>'``
        (None when there is none)."""
        seen: Set[Tuple[int, int]] = set()
        count, example = 0, None
        for ann in self.annotations:
            if ann['person_id'] < 0:
                continue
            key = (ann['image_id'], ann['person_id'])
            if key in seen:
                count += 1
                if example is None:
                    name = self.images[ann['image_id'] - 1]['file_name']
                    example = f'{name} id {ann["person_id"]}'
            seen.add(key)
        return count, example

    def num_beyond_image(self) -> int:
        """Boxes that extend past their image's border."""
        count = 0
        for ann in self.annotations:
            img = self.images[ann['image_id'] - 1]
            x, y, w, h = ann['bbox']
            count += (x < 0 or y < 0 or x + w > img['width'] or y + h > img['height'])
        return count

    def stats(self) -> dict:
        """Counts comparable with the papers' dataset tables, plus what the
        conversion kept or dropped."""
        pids = np.asarray([a['person_id'] for a in self.annotations], int)
        duplicates, example = self.duplicate_ids()
        out = dict(
            images=len(self.images),
            ids=int(len(np.unique(pids[pids >= 0]))),
            boxes_with_id=int((pids >= 0).sum()),
            boxes_without_id=int((pids < 0).sum()),
            degenerate_dropped=self.num_degenerate,
            beyond_image=self.num_beyond_image(),
            duplicate_ids=duplicates,
            duplicate_id_example=example)
        if self.protocol is not None:
            queries = self.protocol['queries']
            out['queries'] = len(queries)
            out['query_ids'] = len({q['person_id'] for q in queries})
        return out

    def to_dict(self) -> dict:
        """The schema dict (``docs/design.md``)."""
        out = dict(
            info=dict(dataset=self.dataset, split=self.split),
            categories=[dict(id=1, name='person')],
            images=self.images,
            annotations=self.annotations)
        if self.protocol is not None:
            out['protocol'] = self.protocol
        return out

    def dump(self, path: str) -> None:
        """Write the schema JSON to ``path`` (parent folders created).

        Compact separators and one ``json.dumps`` call: the CUHK-SYSU
        galleries hold 22 million image ids, and ``json.dump`` would write
        them chunk by chunk.
        """
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        with open(path, 'w') as f:
            f.write(json.dumps(self.to_dict(), separators=(',', ':')))


def dump_splits(builders: Dict[str, SchemaBuilder], out_dir: str) -> Dict[str, dict]:
    """Validate every split, then write ``<out_dir>/<split>.json``.

    The output is checked with :func:`validate_annotations` before anything
    is written, so a conversion that would break the schema leaves no file
    behind.

    Args:
        builders (dict[str, SchemaBuilder]): Split name -> its builder.
        out_dir (str): Output folder (created).

    Returns:
        dict[str, dict]: Per split, :meth:`SchemaBuilder.stats` plus
        ``schema_warnings``, the number of validation warnings (boxes past
        the image border, person ids repeated within an image).

    Raises:
        ValueError: A split violates the schema; the message gives the
            number of violations and the first one.
    """
    stats = {}
    for split, builder in builders.items():
        name = f'{split}.json'
        report = validate_annotations(builder.to_dict(), name=name)
        if report.violations:
            raise ValueError(
                f'{builder.dataset} conversion: {name} would violate the mmps '
                f'schema ({len(report.violations)} violation(s), nothing '
                f'written); the first: {report.violations[0]}')
        stats[split] = dict(builder.stats(), schema_warnings=len(report.warnings))
    for split, builder in builders.items():
        builder.dump(osp.join(out_dir, f'{split}.json'))
    return stats


def require_path(path: str, what: str, release: str) -> str:
    """``path``, or a FileNotFoundError naming ``what`` of ``release``.

    Args:
        path (str): A file or folder of the release.
        what (str): What it is, e.g. ``'Images.mat'``.
        release (str): The release, e.g. ``'CUHK-SYSU'``.

    Returns:
        str: ``path``, which exists.
    """
    if not osp.exists(path):
        raise FileNotFoundError(f'{release} {what} not found: expected it at {path} '
                                '(see docs/dataset_prepare.md for the release layout)')
    return path


def image_size(path: str) -> Tuple[int, int]:
    """(width, height) from an image header.

    Raises:
        OSError: Naming ``path`` when the file is missing or not an image.
    """
    try:
        with Image.open(path) as im:
            return im.size
    except OSError as err:
        raise OSError(f'cannot read image {path}: {err}') from err


def format_summary(name: str, stats: Dict[str, dict]) -> str:
    """A printable table of :meth:`SchemaBuilder.stats` per split, followed
    by a note per split that repeats a person id within an image and, for
    the statistics of :func:`dump_splits`, the schema check."""
    cols = ('images', 'ids', 'boxes_with_id', 'boxes_without_id', 'degenerate_dropped',
            'beyond_image', 'duplicate_ids', 'queries')
    widths = [len(c) + 2 for c in cols]
    lines = [
        f'{name} conversion summary',
        'split  ' + ''.join(f'{c:>{w}}' for c, w in zip(cols, widths))
    ]
    for split, st in stats.items():
        lines.append(f'{split:<7}' + ''.join(f'{str(st.get(c, "-")):>{w}}'
                                             for c, w in zip(cols, widths)))
    for split, st in stats.items():
        if st.get('duplicate_ids'):
            lines.append(f'{split}: {st["duplicate_ids"]} labelled box(es) repeat a '
                         'person id already labelled in the same image, e.g. '
                         f'{st["duplicate_id_example"]}; kept (see '
                         'docs/dataset_prepare.md)')
    if all('schema_warnings' in st for st in stats.values()):
        warned = sum(st['schema_warnings'] for st in stats.values())
        lines.append(f'schema check passed: 0 violations, {warned} warning(s) (boxes '
                     'past the image border, ids repeated within an image; '
                     'tools/misc/check_dataset.py lists them)')
    return '\n'.join(lines)
