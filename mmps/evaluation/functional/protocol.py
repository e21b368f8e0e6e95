"""The search protocol of a test split, read from the annotation JSON."""
import json
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Union

import numpy as np

from mmps.structures import xywh_to_xyxy


@dataclass
class SearchProtocol:
    """Images, ground truth, queries and galleries of one test split.

    Images are addressed by their position ``0 .. I - 1`` in ``img_ids``.

    Attributes:
        dataset (str): ``info.dataset`` of the annotation file.
        img_ids (np.ndarray): (I,) image ids.
        img_cams (np.ndarray): (I,) camera id per image (0 when absent).
        gt_boxes (np.ndarray): (G, 4) x1y1x2y2 ground-truth boxes.
        gt_imgs (np.ndarray): (G,) image index of each box.
        gt_pids (np.ndarray): (G,) person id, -1 unlabelled.
        query_imgs (np.ndarray): (Q,) image index of each query.
        query_boxes (np.ndarray): (Q, 4) x1y1x2y2 query boxes.
        query_pids (np.ndarray): (Q,) person id of each query.
        galleries (dict[str, list[np.ndarray]]): gallery size -> Q arrays of
            image indices; empty when every other image is the gallery.
        subsets (dict[str, np.ndarray]): subset name -> query indices.
    """

    dataset: str
    img_ids: np.ndarray
    img_cams: np.ndarray
    gt_boxes: np.ndarray
    gt_imgs: np.ndarray
    gt_pids: np.ndarray
    query_imgs: np.ndarray
    query_boxes: np.ndarray
    query_pids: np.ndarray
    galleries: Dict[str, List[np.ndarray]] = field(default_factory=dict)
    subsets: Dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def num_images(self) -> int:
        return len(self.img_ids)

    @property
    def num_queries(self) -> int:
        return len(self.query_imgs)

    @property
    def gallery_settings(self) -> List[str]:
        """Gallery settings: the protocol's sizes, then ``'full'``."""
        return list(self.galleries) + ['full']

    def check_gallery_size(self, size: Union[int, str]) -> str:
        """The name of gallery setting ``size`` (e.g. ``100`` -> ``'100'``).

        Args:
            size (int | str): a gallery size of the protocol or ``'full'``.

        Returns:
            str: the setting's key in ``galleries`` (or ``'full'``).

        Raises:
            ValueError: naming ``size`` and the available settings.
        """
        name = str(size)
        if name not in self.gallery_settings:
            raise ValueError(
                f'gallery size {name} is not in the {self.dataset!r} protocol'
                f' (available: {", ".join(self.gallery_settings)})')
        return name

    def check_query_indices(self, queries: Sequence[int]) -> None:
        """Make sure every index names a query ``0 .. Q - 1``.

        Args:
            queries (Sequence[int]): (K,) query indices.

        Raises:
            ValueError: listing the indices out of range.
        """
        queries = np.asarray(queries, dtype=np.int64).ravel()
        bad = queries[(queries < 0) | (queries >= self.num_queries)]
        if bad.size:
            valid = (f'0 to {self.num_queries - 1}' if self.num_queries else 'none')
            what = 'index' if bad.size == 1 else 'indices'
            raise ValueError(f'query {what} {", ".join(map(str, bad.tolist()))} out of '
                             f'range: the {self.dataset!r} protocol has '
                             f'{self.num_queries} queries (valid indices: {valid})')

    def image_index(self, img_ids: Sequence[int], what: str) -> np.ndarray:
        """Map image ids to indices.

        Args:
            img_ids (Sequence[int]): (K,) image ids.
            what (str): where the ids come from, for the error message.

        Returns:
            np.ndarray: (K,) int64 image indices.

        Raises:
            ValueError: naming the first id that is not a protocol image.
        """
        img_ids = np.asarray(img_ids, dtype=np.int64).ravel()
        order = np.argsort(self.img_ids, kind='stable')
        pos = np.searchsorted(self.img_ids[order], img_ids)
        pos = np.minimum(pos, len(order) - 1)
        known = (self.img_ids[order][pos] == img_ids) if len(order) else \
            np.zeros(len(img_ids), dtype=bool)
        if not known.all():
            bad = int(img_ids[~known][0])
            raise ValueError(
                f'image id {bad} in {what} is not an image of the '
                f'{self.dataset!r} test protocol ({(~known).sum()} unknown '
                'ids): are the results from a different dataset or split?')
        return order[pos]


