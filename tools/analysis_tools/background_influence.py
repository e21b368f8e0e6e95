"""Table 3 of BUFF: models evaluated on the background-influence variants.

Each CONFIG CHECKPOINT pair (e.g. the Sec. 4.1 baseline and BUFF of one
dataset) runs its config's test loop once per variant; one row per model,
mAP / top-1 (%) per variant, is printed in Table 3's layout::

    python tools/analysis_tools/background_influence.py \\
        CONFIG CHECKPOINT [CONFIG CHECKPOINT ...] \\
        [--variants orig mb mf rf rb] [--rb-root DIR | --backgrounds DIR] \\
        [--seed 0] [--rf-source image] [--gallery-size SIZE] [--detected] \\
        [--work-dir DIR] [--out table.json] [--cfg-options k=v ...]

- ``orig``: the config's test split as it is.
- ``mb`` / ``mf`` / ``rf``: the test pipeline gets ``MeanBackground`` /
  ``MeanForeground`` / ``RandomForeground`` right after
  ``LoadImageFromFile`` (original frame, before ``Resize``).
- ``rb``: ``--rb-root DIR``, a variant written by
  ``tools/misc/make_background_variant.py --variant rb`` (its json and
  ``images/``; CUHK-SYSU or PRW style), or ``--backgrounds DIR``:
  PRW-style ``RandomBackground`` on the fly with the pure backgrounds of
  that folder.

As in Table 3, the ground-truth boxes form the gallery (the metric's
``labeled`` mode); ``--detected`` uses the detections instead. One gallery
setting is reported per model: ``--gallery-size``, by default 100 when the
protocol has it, else its largest gallery size, else ``full`` (every other
image; refused for a CUHK-style RB variant, whose "every other image"
gallery holds the query's original image).
"""
import argparse
import copy
import json
import os.path as osp
import sys
from typing import Dict, List, Sequence, Tuple

from mmengine.config import Config, DictAction

from mmps.engine import StrictCheckpointRunner
from mmps.evaluation.functional import load_protocol
from mmps.utils import (CheckpointError, adapt_cfg_to_cpu_launch, load_tool_cfg,
                        register_all_modules)

VARIANTS = ('orig', 'mb', 'mf', 'rf', 'rb')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Evaluate models on the background-influence variants '
        'of their test split and print BUFF Table 3')
    parser.add_argument(
        'pairs',
        nargs='+',
        metavar='CONFIG CHECKPOINT',
        help='a test config and its checkpoint, once per model (row)')
    parser.add_argument(
        '--variants',
        nargs='+',
        default=['orig', 'mb', 'rb'],
        choices=VARIANTS,
        help='variants (columns) in order; default: orig mb rb, the columns '
        'of Table 3 (rb needs --rb-root or --backgrounds)')
    rb_source = parser.add_mutually_exclusive_group()
    rb_source.add_argument(
        '--rb-root',
        help='rb: folder written by tools/misc/make_background_variant.py '
        '--variant rb')
    rb_source.add_argument(
        '--backgrounds',
        help='rb: folder of pure backgrounds named by camera id (PRW style, '
        'on the fly)')
    parser.add_argument(
        '--seed', type=int, default=0, help='seed of rf and of on-the-fly rb')
    parser.add_argument(
        '--rf-source',
        default='image',
        choices=('image', 'background'),
        help='where rf draws its pixels from (default: image, as Sec. 3.1)')
    parser.add_argument(
        '--gallery-size',
        help='gallery setting to report (default: 100, else the largest '
        'size, else full)')
    parser.add_argument(
        '--detected',
        action='store_true',
        help='search the detections instead of the ground-truth boxes')
    parser.add_argument(
        '--work-dir',
        help='logs go to WORK_DIR/<config name>/<variant>; default: '
        './work_dirs/background_influence')
    parser.add_argument('--out', help='also write the table as json')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override entries of every config, key=value pairs')
    args = parser.parse_args()
    error = check_args(args)
    if error:
        parser.error(error)
    return args


