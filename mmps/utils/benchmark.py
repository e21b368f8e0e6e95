"""Timing person-search inference, as ``mmdet/utils/benchmark.py`` times
detectors: the library side of ``tools/analysis_tools/benchmark.py``.

Besides the time per call it can force the number of detections
(:func:`force_detections`), measure the peak CUDA memory of each model's
calls and time the stages of a call (:class:`StageProfiler`)."""
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmengine.config import Config, ConfigDict
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


def force_detections(model_cfg: ConfigDict, num: int) -> List[str]:
    """Make a model keep ``num`` boxes per image whatever their scores:
    score threshold 0 and at most ``num`` boxes after NMS, in whichever
    place its config keeps the detection test settings.

    - ``test_cfg.rcnn`` (two-stage detectors);
    - ``test_cfg`` itself when it has ``score_thr`` or ``max_per_img``
      (one-stage detectors such as RetinaNet);
    - ``detector.test_cfg`` (two-step searchers, whose ``detector`` is
      either of the above), and the searcher's own ``score_thr`` becomes 0.

    With random weights every box scores above 0, so a model keeps ``num``
    boxes unless its NMS leaves fewer (the benchmark prints the count).

    Args:
        model_cfg (ConfigDict): The ``model`` of a config, edited in place.
        num (int): Boxes per image, >= 1.

    Returns:
        list[str]: The edited entries, e.g. ``['model.test_cfg.rcnn']``.

    Raises:
        ValueError: ``num < 1``; a two-stage model whose RPN keeps fewer
            than ``num`` proposals; a two-step searcher without a detector;
            or a model with none of the settings above.
    """
    if num < 1:
        raise ValueError(f'the forced number of detections must be >= 1, got {num}')
    where, edited = 'model', []
    if 'detector' in model_cfg:
        if model_cfg.detector is None:
            raise ValueError('cannot force detections: model.detector is None (the '
                             'searcher embeds GT boxes); benchmark a config with a '
                             'detector')
        model_cfg.score_thr = 0.0
        edited.append('model.score_thr')
        model_cfg, where = model_cfg.detector, 'model.detector'
    test_cfg = model_cfg.get('test_cfg')
    if isinstance(test_cfg, dict) and isinstance(test_cfg.get('rcnn'), dict):
        proposals = (test_cfg.get('rpn') or {}).get('max_per_img')
        if proposals is not None and proposals < num:
            raise ValueError(
                f'cannot force {num} detections: {where}.test_cfg.rpn keeps '
                f'{proposals} proposals (max_per_img); raise it')
        target, where = test_cfg.rcnn, f'{where}.test_cfg.rcnn'
    elif isinstance(test_cfg, dict) and ('score_thr' in test_cfg
                                         or 'max_per_img' in test_cfg):
        target, where = test_cfg, f'{where}.test_cfg'
    else:
        raise ValueError(
            f'cannot force detections: {where} has no test_cfg.rcnn (two-stage), no '
            'test_cfg with score_thr/max_per_img (one-stage) and no detector.test_cfg '
            '(two-step searcher)')
    target.update(score_thr=0.0, max_per_img=num)
    return [where] + edited


class StageProfiler:
    """Times named parts of a model during its calls.

    :meth:`wrap` replaces a method of one object (a model or one of its
    submodules) by a timed version that adds its seconds to its stage; a
    wrapped method called inside another wrapped call counts in the outer
    stage only. :meth:`collect` returns and clears the times of the calls
    since the last collection.

    Args:
        device (str): 'cpu' or 'cuda' (CUDA is synchronised around each
            stage, which may lengthen the whole call a little). Defaults to
            'cpu'.
    """

    def __init__(self, device: str = 'cpu') -> None:
        self.device = device
        self.labels: List[str] = []
        self._seconds: Dict[str, float] = {}
        self._depth = 0

    def wrap(self, label: str, obj: Any, method: str) -> None:
        """Time ``obj.<method>`` as stage ``label`` (an instance attribute
        shadows the class's method; several methods may share a label).

        Args:
            label (str): Stage name, e.g. ``'backbone+neck'``.
            obj (object): The object whose method is timed.
            method (str): The method's name, e.g. ``'extract_feat'``.
        """
        original = getattr(obj, method)

        def timed_method(*args, **kwargs):
            if self._depth:
                return original(*args, **kwargs)
            self._depth += 1
            try:
                result, seconds = timed(lambda: original(*args, **kwargs), self.device)
            finally:
                self._depth -= 1
            self._seconds[label] = self._seconds.get(label, 0.0) + seconds
            return result

        setattr(obj, method, timed_method)
        if label not in self.labels:
            self.labels.append(label)

    def collect(self) -> Dict[str, float]:
        """Seconds per stage since the last call (every stage listed, 0
        for one not called)."""
        out = {label: self._seconds.get(label, 0.0) for label in self.labels}
        self._seconds = {}
        return out


