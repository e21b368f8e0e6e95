"""Write the toy detection dataset that configs/smoke/smoke_retinanet_tiny.py reads."""
import argparse

from mmps.testing import make_toy_detection_dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('root', nargs='?', default='data/toy_det', help='output folder')
    parser.add_argument('--num-images', type=int, default=16)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    print(make_toy_detection_dataset(args.root, args.num_images, seed=args.seed))


if __name__ == '__main__':
    main()