def check_args(args: argparse.Namespace) -> str:
    """The one-line error for arguments that cannot work, or ``''``."""
    if len(args.pairs) % 2:
        return ('expected CONFIG CHECKPOINT pairs, got an odd number of '
                f'paths: {" ".join(args.pairs)}')
    names = [osp.basename(config) for config in args.pairs[::2]]
    if len(set(names)) < len(names):
        return ('each model needs a config of its own name (rows are named '
                f'by config): {" ".join(names)}')
    for config, checkpoint in zip(args.pairs[::2], args.pairs[1::2]):
        if not osp.isfile(config):
            return f'config file {config} does not exist'
        if '://' not in checkpoint and not osp.isfile(checkpoint):
            return f'checkpoint {checkpoint} does not exist'
    if 'rb' in args.variants and not (args.rb_root or args.backgrounds):
        return ('rb needs --rb-root (a variant written by tools/misc/'
                'make_background_variant.py --variant rb) or --backgrounds '
                '(pure backgrounds by camera id, PRW style)')
    return ''


def insert_after_loading(pipeline: List[dict], transform: dict) -> List[dict]:
    """A copy of ``pipeline`` with ``transform`` after ``LoadImageFromFile``.

    Raises:
        ValueError: The pipeline has no ``LoadImageFromFile``.
    """
    types = [str(step.get('type', '')).split('.')[-1] for step in pipeline]
    if 'LoadImageFromFile' not in types:
        raise ValueError('the test pipeline has no LoadImageFromFile step to '
                         f'insert {transform["type"]} after: {types}')
    at = types.index('LoadImageFromFile') + 1
    return [*pipeline[:at], transform, *pipeline[at:]]


def person_search_metrics(cfg: Config) -> List[dict]:
    """The ``PersonSearchMetric`` entries of ``cfg.test_evaluator``.

    Raises:
        ValueError: There is none.
    """
    evaluator = cfg.test_evaluator
    metrics = evaluator if isinstance(evaluator, list) else [evaluator]
    found = [
        m for m in metrics
        if str(m.get('type', '')).split('.')[-1] == 'PersonSearchMetric'
    ]
    if not found:
        raise ValueError(f'{cfg.filename} has no PersonSearchMetric in test_evaluator')
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


def use_written_rb(cfg: Config, rb_root: str, gallery_size: str) -> None:
    """Point the test split and the metrics of ``cfg`` at the RB variant
    written in ``rb_root``.

    Raises:
        FileNotFoundError: ``rb_root`` holds no annotation file of the
            test split's name.
        ValueError: It is not an RB variant, or a CUHK-style one asked for
            the ``full`` gallery.
    """
    dataset = cfg.test_dataloader.dataset
    name = osp.basename(dataset.ann_file)
    ann_file = osp.join(rb_root, name)
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'{ann_file} not found: write the rb variant with '
                                'tools/misc/make_background_variant.py first')
    with open(ann_file) as f:
        info = json.load(f).get('info', {}).get('background_influence', {})
    if info.get('variant') != 'rb':
        raise ValueError(f'{ann_file} is not an rb variant '
                         f'(info.background_influence: {info})')
    if info.get('rb_mode') == 'cuhk' and gallery_size == 'full':
        raise ValueError('a CUHK-style rb variant cannot be evaluated on the "full" '
                         "gallery (it holds the query's original image); choose a "
                         'gallery size of the protocol')
    dataset.update(data_root=rb_root, ann_file=name, data_prefix=dict(img='images/'))
    for metric in person_search_metrics(cfg):
        metric.ann_file = ann_file


