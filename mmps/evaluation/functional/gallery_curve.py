"""mAP and top-1 against gallery size (the papers' gallery curve)."""
from typing import List, Sequence, Tuple

from .protocol import SearchProtocol
from .results_eval import evaluate_results


def gallery_curve(
        results: Sequence[dict],
        protocol: SearchProtocol,
        search_score_thr: float = 0.5) -> Tuple[List[int], List[float], List[float]]:
    """mAP and top-1 of per-image results at each numeric gallery size.

    Args:
        results (Sequence[dict]): per-image records (see
            :func:`evaluate_results`).
        protocol (SearchProtocol): a protocol with gallery sizes
            (CUHK-SYSU's 50 to 4000).
        search_score_thr (float): minimum score of the searched
            detections. Defaults to 0.5.

    Returns:
        tuple[list[int], list[float], list[float]]: the sizes, ascending,
        and the matching mAP and top-1 (fractions).

    Raises:
        ValueError: the protocol has no numeric gallery size (e.g. PRW).
    """
    sizes = sorted((s for s in protocol.galleries if s.isdigit()), key=int)
    if not sizes:
        raise ValueError(f'the {protocol.dataset!r} protocol has no gallery '
                         'sizes (e.g. PRW searches every other image)')
    report = evaluate_results(
        results, protocol, search_score_thr=search_score_thr, gallery_sizes=sizes)
    summaries = [report['search'][s].summary() for s in sizes]
    return ([int(s) for s in sizes], [m['mAP'] for m in summaries],
            [m['top1'] for m in summaries])
