"""PersonSearchMetric: the CUHK-SYSU / PRW search protocol as an mmengine
metric."""
import os.path as osp
import pickle
from typing import Optional, Sequence, Union

from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.fileio import get_local_path
from mmengine.logging import MMLogger
from mmengine.utils import mkdir_or_exist

from ..functional import (SearchProtocol, evaluate_results, format_table, load_protocol,
                          summarize, to_record)


@METRICS.register_module()
class PersonSearchMetric(BaseMetric):
    """Person-search mAP / CMC top-k and detection recall / AP, each at its
    own score threshold (as SeqNet reports them).

    ``process`` keeps, per test image, the gallery-mode detections
    (``pred_instances``: ``bboxes`` (N, 4), ``scores`` (N,), ``embeddings``
    (N, D)) and the query-mode ground-truth boxes (``pred_query_instances``:
    ``bboxes`` (M, 4), ``embeddings`` (M, D), ``query_indices`` (M,)) as
    NumPy arrays. mmengine gathers them across ranks; ``compute_metrics``
    runs the protocol of ``ann_file`` (the test split's annotation JSON,
    see docs/design.md) on rank 0.

    Args:
        ann_file (str, optional): test annotation file holding the
            protocol. Defaults to ``dataset_meta['ann_file']``, the absolute
            path of the annotation file that ``PersonSearchDataset`` puts in
            its metainfo (the runner hands the test dataset's metainfo to
            the metric); with neither, evaluation raises ``ValueError``.
        gallery_sizes (Sequence[int | str], optional): gallery settings to
            report, among the protocol's sizes and ``'full'``. Default: all.
            The headline ``mAP`` / ``top{k}`` use 100 when present, else
            ``'full'``.
        search_score_thr (float): the search ranks the gallery detections
            scoring at least this. Defaults to 0.5.
        det_score_thr (float): ``det_recall`` / ``det_ap`` (and their
            ``_labeled`` forms) count the detections scoring at least this.
            Defaults to 0.01, the threshold of SeqNet's and most published
            detection figures; a model whose own test ``score_thr`` is
            higher reports the same figures at both.
        cross_camera (bool): only other cameras' images in the gallery.
            Defaults to False.
        labeled (bool): also report ``labeled_*`` numbers, with the
            ground-truth boxes as the gallery. Defaults to False.
        normalize (bool): L2-normalise embeddings; without it, embeddings
            that are not unit length only raise a warning. Defaults to
            False.
        topk (Sequence[int]): CMC ranks. Defaults to (1, 5, 10).
        cbgm (bool): context bipartite graph matching re-ranking (SeqNet's
            rule, docs/evaluation.md); the results carry ``cbgm: 1.0`` when
            on. Defaults to False.
        cbgm_k1 (int, optional): top gallery detections whose images are
            re-ranked. Defaults to SeqNet's value for the protocol's
            dataset (CUHK-SYSU 10, PRW 30; 10 otherwise); the dataset
            configs set it.
        cbgm_k2 (int, optional): persons of the query image in the graph,
            the query included. Defaults to SeqNet's value (CUHK-SYSU 3,
            PRW 4; 3 otherwise).
        outfile_path (str, optional): pickle the gathered per-image records
            here, for ``tools/analysis_tools/eval_results.py``. Defaults to
            None (no file).
        collect_device (str): 'cpu' or 'gpu' for gathering across ranks.
            Defaults to 'cpu'.
        prefix (str, optional): prefix of the returned keys (none by
            default: ``mAP``, ``top1``, ...).
        backend_args (dict, optional): file backend of ``ann_file``.
            Defaults to None (local files).
    """

    default_prefix: Optional[str] = ''

    def __init__(self,
                 ann_file: Optional[str] = None,
                 gallery_sizes: Optional[Sequence[Union[int, str]]] = None,
                 search_score_thr: float = 0.5,
                 det_score_thr: float = 0.01,
                 cross_camera: bool = False,
                 labeled: bool = False,
                 normalize: bool = False,
                 topk: Sequence[int] = (1, 5, 10),
                 cbgm: bool = False,
                 cbgm_k1: Optional[int] = None,
                 cbgm_k2: Optional[int] = None,
                 outfile_path: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 backend_args: Optional[dict] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.ann_file = ann_file
        self.gallery_sizes = gallery_sizes
        self.search_score_thr = search_score_thr
        self.det_score_thr = det_score_thr
        self.cross_camera = cross_camera
        self.labeled = labeled
        self.normalize = normalize
        self.topk = tuple(topk)
        self.cbgm = dict(cbgm=cbgm, cbgm_k1=cbgm_k1, cbgm_k2=cbgm_k2)
        self.outfile_path = outfile_path
        self.backend_args = backend_args

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Keep each output sample as a NumPy per-image record."""
        for sample in data_samples:
            self.results.append(to_record(sample))

    def load_protocol(self) -> SearchProtocol:
        """The protocol of ``ann_file``, else of ``dataset_meta['ann_file']``.

        Raises:
            ValueError: when neither names an annotation file.
        """
        meta = self.dataset_meta or {}
        ann_file = self.ann_file or meta.get('ann_file')
        if not ann_file:
            raise ValueError(
                'PersonSearchMetric needs ann_file (the test annotation JSON '
                'with the protocol): pass ann_file=... or evaluate a dataset '
                "whose metainfo has 'ann_file' (PersonSearchDataset); "
                f'dataset_meta keys: {sorted(meta)}')
        with get_local_path(ann_file, backend_args=self.backend_args) as path:
            return load_protocol(path)

    def compute_metrics(self, results: list) -> dict:
        """Run the protocol on the gathered per-image records.

        Returns:
            dict[str, float]: see
            :func:`mmps.evaluation.functional.summarize`.
        """
        logger = MMLogger.get_current_instance()
        if self.outfile_path is not None:
            mkdir_or_exist(osp.dirname(osp.abspath(self.outfile_path)))
            with open(self.outfile_path, 'wb') as f:
                pickle.dump(results, f)
            logger.info(f'per-image results saved to {self.outfile_path}')
        protocol = self.load_protocol()
        report = evaluate_results(
            results,
            protocol,
            search_score_thr=self.search_score_thr,
            det_score_thr=self.det_score_thr,
            gallery_sizes=self.gallery_sizes,
            cross_camera=self.cross_camera,
            labeled=self.labeled,
            normalize=self.normalize,
            topk=self.topk,
            **self.cbgm)
        logger.info('\n' + format_table(report, protocol))
        return summarize(report, protocol)
