"""Convert torchvision's ImageNet VGG-16 into an initial CNNv checkpoint
(conv1_1..conv5_3 and fc6/fc7) for the MGTS detector configs.

Example::

    python tools/model_converters/vgg16_to_mmps.py vgg16-397923af.pth \\
        checkpoints/vgg16_cnnv_init.pth
    python tools/train.py configs/mgts/mgts_det_vgg16_cuhk_sysu.py --cfg-options \\
        load_from=checkpoints/vgg16_cnnv_init.pth allow_partial_checkpoint=True
"""
import argparse

from mmps.utils.vgg16_checkpoint import convert_vgg16_checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(
        description='torchvision VGG-16 -> CNNv (MGTS) initial checkpoint')
    parser.add_argument('src', help='torchvision vgg16 weights (vgg16-397923af.pth)')
    parser.add_argument('dst', help='output checkpoint')
    args = parser.parse_args()
    try:
        convert_vgg16_checkpoint(args.src, args.dst)
    except (OSError, KeyError) as err:
        raise SystemExit(f'error: {err}')
    print(f'wrote {args.dst}')


if __name__ == '__main__':
    main()
