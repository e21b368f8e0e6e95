"""Build one split of the mmps annotation schema, counting what is dropped.

Used by the release converters in ``tools/dataset_converters``.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Set, Tuple

import numpy as np
from PIL import Image


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

    def add_image(self, file_name: str, width: int, height: int,
                  cam_id: int) -> int:
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
            count += (x < 0 or y < 0 or x + w > img['width']
                      or y + h > img['height'])
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
    by a note per split that repeats a person id within an image."""
    cols = ('images', 'ids', 'boxes_with_id', 'boxes_without_id',
            'degenerate_dropped', 'beyond_image', 'duplicate_ids', 'queries')
    widths = [len(c) + 2 for c in cols]
    lines = [f'{name} conversion summary',
             'split  ' + ''.join(f'{c:>{w}}' for c, w in zip(cols, widths))]
    for split, st in stats.items():
        lines.append(f'{split:<7}' + ''.join(
            f'{str(st.get(c, "-")):>{w}}' for c, w in zip(cols, widths)))
    for split, st in stats.items():
        if st.get('duplicate_ids'):
            lines.append(
                f'{split}: {st["duplicate_ids"]} labelled box(es) repeat a '
                'person id already labelled in the same image, e.g. '
                f'{st["duplicate_id_example"]}; kept (see '
                'docs/dataset_prepare.md)')
    return '\n'.join(lines)