def profile_model_stages(model: nn.Module,
                         device: str = 'cpu') -> Tuple[StageProfiler, str]:
    """Wrap the stages a model offers with a :class:`StageProfiler`.

    - A two-step searcher (a model with ``detector`` and ``reid``
      attributes): ``preprocess`` (its data preprocessor), ``detector``
      (the detector's ``predict``), ``segmentor`` (an online segmentor's
      ``predict``, when it has one) and ``re-ID`` (the re-ID network's
      ``embed``, else its ``forward``); the rest of the call (cutting
      patches, packing) is ``crops+rest``.
    - Any other model with ``extract_feat`` (a detector): ``preprocess``
      and ``backbone+neck`` (``extract_feat``); the rest of the call (RPN,
      RoI or dense heads, re-ID head) is ``heads``.
    - Otherwise no stage: the whole call is ``rest``.

    Args:
        model (nn.Module): The model (its methods are replaced).
        device (str): 'cpu' or 'cuda'. Defaults to 'cpu'.

    Returns:
        tuple: The profiler and the label of the time left over.
    """
    profiler = StageProfiler(device)
    if isinstance(getattr(model, 'reid', None), nn.Module) and hasattr(
            model, 'detector'):
        profiler.wrap('preprocess', model.data_preprocessor, 'forward')
        for label in ('detector', 'segmentor'):
            part = getattr(model, label, None)
            if part is not None:
                profiler.wrap(label, part, 'predict')
        reid = model.reid
        profiler.wrap('re-ID', reid, 'embed' if hasattr(reid, 'embed') else 'forward')
        return profiler, 'crops+rest'
    if hasattr(model, 'extract_feat'):
        profiler.wrap('preprocess', model.data_preprocessor, 'forward')
        profiler.wrap('backbone+neck', model, 'extract_feat')
        return profiler, 'heads'
    return profiler, 'rest'


def timed_with_peak(call: Callable[[], Any],
                    device: str = 'cpu') -> Tuple[Any, float, Optional[int]]:
    """:func:`timed`, plus the peak CUDA memory the call allocated on top
    of what was allocated before it.

    The peak statistics are reset before the call
    (``torch.cuda.reset_peak_memory_stats``), so each call is measured on
    its own.

    Args:
        call (Callable): The work, without arguments.
        device (str): 'cpu' or 'cuda'. Defaults to 'cpu'.

    Returns:
        tuple: The result, the seconds, and the bytes
        ``max_memory_allocated() - memory_allocated()`` (before the call);
        None on CPU.
    """
    if device != 'cuda':
        return (*timed(call, device), None)
    torch.cuda.synchronize()
    before = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    result, seconds = timed(call, device)
    return result, seconds, torch.cuda.max_memory_allocated() - before


def model_bytes(model: nn.Module) -> int:
    """Bytes of a model's parameters and buffers."""
    return sum(t.numel() * t.element_size()
               for t in list(model.parameters()) + list(model.buffers()))


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
        peak_memory (dict[str, int]): Per mode ('gallery', 'query'), the
            peak CUDA memory in bytes over its recorded calls: the model's
            parameters and buffers plus the most its call allocated on top
            of what was allocated before (the other models' weights and
            the input image are left out). Empty on CPU.
        profiler (StageProfiler, optional): Times the model's stages
            (:func:`profile_model_stages`); None when stages are not
            profiled.
        rest_label (str): Stage name of the time the profiled stages leave
            over. Defaults to 'rest'.
        stages (dict[str, list[dict[str, float]]]): Per mode, the seconds
            of each stage per recorded call, the left-over time included
            under ``rest_label``.
    """

    name: str
    model: nn.Module
    rpn_proposals: int
    gallery: List[float] = field(default_factory=list)
    query: List[float] = field(default_factory=list)
    detections: List[int] = field(default_factory=list)
    peak_memory: Dict[str, int] = field(default_factory=dict)
    profiler: Optional[StageProfiler] = None
    rest_label: str = 'rest'
    stages: Dict[str, List[Dict[str, float]]] = field(default_factory=dict)

    @classmethod
    def build(cls,
              name: str,
              cfg: Config,
              device: str = 'cpu',
              seed: int = 0,
              profile_stages: bool = False) -> 'InferenceTiming':
        """Build ``cfg.model`` with random weights (drawn after seeding
        torch with ``seed``), in eval mode on ``device``.

        Args:
            name (str): Row name.
            cfg (Config): A full config; its modules must be registered.
            device (str): Torch device. Defaults to 'cpu'.
            seed (int): Seed of the weights. Defaults to 0.
            profile_stages (bool): Also time the model's stages
                (:func:`profile_model_stages`). Defaults to False.

        Returns:
            InferenceTiming: With no timing yet.
        """
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
            torch.manual_seed(seed)
            model = MODELS.build(cfg.model).to(device).eval()
        det_cfg = cfg.model.get('detector') or cfg.model
        rpn_cfg = (det_cfg.get('test_cfg') or {}).get('rpn', {}) or {}
        timing = cls(name, model, rpn_proposals=rpn_cfg.get('max_per_img', -1))
        if profile_stages:
            timing.profiler, timing.rest_label = profile_model_stages(model, device)
        return timing

    def _record(self, mode: str, seconds: float, peak: Optional[int]) -> None:
        """Keep one call's peak memory and stage times."""
        if peak is not None:
            peak += model_bytes(self.model)
            self.peak_memory[mode] = max(self.peak_memory.get(mode, 0), peak)
        if self.profiler is not None:
            stages = self.profiler.collect()
            stages[self.rest_label] = max(seconds - sum(stages.values()), 0.0)
            self.stages.setdefault(mode, []).append(stages)

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

        samples, seconds, peak = timed_with_peak(gallery, device)
        if self.profiler is not None and not record:
            self.profiler.collect()
        if record:
            self.gallery.append(seconds)
            self.detections.append(len(samples[0].pred_instances))
            self._record('gallery', seconds, peak)
        if query_sample is None or not hasattr(model, 'predict_query'):
            return
        num_boxes = len(query_sample.query_instances)

        def query():
            data = model.data_preprocessor(
                dict(inputs=[image], data_samples=[query_sample]), False)
            return model.predict_query(data['inputs'], data['data_samples'])

        samples, seconds, peak = timed_with_peak(query, device)
        if self.profiler is not None and not record:
            self.profiler.collect()
        if len(samples[0].pred_query_instances.embeddings) != num_boxes:
            raise RuntimeError(f'{self.name}: predict_query did not embed '
                               f'the {num_boxes} query boxes')
        if record:
            self.query.append(seconds / num_boxes)
            self._record('query', seconds, peak)


