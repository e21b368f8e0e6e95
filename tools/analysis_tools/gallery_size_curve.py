"""Plot mAP (and top-1) against gallery size: the papers' gallery curve.

Evaluates each results pickle on every gallery size of the protocol
(:func:`mmps.evaluation.functional.gallery_curve`) and draws one line per
results file.

Example:
    python tools/analysis_tools/gallery_size_curve.py \\
        data/CUHK-SYSU/mmps/test.json oim.pkl seqnet.pkl \\
        --labels OIM SeqNet --out work_dirs/gallery_curve.png
"""
import argparse

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt

from mmps.evaluation.functional import load_protocol  # noqa: E402
from mmps.evaluation.functional import gallery_curve, load_results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='test annotation JSON (protocol)')
    parser.add_argument('results', nargs='+', help='results pickles')
    parser.add_argument('--labels', nargs='+', help='legend per pickle')
    parser.add_argument(
        '--search-score-thr',
        type=float,
        default=0.5,
        help='minimum score of the searched detections')
    parser.add_argument('--top1', action='store_true', help='also draw top-1 (dashed)')
    parser.add_argument('--out', default='gallery_curve.png')
    args = parser.parse_args()
    labels = args.labels or args.results
    if len(labels) != len(args.results):
        parser.error('give one label per results file')
    protocol = load_protocol(args.ann_file)
    fig, ax = plt.subplots(figsize=(5, 4))
    for path, label in zip(args.results, labels):
        try:
            sizes, maps, top1 = gallery_curve(
                load_results(path), protocol, args.search_score_thr)
        except ValueError as err:
            parser.exit(1, f'error: {err}\n')
        line, = ax.plot(
            sizes, [100 * m for m in maps], marker='o', label=f'{label} mAP')
        if args.top1:
            ax.plot(
                sizes, [100 * t for t in top1],
                marker='s',
                linestyle='--',
                color=line.get_color(),
                label=f'{label} top-1')
        print(label, ' '.join(f'{s}:{100 * m:.2f}' for s, m in zip(sizes, maps)))
    ax.set_xscale('log')
    ax.minorticks_off()
    ax.set_xticks(sizes)
    ax.set_xticklabels([str(s) for s in sizes])
    ax.set_xlabel('gallery size')
    ax.set_ylabel('%')
    ax.set_title(f'{protocol.dataset}: mAP vs gallery size')
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=120)
    plt.close(fig)
    print(f'saved {args.out}')


if __name__ == '__main__':
    main()
