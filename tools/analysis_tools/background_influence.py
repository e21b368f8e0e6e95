"""Evaluate a checkpoint on the background-influence variants (BUFF Table 3).

Runs the config's test loop once per variant and prints mAP / top-1 and
their change from the original split::

    python tools/analysis_tools/background_influence.py CONFIG CHECKPOINT \\
        [--variants orig mb mf rf rb] [--rb-root DIR | --backgrounds DIR] \\
        [--seed 0] [--gallery-size SIZE] [--detected] [--work-dir DIR] \\
        [--out table.json] [--cfg-options k=v ...]

- ``orig``: the config's test split as it is.
- ``mb`` / ``mf`` / ``rf``: the test pipeline gets ``MeanBackground`` /
  ``MeanForeground`` / ``RandomForeground(seed)`` right after
  ``LoadImageFromFile`` (original frame, before ``Resize``).
- ``rb``: ``--rb-root DIR``, a variant written by
  ``tools/misc/make_background_variant.py --variant rb`` (its json and
  ``images/``; CUHK-SYSU or PRW style), or ``--backgrounds DIR``: PRW-style
  ``RandomBackground`` on the fly with the pure backgrounds of that folder.

As in Table 3, the ground-truth boxes form the gallery (the metric's
``labeled`` mode); ``--detected`` uses the detections instead. One gallery
setting is reported for every variant: ``--gallery-size``, by default 100
when the protocol has it, else its largest gallery size, else ``full``
(every other image; refused for a CUHK-style RB variant, whose
"every other image" gallery holds the query's original image).
"""
import argparse
import copy
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmps.evaluation.functional import load_protocol
from mmps.utils.tool_cfg import load_tool_cfg

VARIANTS = ('orig', 'mb', 'mf', 'rf', 'rb')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Evaluate a checkpoint on the background-influence '
        'variants of its test split (BUFF, Table 3)')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--variants', nargs='+', default=list(VARIANTS[:4]),
                        choices=VARIANTS, help='variants to evaluate, in order '
                        '(default: orig mb mf rf; rb needs --rb-root or '
                        '--backgrounds)')
    parser.add_argument('--rb-root', help='rb: folder written by '
                        'tools/misc/make_background_variant.py --variant rb')
    parser.add_argument('--backgrounds', help='rb: folder of pure backgrounds '
                        'named by camera id (PRW style, on the fly)')
    parser.add_argument('--seed', type=int, default=0, help='seed of rf and '
                        'of on-the-fly rb')
    parser.add_argument('--gallery-size', help='gallery setting to report '
                        '(default: 100, else the largest size, else full)')
    parser.add_argument('--detected', action='store_true', help='search the '
                        'detections instead of the ground-truth boxes')
    parser.add_argument('--work-dir', help='logs of each variant go to '
                        'WORK_DIR/<variant>')
    parser.add_argument('--out', help='also write the table as json')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value pairs')
    return parser.parse_args(argv)


def insert_after_loading(pipeline: List[dict], transform: dict) -> List[dict]:
    """A copy of ``pipeline`` with ``transform`` after ``LoadImageFromFile``."""
    types = [str(step.get('type', '')).split('.')[-1] for step in pipeline]
    if 'LoadImageFromFile' not in types:
        raise ValueError('the test pipeline has no LoadImageFromFile step to '
                         f'insert {transform["type"]} after: {types}')
    at = types.index('LoadImageFromFile') + 1
    return [*pipeline[:at], transform, *pipeline[at:]]


def person_search_metrics(cfg: Config) -> List[dict]:
    """The ``PersonSearchMetric`` entries of ``cfg.test_evaluator``."""
    evaluator = cfg.test_evaluator
    metrics = evaluator if isinstance(evaluator, list) else [evaluator]
    found = [m for m in metrics
             if str(m.get('type', '')).split('.')[-1] == 'PersonSearchMetric']
    if not found:
        raise ValueError('the config has no PersonSearchMetric in test_evaluator')
    return found


def test_ann_file(cfg: Config) -> str:
    """Path of the test annotation file (the metric's, else the dataset's)."""
    ann_file = person_search_metrics(cfg)[0].get('ann_file')
    if ann_file is None:
        dataset = cfg.test_dataloader.dataset
        ann_file = osp.join(dataset.get('data_root') or '', dataset.ann_file)
    return ann_file