def format_timing_table(timings: Sequence[InferenceTiming],
                        reference: Optional[InferenceTiming],
                        num_boxes: int,
                        show_memory: bool = False) -> str:
    """The timing table: mean (and min) time, ratio to the reference's
    time per image, RPN proposals kept and detections per image, and the
    peak CUDA memory if asked.

    Args:
        timings (Sequence[InferenceTiming]): Timed models (reference
            included), each with at least one gallery time.
        reference (InferenceTiming, optional): The model whose mean gallery
            time is the unit of the ratio column; None leaves it '-'.
        num_boxes (int): Query boxes per query-mode call (for the label).
        show_memory (bool): Add the column 'peak MiB'
            (:attr:`InferenceTiming.peak_memory`; 'n/a' where it was not
            measured, e.g. on CPU). Defaults to False.

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
            row = (timing.name, mode, f'{mean:.4f} {unit}', f'{min(times):.4f}', ratio,
                   proposals, dets)
            if show_memory:
                peak = timing.peak_memory.get(mode.split()[0])
                row += (f'{peak / 2**20:.1f}' if peak is not None else 'n/a', )
            rows.append(row)
    head = ('model', 'mode', 'mean time', 'min', 'x ref s/img', 'proposals', 'dets/img')
    if show_memory:
        head += ('peak MiB', )
    widths = [max(len(row[i]) for row in rows + [head]) for i in range(len(head))]
    return '\n'.join('  '.join(
        cell.ljust(width) if i < 2 else cell.rjust(width)
        for i, (cell, width) in enumerate(zip(row, widths))) for row in [head] + rows)


def format_stage_table(timings: Sequence[InferenceTiming]) -> str:
    """Mean seconds per call of each profiled stage, and its share of the
    call, per model and mode; the last stage of each is the time the
    others leave over (:attr:`InferenceTiming.rest_label`).

    Args:
        timings (Sequence[InferenceTiming]): Timed models; those without
            stage times are listed as 'not profiled'.

    Returns:
        str: One header line and one line per model, mode and stage.
    """
    rows = []
    for timing in timings:
        if not timing.stages:
            rows.append((timing.name, '-', 'not profiled', '-', '-'))
        for mode, calls in timing.stages.items():
            means = {
                label: sum(call[label] for call in calls) / len(calls)
                for label in calls[0]
            }
            total = sum(means.values()) or 1.0
            for label, mean in means.items():
                rows.append((timing.name, mode, label, f'{mean:.4f} s',
                             f'{100 * mean / total:.1f}%'))
    head = ('model', 'mode', 'stage', 'mean time', 'share')
    widths = [max(len(row[i]) for row in rows + [head]) for i in range(len(head))]
    return '\n'.join('  '.join(
        cell.ljust(width) if i < 3 else cell.rjust(width)
        for i, (cell, width) in enumerate(zip(row, widths))) for row in [head] + rows)
