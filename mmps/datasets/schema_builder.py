"""Build one split of the mmps annotation schema, counting what is dropped.

Used by the release converters in ``tools/dataset_converters``.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image


class SchemaBuilder:
    """Accumulates images, boxes and the protocol of one split.

    Boxes are clipped to the image; boxes whose width or height is not
    positive afterwards are dropped and counted in ``num_degenerate``.
    The releases carry no person masks, so every box is written with
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
        self._sizes: Dict[int, tuple] = {}

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
        self._sizes[image_id] = (width, height)
        return image_id

    def clip_box(self, image_id: int,
                 xywh: Sequence[float]) -> Optional[List[float]]:
        """Clip an (x, y, w, h) box to its image; None when degenerate."""
        width, height = self._sizes[image_id]
        x, y, w, h = (float(v) for v in xywh)
        if not (w > 0 and h > 0):
            return None
        x1, y1 = min(max(x, 0.0), width), min(max(y, 0.0), height)
        x2, y2 = min(max(x + w, 0.0), width), min(max(y + h, 0.0), height)
        if x2 - x1 <= 0 or y2 - y1 <= 0:
            return None
        return [x1, y1, x2 - x1, y2 - y1]

    def add_box(self, image_id: int, xywh: Sequence[float],
                person_id: int) -> Optional[int]:
        """Add a box; returns its annotation index or None if dropped."""
        box = self.clip_box(image_id, xywh)
        if box is None:
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

    def stats(self) -> dict:
        """Counts comparable with the papers' dataset tables."""
        pids = np.asarray([a['person_id'] for a in self.annotations], int)
        out = dict(
            images=len(self.images),
            ids=int(len(np.unique(pids[pids >= 0]))),
            boxes_with_id=int((pids >= 0).sum()),
            boxes_without_id=int((pids < 0).sum()),
            degenerate_dropped=self.num_degenerate)
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
    """A printable table of :meth:`SchemaBuilder.stats` per split."""
    cols = ('images', 'ids', 'boxes_with_id', 'boxes_without_id',
            'degenerate_dropped', 'queries')
    lines = [f'{name} conversion summary',
             'split  ' + ''.join(f'{c:>20}' for c in cols)]
    for split, st in stats.items():
        lines.append(f'{split:<7}' +
                     ''.join(f'{str(st.get(c, "-")):>20}' for c in cols))
    return '\n'.join(lines)
