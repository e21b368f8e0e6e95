"""Timing person-search inference, as ``mmdet/utils/benchmark.py`` times
detectors: the library side of ``tools/analysis_tools/benchmark.py``."""
import time
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope


def timed(call: Callable[[], Any], device: str = 'cpu') -> Tuple[Any, float]:
    """Run ``call()``; return its result and its wall time in seconds.

    On CUDA the device is synchronised before the clock starts and before
    it stops, so that queued kernels are counted.

    Args:
        call (Callable): the work to time, without arguments.
        device (str): 'cpu' or 'cuda'. Defaults to 'cpu'.

    Returns:
        tuple: ``call()``'s result and the seconds it took.

    Example:
        >>> result, seconds = timed(lambda: sum(range(1000)))
        >>> result, seconds >= 0
        (499500, True)
    """
    if device == 'cuda':
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = call()
    if device == 'cuda':
        torch.cuda.synchronize()
    return result, time.perf_counter() - start


@dataclass
class InferenceTiming:
    """A model under test and its timings.

    Attributes:
        name (str): Row name of the table.
        model (nn.Module): The model, in eval mode on its device.
        rpn_proposals (int): RPN proposals kept at test time (-1: unknown).
        gallery (list[float]): Seconds per gallery-mode image, one per
            timed iteration.
        query (list[float]): Seconds per query box in query mode.
        detections (list[int]): Detections per gallery-mode image.
    """

    name: str
    model: nn.Module
    rpn_proposals: int
    gallery: List[float] = field(default_factory=list)
    query: List[float] = field(default_factory=list)
    detections: List[int] = field(default_factory=list)

    @classmethod
    def build(cls,
              name: str,
              cfg: Config,
              device: str = 'cpu',
              seed: int = 0) -> 'InferenceTiming':
        """Build ``cfg.model`` with random weights (drawn after seeding
        torch with ``seed``), in eval mode on ``device``.

        Args:
            name (str): Row name.
            cfg (Config): A full config; its modules must be registered.
            device (str): Torch device. Defaults to 'cpu'.
            seed (int): Seed of the weights. Defaults to 0.

        Returns:
            InferenceTiming: With no timing yet.
        """
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
            torch.manual_seed(seed)
            model = MODELS.build(cfg.model).to(device).eval()
        rpn_cfg = cfg.model.get('test_cfg', {}).get('rpn', {}) or {}
        return cls(name, model, rpn_proposals=rpn_cfg.get('max_per_img', -1))

    def run(self,
            image: torch.Tensor,
            gallery_sample,
            query_sample,
            device: str = 'cpu',
            record: bool = True) -> None:
        """One gallery-mode call and, for a model with ``predict_query``
        and a ``query_sample``, one query-mode call, both timed with their
        data preprocessing.

        Args:
            image (Tensor): (3, H, W) uint8 input image.
            gallery_sample (DetDataSample): Its metainfo, no annotation.
            query_sample (DetDataSample, optional): The same with
                ``query_instances`` (K boxes); None skips query mode.
            device (str): Torch device of the model. Defaults to 'cpu'.
            record (bool): Keep the times (False: a warm-up call).
                Defaults to True.

        Raises:
            RuntimeError: ``predict_query`` did not embed every query box.
        """
        model = self.model

        def gallery():
            data = model.data_preprocessor(
                dict(inputs=[image], data_samples=[gallery_sample]), False)
            return model.predict(data['inputs'], data['data_samples'])

        samples, seconds = timed(gallery, device)
        if record:
            self.gallery.append(seconds)
            self.detections.append(len(samples[0].pred_instances))
        if query_sample is None or not hasattr(model, 'predict_query'):
            return
        num_boxes = len(query_sample.query_instances)

        def query():
            data = model.data_preprocessor(
                dict(inputs=[image], data_samples=[query_sample]), False)
            return model.predict_query(data['inputs'], data['data_samples'])

        samples, seconds = timed(query, device)
        if len(samples[0].pred_query_instances.embeddings) != num_boxes:
            raise RuntimeError(f'{self.name}: predict_query did not embed '
                               f'the {num_boxes} query boxes')
        if record:
            self.query.append(seconds / num_boxes)


def format_timing_table(timings: Sequence[InferenceTiming],
                        reference: Optional[InferenceTiming], num_boxes: int) -> str:
    """The timing table: mean (and min) time, ratio to the reference's
    time per image, RPN proposals kept and detections per image.

    Args:
        timings (Sequence[InferenceTiming]): Timed models (reference
            included), each with at least one gallery time.
        reference (InferenceTiming, optional): The model whose mean gallery
            time is the unit of the ratio column; None leaves it '-'.
        num_boxes (int): Query boxes per query-mode call (for the label).

    Returns:
        str: One header line and one line per model and mode.
    """
    ref = (sum(reference.gallery) / len(reference.gallery) if reference else None)
    rows = []
    for timing in timings:
        modes = [('gallery', 's/img', timing.gallery)]
        if timing.query:
            modes.append((f'query ({num_boxes} boxes)', 's/box', timing.query))
        for mode, unit, times in modes:
            mean = sum(times) / len(times)
            ratio = f'{mean / ref:.3f}' if ref else '-'
            if mode == 'gallery':
                proposals = str(timing.rpn_proposals)
                dets = f'{sum(timing.detections) / len(timing.detections):.1f}'
            else:
                proposals = dets = '-'
            rows.append((timing.name, mode, f'{mean:.4f} {unit}', f'{min(times):.4f}',
                         ratio, proposals, dets))
    head = ('model', 'mode', 'mean time', 'min', 'x ref s/img', 'proposals', 'dets/img')
    widths = [max(len(row[i]) for row in rows + [head]) for i in range(len(head))]
    return '\n'.join('  '.join(
        cell.ljust(width) if i < 2 else cell.rjust(width)
        for i, (cell, width) in enumerate(zip(row, widths))) for row in [head] + rows)
