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

Example:
    python tools/analysis_tools/benchmark.py \
        configs/oim/oim_r50_c4_cuhk_sysu.py --shape 600 1000 \
        --iters 3 --warmup 1 --device cpu --query-boxes 8
"""
import argparse
import os.path as osp
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional

import torch
import torch.nn as nn
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope

REFERENCE = 'mmdet::faster_rcnn/faster-rcnn_r50-caffe_c4-1x_coco.py'


@dataclass
class Entry:
    """A benchmarked model and its timings (seconds per call)."""
    name: str
    model: nn.Module
    rpn_proposals: int
    gallery: List[float] = field(default_factory=list)
    query: List[float] = field(default_factory=list)
    detections: List[int] = field(default_factory=list)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Time person-search inference per gallery image and '
        'per query box against a stock Faster R-CNN C4')
    parser.add_argument('configs', nargs='+', help='config file paths')
    parser.add_argument(
        '--shape', type=int, nargs=2, default=[600, 1000],
        metavar=('H', 'W'), help='input image height and width')
    parser.add_argument('--iters', type=int, default=3,
                        help='timed iterations per model')
    parser.add_argument('--warmup', type=int, default=1,
                        help='untimed iterations before them')
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    parser.add_argument(
        '--query-boxes', type=int, default=8,
        help='boxes per query-mode call (0: no query-mode timing)')
    parser.add_argument(
        '--reference', default=REFERENCE,
        help='reference config (an mmdet:: path or a file); "none" to skip')
    parser.add_argument('--threads', type=int,
                        help='torch CPU threads (default: torch\'s own)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the weights, the image and the boxes')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
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
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error('--device cuda: CUDA is not available')
    return args


def load_config(path: str) -> Config:
    """Load a config file, or a package config such as ``mmdet::x/y.py``."""
    if '::' in path:
        from mmengine.hub import get_config
        return get_config(path)
    return Config.fromfile(path)


def build_entry(name: str, cfg: Config, device: str, seed: int) -> Entry:
    """Build ``cfg.model`` (random weights drawn after seeding torch with
    ``seed``) in eval mode on ``device``."""
    import mmps.models  # noqa: F401  (registers the mmps modules)
    from mmdet.registry import MODELS
    init_default_scope(cfg.get('default_scope', 'mmdet'))
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model).to(device).eval()
    rpn_cfg = cfg.model.test_cfg.get('rpn', {})
    return Entry(name, model, rpn_proposals=rpn_cfg.get('max_per_img', -1))


def make_sample(height: int, width: int, query_boxes: Optional[torch.Tensor]):
    """A test sample of an unscaled ``height`` x ``width`` image, with
    ``query_instances`` when ``query_boxes`` (K, 4) is given."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData
    sample = DetDataSample(
        metainfo=dict(
            img_id=0, img_path='', ori_shape=(height, width),
            img_shape=(height, width), scale_factor=(1.0, 1.0), flip=False,
            flip_direction=None))
    if query_boxes is not None:
        sample.query_instances = InstanceData(
            bboxes=query_boxes,
            query_indices=torch.arange(len(query_boxes)))
    return sample


def random_boxes(num: int, height: int, width: int,
                 generator: torch.Generator) -> torch.Tensor:
    """``num`` person-shaped boxes (height 2.5 x width) inside the image."""
    box_w = (0.1 + 0.2 * torch.rand(num, generator=generator)) * min(
        width, height / 2.5)
    box_h = 2.5 * box_w
    x1 = torch.rand(num, generator=generator) * (width - box_w)
    y1 = torch.rand(num, generator=generator) * (height - box_h)
    return torch.stack([x1, y1, x1 + box_w, y1 + box_h], dim=1)


def timed(call: Callable, device: str):
    """Run ``call()``; return its result and wall time in seconds."""
    if device == 'cuda':
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = call()
    if device == 'cuda':
        torch.cuda.synchronize()
    return result, time.perf_counter() - start


