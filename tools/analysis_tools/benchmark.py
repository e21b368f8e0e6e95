"""Time person-search inference per gallery image and per query box.

Every CONFIG's model is built with random weights (nothing is loaded) and
run in inference mode on one fixed random image of ``--shape H W``, with the
RPN and RoI test settings of its config:

- gallery mode: ``predict`` (detection and embedding of the detected
  boxes), time per image;
- query mode, for models with ``predict_query``: the embeddings of
  ``--query-boxes K`` fixed boxes of the image (backbone once, no
  detection), time of the call divided by K.

A stock MMDetection Faster R-CNN ResNet-50 C4 (``--reference``) is timed in
the same run, round-robin with the other models so that all of them share
the machine's load, and every time is also given as a ratio to its time
per image. Data preprocessing (normalisation, padding) is inside the timed
calls. Random weights make the number of boxes that pass the score
threshold arbitrary (it is printed): a trained model keeps fewer, so the
gallery-mode embedding pass of a trained person-search model costs less.
``--force-detections N`` sets every model (the reference too) to score
threshold 0 and N boxes per image (``force_detections`` in
``mmps/utils/benchmark.py``: ``test_cfg.rcnn``, a one-stage ``test_cfg`` or
a two-step searcher's ``detector.test_cfg``), so that models are compared
at equal work per detection.

The table also gives, with ``--device cuda``, each model's peak CUDA
memory per mode (its weights plus the most its call allocated; 'n/a' on
CPU). ``--profile-stages`` adds a table of stage times: preprocessing,
backbone and neck (``extract_feat``) and the heads of a detector; the
detector, segmentor and re-ID network of a two-step searcher.

Example:
    python tools/analysis_tools/benchmark.py \
        configs/oim/oim_r50_c4_cuhk_sysu.py --shape 600 1000 \
        --iters 3 --warmup 1 --device cpu --query-boxes 8 \
        --force-detections 10 --profile-stages
"""
import argparse
import os.path as osp
from typing import List, Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.hub import get_config

from mmps.testing import make_det_sample, random_person_boxes
from mmps.utils import register_all_modules
from mmps.utils.benchmark import (InferenceTiming, force_detections, format_stage_table,
                                  format_timing_table)

REFERENCE = 'mmdet::faster_rcnn/faster-rcnn_r50-caffe_c4-1x_coco.py'


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Time person-search inference per gallery image and '
        'per query box against a stock Faster R-CNN C4')
    parser.add_argument('configs', nargs='+', help='config file paths')
    parser.add_argument(
        '--shape',
        type=int,
        nargs=2,
        default=[600, 1000],
        metavar=('H', 'W'),
        help='input image height and width')
    parser.add_argument(
        '--iters', type=int, default=3, help='timed iterations per model')
    parser.add_argument(
        '--warmup', type=int, default=1, help='untimed iterations before them')
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    parser.add_argument(
        '--query-boxes',
        type=int,
        default=8,
        help='boxes per query-mode call (0: no query-mode timing)')
    parser.add_argument(
        '--reference',
        default=REFERENCE,
        help='reference config (an mmdet:: path or a file); "none" to skip')
    parser.add_argument(
        '--threads', type=int, help='torch CPU threads (default: torch\'s own)')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the weights, the image and the boxes')
    parser.add_argument(
        '--force-detections',
        type=int,
        metavar='N',
        help='score threshold 0 and N boxes per image for every model')
    parser.add_argument(
        '--profile-stages',
        action='store_true',
        help='also time the stages of each call (backbone/neck, heads; '
        'detector, re-ID of a two-step searcher)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override entries of every CONFIG (not the reference)')
    args = parser.parse_args(argv)
    for path in args.configs:
        if not osp.isfile(path):
            parser.error(f'config file not found: {path}')
    if min(args.shape) < 32:
        parser.error(f'--shape needs H, W >= 32, got {args.shape}')
    if args.iters < 1 or args.warmup < 0 or args.query_boxes < 0:
        parser.error('need --iters >= 1, --warmup >= 0, --query-boxes >= 0')
    if args.threads is not None and args.threads < 1:
        parser.error('--threads must be >= 1')
    if args.force_detections is not None and args.force_detections < 1:
        parser.error('--force-detections must be >= 1')
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: CUDA is not available')
    return args


def load_config(path: str) -> Config:
    """Load a config file, or a package config such as ``mmdet::x/y.py``."""
    if '::' in path:
        return get_config(path)
    return Config.fromfile(path)


def build_timing(name: str, cfg: Config, args: argparse.Namespace) -> InferenceTiming:
    """The model of ``cfg`` ready to time, with ``--force-detections``
    applied (its edits printed)."""
    if args.force_detections is not None:
        try:
            edited = force_detections(cfg.model, args.force_detections)
        except ValueError as error:
            raise SystemExit(f'error: {name}: {error}')
        print(f'{name}: {args.force_detections} detections forced (score_thr=0, '
              f'max_per_img={args.force_detections}) in {", ".join(edited)}')
    return InferenceTiming.build(name, cfg, args.device, args.seed, args.profile_stages)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    register_all_modules()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    height, width = args.shape
    timings = []
    if args.reference.lower() != 'none':
        try:
            ref_cfg = load_config(args.reference)
        except FileNotFoundError as error:
            raise SystemExit(f'error: reference config not found: {error}')
        name = osp.splitext(osp.basename(args.reference.split('::')[-1]))[0]
        timings.append(build_timing(f'{name} (reference)', ref_cfg, args))
    for path in args.configs:
        cfg = Config.fromfile(path)
        if args.cfg_options is not None:
            cfg.merge_from_dict(args.cfg_options)
        timings.append(build_timing(osp.splitext(osp.basename(path))[0], cfg, args))
    generator = torch.Generator().manual_seed(args.seed)
    image = torch.randint(
        0, 256, (3, height, width), dtype=torch.uint8,
        generator=generator).to(args.device)
    boxes = random_person_boxes(args.query_boxes, height, width,
                                generator).to(args.device)
    gallery_sample = make_det_sample((height, width))
    query_sample = (
        make_det_sample((height, width), query_bboxes=boxes) if len(boxes) else None)

    device_name = torch.cuda.get_device_name() if args.device == 'cuda' \
        else 'cpu'
    print(f'device: {args.device} ({device_name}), torch '
          f'{torch.__version__}, {torch.get_num_threads()} CPU threads; '
          f'input {height}x{width} (HxW); {args.iters} timed iterations '
          f'after {args.warmup} warm-up, models interleaved; random weights')
    with torch.inference_mode():
        for it in range(args.warmup + args.iters):
            for timing in timings:
                timing.run(
                    image,
                    gallery_sample,
                    query_sample,
                    args.device,
                    record=it >= args.warmup)
    reference = timings[0] if args.reference.lower() != 'none' else None
    print(format_timing_table(timings, reference, args.query_boxes, show_memory=True))
    if args.force_detections is not None:
        for timing in timings:
            if min(timing.detections) < args.force_detections:
                print(f'note: {timing.name} kept {min(timing.detections)} < '
                      f'{args.force_detections} boxes in an image (its NMS removed '
                      'the others)')
    if args.profile_stages:
        print('stage times (mean per call; the last stage of each mode is the time '
              'the named stages leave over):')
        print(format_stage_table(timings))


if __name__ == '__main__':
    main()
