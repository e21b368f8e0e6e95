"""PersonDetectionMetric: person-search detection figures of a plain
detector (step 1 of the two-step family)."""
from typing import Dict, Optional, Sequence

import numpy as np
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.fileio import get_local_path
from mmengine.logging import MMLogger

from ..functional import SearchProtocol, eval_detection, load_protocol


@METRICS.register_module()
class PersonDetectionMetric(BaseMetric):
    """Detection recall and AP on a person-search test split, for the
    detector of a two-step searcher, which has no embeddings for
    :class:`PersonSearchMetric` to search with.

    The figures are those of :class:`PersonSearchMetric` (the same
    :func:`~mmps.evaluation.functional.eval_detection` on the ground truth
    of :func:`~mmps.evaluation.functional.load_protocol`): ``det_recall``
    and ``det_ap`` over all GT boxes, ``det_recall_labeled`` and
    ``det_ap_labeled`` over the labelled ones (images without a labelled
    person skipped, as SeqNet's ``labeled_only``). mmdet's ``VOCMetric``
    and ``CocoMetric`` match detections another way (greedy by score, per
    class), which the published person-search numbers do not.

    ``process`` keeps ``pred_instances.bboxes`` (original image frame, as
    mmdet's test mode returns them) and ``scores`` of each image.

    Args:
        ann_file (str, optional): Test annotation file with the protocol.
            Defaults to ``dataset_meta['ann_file']`` (set by
            ``PersonSearchDataset``).
        score_thr (float): Detections scoring at least this count.
            Defaults to 0.01 (``PersonSearchMetric.det_score_thr``).
        iou_thresh (float): Match IoU. Defaults to 0.5.
        collect_device (str): 'cpu' or 'gpu'. Defaults to 'cpu'.
        prefix (str, optional): Prefix of the keys. Defaults to none.
        backend_args (dict, optional): File backend of ``ann_file``.
            Defaults to None.
    """

    default_prefix: Optional[str] = ''

    def __init__(self,
                 ann_file: Optional[str] = None,
                 score_thr: float = 0.01,
                 iou_thresh: float = 0.5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 backend_args: Optional[dict] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_file = ann_file
        self.score_thr = score_thr
        self.iou_thresh = iou_thresh
        self.backend_args = backend_args

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Keep each image's boxes and scores as NumPy arrays."""
        for sample in data_samples:
            pred = sample['pred_instances']
            self.results.append(
                dict(
                    img_id=int(sample['img_id']),
                    bboxes=pred['bboxes'].detach().cpu().numpy().reshape(-1, 4),
                    scores=pred['scores'].detach().cpu().numpy().ravel()))

    def load_protocol(self) -> SearchProtocol:
        """The protocol of ``ann_file``, else of ``dataset_meta['ann_file']``.

        Raises:
            ValueError: Neither names an annotation file.
        """
        ann_file = self.ann_file or (self.dataset_meta or {}).get('ann_file')
        if not ann_file:
            raise ValueError(
                'PersonDetectionMetric needs ann_file (the test annotation '
                'JSON): pass ann_file=... or evaluate a PersonSearchDataset')
        with get_local_path(ann_file, backend_args=self.backend_args) as path:
            return load_protocol(path)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Detection figures of the gathered per-image results.

        Returns:
            dict[str, float]: ``det_recall``, ``det_ap``,
            ``det_recall_labeled``, ``det_ap_labeled``.

        Raises:
            ValueError: An image of the protocol is missing from the
                results, or an image is not of the protocol.
        """
        protocol = self.load_protocol()
        imgs = protocol.image_index([r['img_id'] for r in results], 'the results')
        present = np.zeros(protocol.num_images, dtype=bool)
        present[imgs] = True
        if not present.all():
            absent = protocol.img_ids[~present]
            raise ValueError(f'{absent.size} test images are missing from the results, '
                             f'e.g. image id {absent[0]}')
        counts = [len(r['scores']) for r in results]
        det_imgs = np.repeat(imgs, counts)
        boxes = np.concatenate([r['bboxes'] for r in results]).reshape(-1, 4)
        scores = np.concatenate([r['scores'] for r in results])
        labelled = protocol.gt_pids >= 0
        labelled_img = np.zeros(protocol.num_images, dtype=bool)
        labelled_img[protocol.gt_imgs[labelled]] = True
        on_labelled = labelled_img[det_imgs]
        out = {}
        out['det_recall'], out['det_ap'] = eval_detection(
            protocol.gt_boxes, protocol.gt_imgs, boxes, scores, det_imgs,
            protocol.num_images, self.score_thr, self.iou_thresh)
        out['det_recall_labeled'], out['det_ap_labeled'] = eval_detection(
            protocol.gt_boxes[labelled], protocol.gt_imgs[labelled], boxes[on_labelled],
            scores[on_labelled], det_imgs[on_labelled], protocol.num_images,
            self.score_thr, self.iou_thresh)
        MMLogger.get_current_instance().info(', '.join(f'{k} {100 * v:.2f}'
                                                       for k, v in out.items()))
        return out