def default_gallery_size(ann_file: str) -> str:
    """'100' when the protocol has it, else its largest size, else 'full'."""
    sizes = list(load_protocol(ann_file).galleries)
    if '100' in sizes:
        return '100'
    numeric = sorted((s for s in sizes if s.isdigit()), key=int)
    return numeric[-1] if numeric else 'full'


def variant_cfg(cfg: Config, variant: str, args: argparse.Namespace,
                gallery_size: str) -> Config:
    """A copy of ``cfg`` whose test loop evaluates ``variant``."""
    cfg = copy.deepcopy(cfg)
    dataset = cfg.test_dataloader.dataset
    metrics = person_search_metrics(cfg)
    transform = dict(
        mb=dict(type='MeanBackground'),
        mf=dict(type='MeanForeground'),
        rf=dict(type='RandomForeground', seed=args.seed)).get(variant)
    if variant == 'rb':
        if args.rb_root:
            name = osp.basename(dataset.ann_file)
            ann_file = osp.join(args.rb_root, name)
            if not osp.isfile(ann_file):
                raise FileNotFoundError(
                    f'{ann_file} not found: write the rb variant with '
                    'tools/misc/make_background_variant.py first')
            with open(ann_file) as f:
                info = json.load(f).get('info', {}).get('background_influence', {})
            if info.get('variant') != 'rb':
                raise ValueError(f'{ann_file} is not an rb variant '
                                 f'(info.background_influence: {info})')
            if info.get('rb_mode') == 'cuhk' and gallery_size == 'full':
                raise ValueError(
                    'a CUHK-style rb variant cannot be evaluated on the "full" '
                    'gallery (it holds the query\'s original image); choose a '
                    'gallery size of the protocol')
            dataset.update(data_root=args.rb_root, ann_file=name,
                           data_prefix=dict(img='images/'))
            for metric in metrics:
                metric.ann_file = ann_file
        elif args.backgrounds:
            transform = dict(type='RandomBackground',
                             backgrounds=args.backgrounds, seed=args.seed)
        else:
            raise ValueError(
                'rb needs --rb-root (a variant written by tools/misc/'
                'make_background_variant.py --variant rb) or --backgrounds '
                '(pure backgrounds by camera id, PRW style)')
    if transform is not None:
        dataset.pipeline = insert_after_loading(dataset.pipeline, transform)
    for metric in metrics:
        metric.update(labeled=not args.detected, gallery_sizes=[gallery_size])
    cfg.work_dir = osp.join(cfg.work_dir, variant)
    cfg.experiment_name = variant
    return cfg


def format_table(rows: Dict[str, Dict[str, float]], title: str) -> str:
    """Table 3's layout: one row per variant, mAP / top-1 (%) and the change
    from ``orig`` (when evaluated)."""
    lines = [title, f'{"variant":<10}{"mAP":>8}{"top-1":>8}{"dmAP":>8}{"dtop-1":>8}']
    base = rows.get('orig')
    for variant, row in rows.items():
        line = f'{variant:<10}{100 * row["mAP"]:>8.2f}{100 * row["top1"]:>8.2f}'
        if base is not None and variant != 'orig':
            line += (f'{100 * (row["mAP"] - base["mAP"]):>+8.2f}'
                     f'{100 * (row["top1"] - base["top1"]):>+8.2f}')
        lines.append(line)
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, Dict[str, float]]:
    args = parse_args(argv)
    cfg = load_tool_cfg(args.config, 'none', args.cfg_options, args.work_dir)
    cfg.load_from = args.checkpoint
    gallery_size = args.gallery_size or default_gallery_size(test_ann_file(cfg))
    prefix = '' if args.detected else 'labeled_'
    variant_cfgs = {v: variant_cfg(cfg, v, args, gallery_size)
                    for v in dict.fromkeys(args.variants)}
    rows: Dict[str, Dict[str, float]] = {}
    for variant, vcfg in variant_cfgs.items():
        metrics = Runner.from_cfg(vcfg).test()
        rows[variant] = dict(mAP=metrics[f'{prefix}mAP'],
                             top1=metrics[f'{prefix}top1'])
    boxes = 'detected boxes' if args.detected else 'ground-truth boxes'
    print(format_table(rows, f'background influence of {args.checkpoint} '
                       f'({boxes}, gallery {gallery_size})'))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(config=args.config, checkpoint=args.checkpoint,
                           gallery_size=gallery_size, boxes=boxes, rows=rows),
                      f, indent=2)
    return rows


if __name__ == '__main__':
    main()
