"""SE weight statistics of a trained MGTS network (Fig. 6): over the
training crops, how often Avg(F) > Avg(O) and the histogram of N20(F), the
number of the 20 largest SE weights that belong to F-stream channels.

Example::

    python tools/analysis_tools/mgts_se_weights.py \\
        configs/mgts/mgts_reid_ofe_r50_cuhk_sysu.py work_dirs/mgts/epoch_15.pth \\
        --out se_weights.json
"""
import argparse
import json

import numpy as np
from mmengine.config import Config, DictAction

from mmps.apis.se_weights import collect_se_weights
from mmps.utils import register_all_modules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='MGTS SE weight statistics (Fig. 6)')
    parser.add_argument('config', help='two-stream MGTS config')
    parser.add_argument('checkpoint', help='trained weights')
    parser.add_argument('--top-k', type=int, default=20)
    parser.add_argument('--max-batches', type=int, help='stop after this many batches')
    parser.add_argument('--out', help='write the per-crop metrics here (JSON)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    try:
        stats = collect_se_weights(cfg, args.checkpoint, args.max_batches, args.top_k)
    except (OSError, ValueError) as err:
        raise SystemExit(f'error: {err}')
    n = len(stats['avg_f'])
    share = (stats['avg_f'] > stats['avg_o']).mean()
    print(f'crops: {n}; Avg(F) > Avg(O) for {share:.1%}')
    histogram = np.bincount(stats['n_top_f'], minlength=args.top_k + 1)
    print(f'N{args.top_k}(F) histogram (0..{args.top_k}): {histogram.tolist()}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump({k: v.tolist() for k, v in stats.items()}, f)


if __name__ == '__main__':
    main()
