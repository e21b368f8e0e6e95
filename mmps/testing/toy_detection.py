"""A tiny COCO-format detection dataset for smoke tests of the tool chain.

Each image is noise with a few solid rectangles ("persons") on it; a small
detector learns it in a few dozen CPU iterations. It exercises the train,
test, resume and distributed entry points before (and independently of) the
person-search data and models.

Command line: ``python tools/misc/make_toy_detection.py data/toy_det``.
"""
import json
import os
import os.path as osp

import cv2
import numpy as np


def make_toy_detection_dataset(root: str,
                               num_images: int = 16,
                               image_size: int = 64,
                               seed: int = 0) -> str:
    """Write ``root/images/*.png`` and ``root/annotations.json`` (COCO format).

    Args:
        root (str): Output folder, created when absent.
        num_images (int): Number of images.
        image_size (int): Side of the square images in pixels.
        seed (int): Seed of the generator: equal seeds give equal datasets.

    Returns:
        str: Path of the annotation file.
    """
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'images'), exist_ok=True)
    images, annotations = [], []
    for image_id in range(num_images):
        image = rng.integers(0, 80, (image_size, image_size, 3), dtype=np.uint8)
        for _ in range(int(rng.integers(1, 3))):
            w = int(rng.integers(image_size // 6, image_size // 3))
            h = int(rng.integers(image_size // 3, image_size // 2))
            x = int(rng.integers(0, image_size - w))
            y = int(rng.integers(0, image_size - h))
            image[y:y + h, x:x + w] = rng.integers(150, 256, 3)
            annotations.append(
                dict(
                    id=len(annotations) + 1,
                    image_id=image_id,
                    category_id=1,
                    bbox=[x, y, w, h],
                    area=w * h,
                    iscrowd=0))
        file_name = f'{image_id:04d}.png'
        cv2.imwrite(osp.join(root, 'images', file_name), image)
        images.append(
            dict(id=image_id, file_name=file_name, width=image_size, height=image_size))
    ann_file = osp.join(root, 'annotations.json')
    with open(ann_file, 'w') as f:
        json.dump(
            dict(
                images=images,
                annotations=annotations,
                categories=[dict(id=1, name='person')]), f)
    return ann_file