def run_once(entry: Entry, image: torch.Tensor, boxes: torch.Tensor,
             device: str, record: bool) -> None:
    """One gallery-mode and (if any) one query-mode call of ``entry``."""
    model = entry.model
    height, width = image.shape[1:]

    def gallery():
        data = model.data_preprocessor(
            dict(inputs=[image], data_samples=[make_sample(height, width,
                                                           None)]), False)
        return model.predict(data['inputs'], data['data_samples'])

    samples, seconds = timed(gallery, device)
    if record:
        entry.gallery.append(seconds)
        entry.detections.append(len(samples[0].pred_instances))
    if len(boxes) == 0 or not hasattr(model, 'predict_query'):
        return

    def query():
        data = model.data_preprocessor(
            dict(inputs=[image], data_samples=[make_sample(height, width,
                                                           boxes)]), False)
        return model.predict_query(data['inputs'], data['data_samples'])

    samples, seconds = timed(query, device)
    if len(samples[0].pred_query_instances.embeddings) != len(boxes):
        raise RuntimeError(f'{entry.name}: predict_query did not embed '
                           f'the {len(boxes)} query boxes')
    if record:
        entry.query.append(seconds / len(boxes))


def report(entries: List[Entry], reference: Optional[Entry],
           num_boxes: int) -> None:
    """Print the table: mean (and min) time, ratio to the reference's
    time per image, RPN proposals kept and detections per image."""
    ref = sum(reference.gallery) / len(reference.gallery) \
        if reference else None
    rows = []
    for entry in entries:
        modes = [('gallery', 's/img', entry.gallery)]
        if entry.query:
            modes.append((f'query ({num_boxes} boxes)', 's/box', entry.query))
        for mode, unit, times in modes:
            mean = sum(times) / len(times)
            ratio = f'{mean / ref:.3f}' if ref else '-'
            if mode == 'gallery':
                proposals = str(entry.rpn_proposals)
                dets = f'{sum(entry.detections) / len(entry.detections):.1f}'
            else:
                proposals = dets = '-'
            rows.append((entry.name, mode, f'{mean:.4f} {unit}',
                         f'{min(times):.4f}', ratio, proposals, dets))
    head = ('model', 'mode', 'mean time', 'min', 'x ref s/img',
            'proposals', 'dets/img')
    widths = [max(len(row[i]) for row in rows + [head])
              for i in range(len(head))]
    for row in [head] + rows:
        print('  '.join(cell.ljust(width) if i < 2 else cell.rjust(width)
                        for i, (cell, width) in enumerate(zip(row, widths))))


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    height, width = args.shape
    entries = []
    if args.reference.lower() != 'none':
        try:
            ref_cfg = load_config(args.reference)
        except FileNotFoundError as error:
            raise SystemExit(f'error: reference config not found: {error}')
        name = osp.splitext(osp.basename(args.reference.split('::')[-1]))[0]
        entries.append(
            build_entry(f'{name} (reference)', ref_cfg, args.device,
                        args.seed))
    for path in args.configs:
        cfg = Config.fromfile(path)
        if args.cfg_options is not None:
            cfg.merge_from_dict(args.cfg_options)
        entries.append(
            build_entry(osp.splitext(osp.basename(path))[0], cfg,
                        args.device, args.seed))
    generator = torch.Generator().manual_seed(args.seed)
    image = torch.randint(0, 256, (3, height, width), dtype=torch.uint8,
                          generator=generator).to(args.device)
    boxes = random_boxes(args.query_boxes, height, width,
                         generator).to(args.device)

    device_name = torch.cuda.get_device_name() if args.device == 'cuda' \
        else 'cpu'
    print(f'device: {args.device} ({device_name}), torch '
          f'{torch.__version__}, {torch.get_num_threads()} CPU threads; '
          f'input {height}x{width} (HxW); {args.iters} timed iterations '
          f'after {args.warmup} warm-up, models interleaved; random weights')
    with torch.inference_mode():
        for it in range(args.warmup + args.iters):
            for entry in entries:
                run_once(entry, image, boxes, args.device,
                         record=it >= args.warmup)
    reference = entries[0] if args.reference.lower() != 'none' else None
    report(entries, reference, args.query_boxes)


if __name__ == '__main__':
    main()
