"""PersonSearchDataset: the mmps annotation schema as an mmdet dataset."""
import os.path as osp
import warnings
from typing import Dict, List, Optional, Tuple

import numpy as np
from mmdet.datasets.base_det_dataset import BaseDetDataset
from mmdet.registry import DATASETS
from mmengine.logging import print_log

from mmps.structures import paired_iou, xywh_to_xyxy
from .annotation_file import load_annotation_file
from .validation import MASK_SOURCES, image_file_problem


@DATASETS.register_module()
class PersonSearchDataset(BaseDetDataset):
    """A person-search split in the mmps schema (``docs/design.md``).

    Each data info is one image with ``img_id``, ``img_path``, ``width``,
    ``height``, ``cam_id`` and ``instances`` (``bbox`` x1y1x2y2,
    ``bbox_label`` 0, ``ignore_flag`` 0, ``person_id``, ``mask_valid``,
    optional ``mask`` polygons or RLE). ``mask_valid`` is True when the
    annotation's ``mask_source`` is ``'annotated'`` (a real mask) and False
    for ``'box'`` (no mask; the box stands in); a file without
    ``mask_source`` counts a present ``segmentation`` as annotated.
    ``person_id`` is the contiguous label ``0..K-1`` of the sorted
    labelled ids in training (``test_mode=False``) and the release's id in
    test mode; -1 means unlabelled. ``metainfo['num_person_ids']`` is ``K``
    and ``metainfo['ann_file']`` the absolute path of the annotation file
    (``PersonSearchMetric`` reads the protocol from it when it has no
    ``ann_file`` of its own).

    Boxes are read as stored. The converters keep the reference geometry,
    which may extend past the image border (``docs/dataset_prepare.md``):
    test mode keeps it, since the evaluation matches against these boxes,
    and training clips the instance boxes to the image.

    Test-mode infos also carry ``queries``: one dict per protocol query whose
    image this is (``bbox`` x1y1x2y2 in the original frame, ``query_index``),
    followed by the image's other labelled or unlabelled GT boxes with
    ``query_index`` -1. A query box stands in for one GT box: the box of the
    query's id that overlaps it most. Any other box with that id (a person id
    labelled twice in one image, as PRW has) stays in the list.

    What the evaluation needs is checked when the data list is built, not
    after the inference pass: in test mode the file must hold a protocol
    with queries, and every query and gallery image id must be an image of
    the file (a ``ValueError`` naming the file otherwise). A missing or
    empty (0-byte) image file is always found at load time.

    In training, ``metainfo`` gets ``num_mask_images`` and
    ``num_mask_instances`` (images and boxes with a real mask, after
    ``mask_subset``), which are logged; when the pipeline loads masks
    (``with_mask=True``) but none is real, a warning says that a mask loss
    stays 0.

    Args:
        bad_image (str): What to do in training with an image file that is
            missing, empty or, when ``verify_images`` is True, cannot be
            decoded:
            ``'skip'`` (warn, count in ``num_skipped_images``) or
            ``'error'``. In test mode every such image raises, whatever this
            says: the evaluation needs every test image, and dropping a
            gallery image would inflate mAP.
        verify_images (bool): Decode every image once at load time to find
            corrupt files. Defaults to False (only existence and a non-zero
            size are checked).
        mask_subset (dict, optional): Training only: keep the real masks of
            ``round(fraction * number of images of the file)`` images and
            set ``mask_valid=False`` (dropping the mask) on every box of the
            others, e.g. ``dict(fraction=0.03, seed=0)`` (SMG, Table 4: the
            share is of all training images). The images are the first of
            a permutation, seeded by ``seed`` (default 0), of the images
            that hold at least one real mask (sorted by image id), so a
            smaller fraction picks a subset of a larger one and every
            dataset built with the same file, fraction and seed (e.g. both
            flip copies) picks the same images. Defaults to None (every
            mask kept).
        **kwargs: See :class:`mmdet.datasets.BaseDetDataset`;
            ``filter_cfg`` accepts ``filter_empty_gt`` and ``min_size``
            (smaller image side, pixels), applied in training only.
    """

    METAINFO = dict(classes=('person', ), palette=[(220, 20, 60)])

    def __init__(self,
                 *args,
                 bad_image: str = 'skip',
                 verify_images: bool = False,
                 mask_subset: Optional[dict] = None,
                 data_prefix: dict = dict(img=''),
                 **kwargs) -> None:
        if bad_image not in ('skip', 'error'):
            raise ValueError(f"bad_image must be 'skip' or 'error', got {bad_image!r}")
        if mask_subset is not None:
            if kwargs.get('test_mode', False):
                raise ValueError('mask_subset selects training masks: remove it '
                                 'from the test_mode=True dataset')
            fraction = mask_subset.get('fraction')
            if not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
                raise ValueError('mask_subset.fraction must be in (0, 1], got '
                                 f'{fraction!r}')
        self.mask_subset = mask_subset
        self.bad_image = bad_image
        self.verify_images = verify_images
        self.num_skipped_images = 0
        self._protocol: dict = {}
        self._gt_by_image: Dict[int, dict] = {}
        super().__init__(*args, data_prefix=data_prefix, **kwargs)
        self._metainfo['ann_file'] = osp.abspath(self.ann_file)

    @property
    def protocol(self) -> dict:
        """The test protocol with boxes as x1y1x2y2.

        ``{'queries': [{'image_id', 'bbox', 'person_id'}, ...],
        'galleries': {size (str): [int64 array of image ids per query]},
        'subsets': {name: [query index, ...]}}``. Empty ``galleries`` means
        every query searches all other test images. Gallery lists are kept
        as arrays: the six CUHK-SYSU sizes hold 22 million ids, about 0.8 GB
        as Python lists.
        """
        self.full_init()
        return self._protocol

    @property
    def gt_by_image(self) -> Dict[int, dict]:
        """Per image id: ``bboxes`` (N, 4) float32 x1y1x2y2, ``person_ids``
        (N,) int64 (as in ``instances``) and ``cam_id``."""
        self.full_init()
        return self._gt_by_image

    def load_data_list(self) -> List[dict]:
        """Read the JSON file and build one data info per usable image."""
        data = load_annotation_file(self.ann_file)
        for key in ('images', 'annotations'):
            if key not in data:
                raise KeyError(f'{self.ann_file} has no "{key}" list')
        anns_by_image: Dict[int, List[int]] = {}
        sizes = {img['id']: (img['width'], img['height']) for img in data['images']}
        for k, ann in enumerate(data['annotations']):
            if ann['image_id'] not in sizes:
                raise ValueError(
                    f'{self.ann_file}: annotations[{k}] names unknown image '
                    f'id {ann["image_id"]}')
            anns_by_image.setdefault(ann['image_id'], []).append(k)
        bboxes = self._instance_boxes(data['annotations'], sizes)
        labelled = sorted(
            {a['person_id']
             for a in data['annotations'] if a['person_id'] >= 0})
        self._metainfo['num_person_ids'] = len(labelled)
        if self.test_mode:
            id_map = {pid: pid for pid in labelled}
        else:
            id_map = {pid: k for k, pid in enumerate(labelled)}
        self.person_id_map = id_map

        raw_protocol = data.get('protocol') or {}
        queries_by_image: Dict[int, List[int]] = {}
        for k, q in enumerate(raw_protocol.get('queries', [])):
            queries_by_image.setdefault(q['image_id'], []).append(k)
        self._protocol = dict(
            queries=[
                dict(
                    image_id=q['image_id'],
                    bbox=xywh_to_xyxy(q['bbox'])[0].tolist(),
                    person_id=q['person_id']) for q in raw_protocol.get('queries', [])
            ],
            galleries={
                str(size): [np.asarray(g, dtype=np.int64) for g in lists]
                for size, lists in (raw_protocol.get('galleries') or {}).items()
            },
            subsets=raw_protocol.get('subsets') or {})
        if self.test_mode:
            self._check_protocol_images(sizes)

        data_list = []
        for img in data['images']:
            img_path = osp.join(self.data_prefix['img'], img['file_name'])
            problem = self._image_problem(img_path)
            if problem is not None:
                if self.test_mode:
                    raise OSError(f'image id {img["id"]} of the test split '
                                  f'{self.ann_file}: {problem}. Every test image is '
                                  'needed by the evaluation (dropping a gallery image '
                                  'would inflate mAP): restore the file')
                if self.bad_image == 'error':
                    raise OSError(f'image id {img["id"]}: {problem}')
                warnings.warn(f'skipping image id {img["id"]}: {problem}')
                self.num_skipped_images += 1
                continue
            instances = []
            for k in anns_by_image.get(img['id'], []):
                ann = data['annotations'][k]
                inst = dict(
                    bbox=bboxes[k],
                    bbox_label=0,
                    ignore_flag=0,
                    person_id=id_map.get(ann['person_id'], -1),
                    mask_valid=self._mask_source(ann) == 'annotated')
                if ann.get('segmentation'):
                    inst['mask'] = ann['segmentation']
                instances.append(inst)
            info = dict(
                img_id=img['id'],
                img_path=img_path,
                width=img['width'],
                height=img['height'],
                cam_id=img.get('cam_id', 0),
                instances=instances)
            if self.test_mode:
                info['queries'] = self._image_queries(
                    queries_by_image.get(img['id'], []), instances)
            self._gt_by_image[img['id']] = dict(
                bboxes=np.asarray([i['bbox'] for i in instances],
                                  np.float32).reshape(-1, 4),
                person_ids=np.asarray([i['person_id'] for i in instances], np.int64),
                cam_id=info['cam_id'])
            data_list.append(info)
        if self.num_skipped_images:
            warnings.warn(f'{self.num_skipped_images} unreadable image(s) '
                          f'skipped in {self.ann_file}')
        if not self.test_mode:
            if self.mask_subset is not None:
                self._select_mask_subset(data_list, len(data['images']))
            self._count_masks(data_list)
        return data_list

    def _select_mask_subset(self, data_list: List[dict], num_images: int) -> None:
        """Keep the real masks of ``mask_subset``'s images only (in place).

        Args:
            data_list (list[dict]): The data infos of the file.
            num_images (int): Images of the file, the base of the fraction.

        Raises:
            ValueError: When the fraction asks for more images than hold a
                real mask.
        """
        fraction = self.mask_subset['fraction']
        with_masks = sorted(
            (info
             for info in data_list if any(i['mask_valid'] for i in info['instances'])),
            key=lambda info: info['img_id'])
        wanted = int(round(fraction * num_images))
        if wanted > len(with_masks):
            raise ValueError(f'mask_subset fraction={fraction} needs {wanted:,} '
                             f'images with masks, {self.ann_file} has '
                             f'{len(with_masks):,}: lower the fraction')
        order = np.random.default_rng(self.mask_subset.get('seed', 0)).permutation(
            len(with_masks))
        for k in order[wanted:]:
            for inst in with_masks[k]['instances']:
                inst['mask_valid'] = False
                inst.pop('mask', None)

    def _count_masks(self, data_list: List[dict]) -> None:
        """Put the images and boxes with a real mask in ``metainfo``, log
        them, and warn when the pipeline loads masks but none is real."""
        per_image = [
            sum(i['mask_valid'] for i in info['instances']) for info in data_list
        ]
        self._metainfo['num_mask_images'] = sum(n > 0 for n in per_image)
        self._metainfo['num_mask_instances'] = int(sum(per_image))
        print_log(
            f'{self.ann_file}: {self._metainfo["num_mask_images"]} image(s) and '
            f'{self._metainfo["num_mask_instances"]} box(es) with a real mask',
            logger='current')
        loads_masks = any(
            getattr(t, 'with_mask', False)
            for t in getattr(self.pipeline, 'transforms', []))
        if loads_masks and not any(per_image):
            warnings.warn(f'{self.ann_file} has no real mask (mask_source '
                          "'annotated'): a mask loss stays 0 (convert the masks, "
                          'e.g. tools/dataset_converters/maskps.py)')

    def _instance_boxes(self, annotations: List[dict],
                        sizes: Dict[int, Tuple[int, int]]) -> List[List[float]]:
        """The x1y1x2y2 box of every annotation.

        Args:
            annotations (list[dict]): The ``annotations`` of the file (N).
            sizes (dict[int, tuple[int, int]]): Image id -> (width, height).

        Returns:
            list[list[float]]: N boxes, as stored in test mode, clipped to
            their image in training.
        """
        boxes = xywh_to_xyxy([ann['bbox'] for ann in annotations])
        if not self.test_mode:
            limits = np.asarray([sizes[ann['image_id']] * 2 for ann in annotations],
                                np.float64).reshape(-1, 4)
            boxes = np.clip(boxes, 0, limits)
        return boxes.tolist()

    def _mask_source(self, ann: dict) -> str:
        """``'annotated'`` or ``'box'``; raises on an invalid value."""
        source = ann.get('mask_source',
                         'annotated' if ann.get('segmentation') else 'box')
        if source not in MASK_SOURCES:
            raise ValueError(f'{self.ann_file}: annotation id {ann.get("id")} has '
                             f'mask_source {source!r}, expected one of {MASK_SOURCES}')
        if source == 'annotated' and not ann.get('segmentation'):
            raise ValueError(f'{self.ann_file}: annotation id {ann.get("id")} has '
                             "mask_source 'annotated' but no segmentation")
        return source

    def _image_queries(self, query_ids: List[int], instances: List[dict]) -> List[dict]:
        """Protocol queries of one image, then its other GT boxes (-1).

        A query's own GT box, which its query box replaces, is the box with
        the query's id that overlaps the query box most (IoU > 0) and is not
        already taken by another query. Other boxes with the same id stay.
        """
        out, taken = [], set()
        for k in query_ids:
            q = self._protocol['queries'][k]
            out.append(dict(bbox=q['bbox'], query_index=k))
            candidates = [
                n for n, inst in enumerate(instances) if q['person_id'] >= 0
                and inst['person_id'] == q['person_id'] and n not in taken
            ]
            if candidates:
                ious = paired_iou([instances[n]['bbox'] for n in candidates],
                                  [q['bbox']] * len(candidates))
                if ious.max() > 0:
                    taken.add(candidates[int(ious.argmax())])
        out.extend(
            dict(bbox=inst['bbox'], query_index=-1) for n, inst in enumerate(instances)
            if n not in taken)
        return out

    def _image_problem(self, img_path: str) -> Optional[str]:
        """Why ``img_path`` is unusable, or None when it is fine."""
        return image_file_problem(img_path, decode=self.verify_images)

    def _check_protocol_images(self, sizes: Dict[int, tuple]) -> None:
        """Refuse a test split whose protocol cannot be evaluated.

        Args:
            sizes (dict[int, tuple]): Image id -> (width, height) of every
                image of the file.

        Raises:
            ValueError: Naming the annotation file: the protocol or its
                queries are missing, or a query or gallery list names an
                image id that is not in ``images``.
        """
        queries = self._protocol['queries']
        if not queries:
            raise ValueError(
                f'{self.ann_file}: test_mode=True but the file has no protocol '
                'queries: is it a training split? The evaluation needs the '
                'test split written by the converter or the generator')
        unknown = [k for k, q in enumerate(queries) if q['image_id'] not in sizes]
        if unknown:
            k = unknown[0]
            raise ValueError(
                f'{self.ann_file}: protocol.queries[{k}] names image id '
                f'{queries[k]["image_id"]}, which is not in "images" '
                f'({len(unknown)} of {len(queries)} queries); '
                'tools/misc/check_dataset.py lists every problem of the file')
        known = np.fromiter(sizes, np.int64, len(sizes))
        for size, lists in self._protocol['galleries'].items():
            flat = np.concatenate(lists) if lists else known[:0]
            bad = flat[~np.isin(flat, known)]
            if bad.size:
                raise ValueError(
                    f'{self.ann_file}: protocol.galleries["{size}"] names image '
                    f'id {bad[0]}, which is not in "images" ({bad.size} such '
                    'entries); tools/misc/check_dataset.py lists every problem '
                    'of the file')

    def filter_data(self) -> List[dict]:
        """Drop images without boxes (``filter_empty_gt``) or with a side
        below ``min_size``; training only. Raises if nothing is left."""
        if self.test_mode or not self.filter_cfg:
            return self.data_list
        drop_empty = self.filter_cfg.get('filter_empty_gt', False)
        min_size = self.filter_cfg.get('min_size', 0)
        kept = [
            info for info in self.data_list
            if not (drop_empty and not info['instances'])
            and min(info['width'], info['height']) >= min_size
        ]
        if self.data_list and not kept:
            raise ValueError(f'filter_cfg={self.filter_cfg} removes all '
                             f'{len(self.data_list)} images of '
                             f'{self.ann_file}')
        return kept