def _check_box_sizes(boxes: np.ndarray, what: str, img_ids: np.ndarray,
                     pids: np.ndarray) -> None:
    """Reject boxes without a positive width and height.

    Such a box gets the IoU threshold 0 (:func:`search_iou_threshold`), so
    any detection of its image would match it.

    Args:
        boxes (np.ndarray): (N, 4) x, y, w, h boxes.
        what (str): ``'annotation'`` or ``'query'``, for the message.
        img_ids (np.ndarray): (N,) image id of each box.
        pids (np.ndarray): (N,) person id of each box.

    Raises:
        ValueError: naming the first degenerate box.
    """
    bad = np.flatnonzero(~((boxes[:, 2] > 0) & (boxes[:, 3] > 0)))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f'{what} {i} (image id {img_ids[i]}, person id {pids[i]}) has '
            f'bbox [x, y, w, h] = {boxes[i].tolist()} with zero or negative '
            f'width or height (degenerate {what} boxes: {bad.size}): it '
            'would match any detection of its image; fix or drop it '
            '(tools/misc/check_dataset.py lists such boxes)')


def load_protocol(ann: Union[str, dict]) -> SearchProtocol:
    """Read the protocol of a test-split annotation file (docs/design.md).

    Args:
        ann (str | dict): path of the JSON file, or its parsed content.

    Returns:
        SearchProtocol: the split's protocol.

    Raises:
        ValueError: when the file has no protocol, refers to unknown
            images, has gallery lists that do not match the queries, or
            holds a ground-truth or query box whose width or height is not
            positive.
    """
    if isinstance(ann, str):
        with open(ann) as f:
            ann = json.load(f)
    if 'protocol' not in ann:
        raise ValueError('the annotation file has no "protocol" (is it a test '
                         'split?)')
    images = ann['images']
    img_ids = np.array([img['id'] for img in images], dtype=np.int64)
    img_cams = np.array([img.get('cam_id', 0) for img in images], dtype=np.int64)
    proto = SearchProtocol(
        dataset=str(ann.get('info', {}).get('dataset', 'unknown')),
        img_ids=img_ids,
        img_cams=img_cams,
        gt_boxes=np.zeros((0, 4)),
        gt_imgs=np.zeros(0, np.int64),
        gt_pids=np.zeros(0, np.int64),
        query_imgs=np.zeros(0, np.int64),
        query_boxes=np.zeros((0, 4)),
        query_pids=np.zeros(0, np.int64))
    anns = ann.get('annotations', [])
    gt_xywh = np.array([a['bbox'] for a in anns], dtype=np.float64).reshape(-1, 4)
    proto.gt_imgs = proto.image_index([a['image_id'] for a in anns], 'the annotations')
    proto.gt_pids = np.array([a.get('person_id', -1) for a in anns], dtype=np.int64)
    _check_box_sizes(gt_xywh, 'annotation', img_ids[proto.gt_imgs], proto.gt_pids)
    proto.gt_boxes = xywh_to_xyxy(gt_xywh)
    queries = ann['protocol']['queries']
    query_xywh = np.array([q['bbox'] for q in queries], dtype=np.float64).reshape(-1, 4)
    proto.query_imgs = proto.image_index([q['image_id'] for q in queries],
                                         'the queries')
    proto.query_pids = np.array([q['person_id'] for q in queries], dtype=np.int64)
    _check_box_sizes(query_xywh, 'query', img_ids[proto.query_imgs], proto.query_pids)
    proto.query_boxes = xywh_to_xyxy(query_xywh)
    for size, lists in (ann['protocol'].get('galleries') or {}).items():
        if len(lists) != len(queries):
            raise ValueError(f'gallery {size} has {len(lists)} lists for '
                             f'{len(queries)} queries')
        flat = proto.image_index([i for g in lists for i in g], f'gallery {size}')
        splits = np.cumsum([len(g) for g in lists])[:-1]
        proto.galleries[str(size)] = np.split(flat, splits)
    for name, idx in (ann['protocol'].get('subsets') or {}).items():
        proto.subsets[name] = np.asarray(idx, dtype=np.int64)
    return proto
