"""Timing the vectorised person-search evaluator against the slow loop
(``tools/analysis_tools/benchmark_eval.py``)."""
import time
from dataclasses import dataclass
from typing import Dict, List, Tuple

import numpy as np

from mmps.evaluation.functional import eval_search, evaluate_results
from .search_cases import make_search_case, search_case_records
from .search_loop_reference import loop_search

#: Synthetic cases of :func:`make_search_case`, by name: CUHK-SYSU-sized
#: (2,900 queries, 6,978 images, six gallery sizes and full), PRW-sized
#: (2,057 queries, 6,112 images, full only) and a tiny one for the tests.
SEARCH_EVAL_CASES = {
    'cuhk':
    dict(
        name='CUHK-SYSU-sized',
        num_queries=2900,
        num_images=6978,
        num_ids=2900,
        occurrences=(2, 4),
        sizes=(50, 100, 500, 1000, 2000, 4000)),
    'prw':
    dict(
        name='PRW-sized',
        num_queries=2057,
        num_images=6112,
        num_ids=450,
        occurrences=(25, 70),
        sizes=()),
    'tiny':
    dict(
        name='tiny',
        num_queries=40,
        num_images=60,
        num_ids=40,
        occurrences=(2, 4),
        sizes=(10, 30)),
}


@dataclass
class SearchEvalBenchmark:
    """Timings and agreement of one case.

    Attributes:
        name (str): Case name (with ``cross-camera`` when set).
        num_queries (int): Queries Q.
        num_images (int): Images I.
        kept_per_image (float): Detections per image scoring >= 0.5.
        maps (dict[str, tuple[float, float]]): Setting -> (mAP, top-1).
        generation_s (float): Seconds to build the case.
        core_s (float): Seconds of ``eval_search`` on all queries and
            settings.
        metric_s (float): Seconds of ``evaluate_results`` (records, every
            setting, detection).
        loop_s (float): Seconds of the loop, extrapolated to all queries.
        loop_queries (int): Queries the loop ran, per setting.
        max_ap_diff (float): Largest |AP difference| loop vs core.
        cmc_identical (bool): Loop and core CMC hits are equal.
        metric_same (bool): The metric path gives the core's APs.
    """

    name: str
    num_queries: int
    num_images: int
    kept_per_image: float
    maps: Dict[str, Tuple[float, float]]
    generation_s: float
    core_s: float
    metric_s: float
    loop_s: float
    loop_queries: int
    max_ap_diff: float
    cmc_identical: bool
    metric_same: bool

    @property
    def agree(self) -> bool:
        """Loop, core and metric path agree (APs to 1e-6)."""
        return (self.max_ap_diff <= 1e-6 and self.cmc_identical and self.metric_same)

    def report(self) -> List[str]:
        """The lines the benchmark tool prints for this case."""
        lines = [
            f'{self.name}: {self.num_queries} queries, '
            f'{self.num_images} images, {self.kept_per_image:.2f} kept '
            f'detections / image, settings {list(self.maps)}; data '
            f'generation {self.generation_s:.1f} s'
        ]
        lines += [
            f'  {name:>5}: mAP {100 * m:.2f} top1 {100 * t:.2f}'
            for name, (m, t) in self.maps.items()
        ]
        lines.append(f'  metric path (records -> all settings + detection '
                     f'eval): {self.metric_s:.2f} s, same APs as the core: '
                     f'{self.metric_same}')
        lines.append(f'  vectorised (all queries): {self.core_s:.2f} s; loop '
                     f'(extrapolated from {self.loop_queries} queries): '
                     f'{self.loop_s:.1f} s; speed-up '
                     f'{self.loop_s / self.core_s:.0f}x; max |AP diff| '
                     f'{self.max_ap_diff:.1e}, CMC identical: '
                     f'{self.cmc_identical}')
        return lines


def benchmark_search_eval(case: str = 'cuhk',
                          loop_queries: int = 30,
                          dim: int = 256,
                          seed: int = 0,
                          cross_camera: bool = False) -> SearchEvalBenchmark:
    """Time the core, the metric path and the loop on one synthetic case.

    Args:
        case (str): A key of :data:`SEARCH_EVAL_CASES`. Defaults to 'cuhk'.
        loop_queries (int): Random queries the loop runs per setting (its
            time is extrapolated linearly to all queries). Defaults to 30.
        dim (int): Embedding size. Defaults to 256.
        seed (int): Seed of the case and of the query subset. Defaults
            to 0.
        cross_camera (bool): Only other cameras' images in the gallery.
            Defaults to False.

    Returns:
        SearchEvalBenchmark: The timings and whether the three agree.

    Raises:
        ValueError: An unknown case, or more loop queries than queries.
    """
    if case not in SEARCH_EVAL_CASES:
        raise ValueError(f'unknown case {case!r} (available: '
                         f'{", ".join(SEARCH_EVAL_CASES)})')
    spec = dict(SEARCH_EVAL_CASES[case])
    name = spec.pop('name') + (' cross-camera' if cross_camera else '')
    if not 1 <= loop_queries <= spec['num_queries']:
        raise ValueError(f'loop_queries must be 1 to {spec["num_queries"]} '
                         f'for case {case!r}, got {loop_queries}')
    start = time.perf_counter()
    arrays, galleries, picks = make_search_case(dim=dim, seed=seed, **spec)
    records, protocol = search_case_records(arrays, picks, galleries)
    generation = time.perf_counter() - start
    start = time.perf_counter()
    core = eval_search(
        **arrays, galleries=galleries, cross_camera=cross_camera, score_thr=0.5)
    core_s = time.perf_counter() - start
    start = time.perf_counter()
    report = evaluate_results(records, protocol, cross_camera=cross_camera)
    metric_s = time.perf_counter() - start
    metric_same = all(
        np.array_equal(report['search'][n].ap, core[n].ap) for n in galleries)
    rng = np.random.default_rng(seed + 1)
    subset = rng.choice(len(picks), loop_queries, replace=False)
    loop_s, max_diff, cmc_same = 0.0, 0.0, True
    for setting, gallery in galleries.items():
        start = time.perf_counter()
        ap, cmc = loop_search(
            **arrays,
            gallery=gallery,
            cross_camera=cross_camera,
            score_thr=0.5,
            queries=subset)
        loop_s += (time.perf_counter() - start) * len(picks) / len(subset)
        max_diff = max(max_diff, float(np.abs(ap - core[setting].ap[subset]).max()))
        cmc_same &= bool(np.array_equal(cmc, core[setting].cmc[subset]))
    return SearchEvalBenchmark(
        name=name,
        num_queries=len(picks),
        num_images=arrays['num_images'],
        kept_per_image=float(
            (arrays['det_scores'] >= 0.5).sum() / arrays['num_images']),
        maps={
            n: (float(r.ap.mean()), float(r.cmc[:, 0].mean()))
            for n, r in core.items()
        },
        generation_s=generation,
        core_s=core_s,
        metric_s=metric_s,
        loop_s=loop_s,
        loop_queries=loop_queries,
        max_ap_diff=max_diff,
        cmc_identical=cmc_same,
        metric_same=metric_same)
