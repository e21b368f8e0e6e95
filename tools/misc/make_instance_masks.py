"""Write the offline person masks of MGTS (instance maps for
``LoadInstanceMap(source='file')``) with an mmdet instance segmentor.

Example::

    python tools/misc/make_instance_masks.py \\
        mmdet::mask_rcnn/mask-rcnn_r101_fpn_1x_coco.py mask_rcnn_r101.pth \\
        data/CUHK-SYSU/mmps/train.json --img-prefix data/CUHK-SYSU/Image/SSM \\
        --out data/CUHK-SYSU/mmps/instance_masks/train.json
"""
import argparse

from mmps.apis.instance_masks import make_instance_masks
from mmps.utils import register_all_modules


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Segment the images of an annotation file and write their '
        'person masks (RLE with scores)')
    parser.add_argument('seg_config', help='mmdet instance segmentation config')
    parser.add_argument('seg_checkpoint', help='its checkpoint')
    parser.add_argument('ann_file', help='mmps-schema annotation file')
    parser.add_argument('--img-prefix', required=True, help='folder of its images')
    parser.add_argument('--out', required=True, help='mask file to write (.json)')
    parser.add_argument('--score-thr', type=float, default=0.5)
    parser.add_argument('--person-class', type=int, default=0, help='label of persons')
    parser.add_argument(
        '--scale',
        type=int,
        nargs=2,
        metavar=('LONG', 'SHORT'),
        help='segment at this keep-ratio scale (default: the image size)')
    parser.add_argument('--device', default='cpu')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    register_all_modules()
    try:
        info = make_instance_masks(args.seg_config, args.seg_checkpoint, args.ann_file,
                                   args.img_prefix, args.out, args.score_thr,
                                   args.person_class,
                                   tuple(args.scale) if args.scale else None,
                                   args.device)
    except (OSError, ValueError) as err:
        raise SystemExit(f'error: {err}')
    print(f"wrote {args.out} (checkpoint sha256 {info['checkpoint_sha256']})")


if __name__ == '__main__':
    main()