def variant_cfg(cfg: Config, variant: str, args: argparse.Namespace,
                gallery_size: str) -> Config:
    """A copy of ``cfg`` whose test loop evaluates ``variant``."""
    cfg = copy.deepcopy(cfg)
    transform = dict(
        mb=dict(type='MeanBackground'),
        mf=dict(type='MeanForeground'),
        rf=dict(type='RandomForeground', source=args.rf_source,
                seed=args.seed)).get(variant)
    if variant == 'rb' and args.rb_root:
        use_written_rb(cfg, args.rb_root, gallery_size)
    elif variant == 'rb':
        transform = dict(
            type='RandomBackground', backgrounds=args.backgrounds, seed=args.seed)
    dataset = cfg.test_dataloader.dataset
    if transform is not None:
        dataset.pipeline = insert_after_loading(dataset.pipeline, transform)
    for metric in person_search_metrics(cfg):
        metric.update(labeled=not args.detected, gallery_sizes=[gallery_size])
    cfg.work_dir = osp.join(cfg.work_dir, variant)
    cfg.experiment_name = variant
    return cfg


def model_cfgs(args: argparse.Namespace) -> Dict[str, Tuple[str, Dict[str, Config]]]:
    """For each CONFIG CHECKPOINT pair, named by the config: its gallery
    setting and its config per variant."""
    work_root = args.work_dir or osp.join('work_dirs', 'background_influence')
    rows = {}
    for config, checkpoint in zip(args.pairs[::2], args.pairs[1::2]):
        name = osp.splitext(osp.basename(config))[0]
        cfg = load_tool_cfg(config, 'none', args.cfg_options, osp.join(work_root, name))
        cfg.load_from = checkpoint
        adapt_cfg_to_cpu_launch(cfg, 'none')
        gallery_size = args.gallery_size or default_gallery_size(test_ann_file(cfg))
        rows[name] = (gallery_size, {
            variant: variant_cfg(cfg, variant, args, gallery_size)
            for variant in dict.fromkeys(args.variants)
        })
    return rows


def format_table(rows: Dict[str, Dict[str, dict]], variants: Sequence[str],
                 title: str) -> str:
    """Table 3's layout: one row per model, the gallery setting, then
    ``mAP / top-1`` (%) per variant."""
    width = max(len('model'), *map(len, rows))
    lines = [
        title,
        f'{"model":<{width}}  {"gallery":>7}' + ''.join(f'{v:>18}' for v in variants)
    ]
    for name, row in rows.items():
        cells = ''.join(f'{100 * row[v]["mAP"]:>9.2f} / {100 * row[v]["top1"]:>6.2f}'
                        for v in variants)
        lines.append(f'{name:<{width}}  {row["gallery_size"]:>7}{cells}')
    return '\n'.join(lines)


def main() -> None:
    args = parse_args()
    register_all_modules(init_default_scope=False)
    try:
        cfgs = model_cfgs(args)
    except (FileNotFoundError, ValueError) as error:
        print(f'{osp.basename(__file__)}: error: {error}', file=sys.stderr)
        sys.exit(2)
    prefix = '' if args.detected else 'labeled_'
    rows: Dict[str, Dict[str, dict]] = {}
    for name, (gallery_size, variant_cfgs) in cfgs.items():
        rows[name] = dict(gallery_size=gallery_size)
        for variant, cfg in variant_cfgs.items():
            try:
                metrics = StrictCheckpointRunner.from_cfg(cfg).test()
            except CheckpointError as error:
                print(f'{osp.basename(__file__)}: error: {error}', file=sys.stderr)
                sys.exit(1)
            rows[name][variant] = dict(
                mAP=metrics[f'{prefix}mAP'], top1=metrics[f'{prefix}top1'])
    boxes = 'detected boxes' if args.detected else 'ground-truth boxes'
    variants = list(dict.fromkeys(args.variants))
    print(
        format_table(rows, variants,
                     f'background influence ({boxes}): mAP / top-1 (%)'))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(boxes=boxes, variants=variants, rows=rows), f, indent=2)


if __name__ == '__main__':
    main()
