"""Generate a synthetic person-search dataset in the mmps annotation schema.

The layout written under ``out_dir``::

    out_dir/
        images/{train,test}/<cam>_<index>.jpg
        annotations/train.json
        annotations/test.json

Both JSON files follow ``docs/design.md``; the test file carries the protocol
(one query per test identity, galleries per size, occlusion and
low-resolution subsets).
"""
import json
import os
import os.path as osp
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

from mmps.structures import mask_to_polygons
from .scene import (ScenePlan, camera_background, plan_split, render_scene,
                    sample_identity_appearances)

DEFAULT_SYNTHETIC_ROOT = 'data/synthetic'
DEFAULT_SYNTHETIC_CFG = dict(
    seed=0,
    num_train_images=240,
    num_test_images=90,
    num_train_ids=24,
    num_test_ids=16,
    image_size=(160, 240),
    num_cameras=4,
    gallery_sizes=(10, 30))


@dataclass
class SyntheticScenes:
    """Planned and rendered scenes of both splits plus the test protocol.

    ``images`` holds (H, W, 3) uint8 RGB arrays aligned with ``plans`` (one
    shared black image when pixels were not rendered). ``queries`` are
    (plan index, person index in that plan) pairs, one per test identity;
    ``galleries`` maps a gallery size to one int64 array of plan indices
    per query.
    """
    plans: List[ScenePlan]
    images: List[np.ndarray]
    train_ids: List[int]
    test_ids: List[int]
    queries: List[Tuple[int, int]]
    galleries: Dict[int, List[np.ndarray]]
    image_size: Tuple[int, int]


def build_synthetic_scenes(seed: int = 0,
                           num_train_images: int = 240,
                           num_test_images: int = 90,
                           num_train_ids: int = 24,
                           num_test_ids: int = 16,
                           image_size: Tuple[int, int] = (160, 240),
                           num_cameras: int = 4,
                           gallery_sizes: Sequence[int] = (10, 30),
                           max_labelled: int = 3,
                           max_unlabelled: int = 2,
                           person_height: Tuple[float, float] = (0.4, 0.8),
                           render: bool = True) -> SyntheticScenes:
    """Plan (and render) every scene; deterministic in ``seed``.

    ``render=False`` skips drawing (no masks, black images): enough for
    annotation-only stand-ins such as the converter timing.

    Train identities are numbered ``1..num_train_ids`` and test identities
    follow them, as in the CUHK-SYSU release (disjoint splits).
    A gallery list of size ``s`` holds ``s`` other test images (fewer when the
    split is smaller): those showing the query identity first (up to ``s``),
    then distractors, shuffled by the seeded generator.
    """
    rng = np.random.default_rng(seed)
    train_ids = list(range(1, num_train_ids + 1))
    test_ids = list(range(num_train_ids + 1, num_train_ids + num_test_ids + 1))
    looks = sample_identity_appearances(len(train_ids) + len(test_ids), rng)
    appearances = dict(zip(train_ids + test_ids, looks))
    common = dict(
        appearances=appearances,
        image_size=image_size,
        num_cameras=num_cameras,
        rng=rng,
        max_labelled=max_labelled,
        max_unlabelled=max_unlabelled,
        person_height=person_height)
    plans = plan_split('train', num_train_images, train_ids, **common)
    plans += plan_split(
        'test', num_test_images, test_ids, start_index=num_train_images, **common)
    backgrounds = [camera_background(c, image_size, seed) for c in range(num_cameras)]
    if render:
        images = [render_scene(plan, backgrounds[plan.cam_id], rng) for plan in plans]
    else:
        blank = np.zeros((*image_size, 3), np.uint8)
        images = [blank] * len(plans)
    test_plans = np.asarray([p.index for p in plans if p.split == 'test'],
                            dtype=np.int64)
    holders: Dict[int, List[Tuple[int, int]]] = {}
    for i in test_plans.tolist():
        for j, person in enumerate(plans[i].persons):
            holders.setdefault(person.person_id, []).append((i, j))
    queries = [holders[pid][int(rng.integers(len(holders[pid])))] for pid in test_ids]
    galleries = {}
    for size in gallery_sizes:
        lists = []
        for (qi, qj) in queries:
            pid = plans[qi].persons[qj].person_id
            pos = np.asarray(
                sorted({i
                        for i, _ in holders[pid]} - {qi}), dtype=np.int64)
            neg = test_plans[~np.isin(test_plans, np.append(pos, qi))]
            rng.shuffle(pos)
            rng.shuffle(neg)
            chosen = np.concatenate([pos, neg])[:size]
            rng.shuffle(chosen)
            lists.append(chosen)
        galleries[int(size)] = lists
    return SyntheticScenes(plans, images, train_ids, test_ids, queries, galleries,
                           tuple(image_size))


def image_file_name(plan: ScenePlan) -> str:
    """Path of ``plan``'s image relative to ``images/``."""
    return f'{plan.split}/c{plan.cam_id + 1}_{plan.index:06d}.jpg'


def scenes_to_schema(scenes: SyntheticScenes,
                     split: str,
                     with_masks: bool = True) -> dict:
    """The mmps-schema dict of one split; image ids are plan indices + 1.

    A person gets ``segmentation`` polygons and ``mask_source='annotated'``
    when masks are written and some of it is visible; otherwise (no masks,
    not rendered, or fully hidden) ``mask_source='box'``.
    """
    h, w = scenes.image_size
    images, annotations = [], []
    for plan in scenes.plans:
        if plan.split != split:
            continue
        images.append(
            dict(
                id=plan.index + 1,
                file_name=image_file_name(plan),
                width=w,
                height=h,
                cam_id=plan.cam_id))
        for person in plan.persons:
            x, y, bw, bh = person.bbox
            ann = dict(
                id=len(annotations) + 1 + (0 if split == 'train' else 10**6),
                image_id=plan.index + 1,
                category_id=1,
                bbox=[x, y, bw, bh],
                area=bw * bh,
                iscrowd=0,
                person_id=person.person_id)
            if with_masks and person.mask is not None:
                polys = mask_to_polygons(person.mask)
                if polys:
                    ann['segmentation'] = polys
            ann['mask_source'] = ('annotated' if 'segmentation' in ann else 'box')
            annotations.append(ann)
    out = dict(
        info=dict(dataset='synthetic', split=split),
        categories=[dict(id=1, name='person')],
        images=images,
        annotations=annotations)
    if split == 'test':
        out['protocol'] = scenes_protocol(scenes)
    return out


def scenes_protocol(scenes: SyntheticScenes) -> dict:
    """Queries, galleries (image ids) and subsets of the test split.

    The occlusion subset holds queries with less than 70% of the person
    visible; the low-resolution subset those shorter than 60% of the
    tallest query.
    """
    queries, occluded, heights = [], [], []
    for k, (qi, qj) in enumerate(scenes.queries):
        person = scenes.plans[qi].persons[qj]
        queries.append(
            dict(image_id=qi + 1, bbox=list(person.bbox), person_id=person.person_id))
        heights.append(person.bbox[3])
        if person.visible_fraction < 0.7:
            occluded.append(k)
    tallest = max(heights) if heights else 0
    low_res = [k for k, hh in enumerate(heights) if hh < 0.6 * tallest]
    galleries = {
        str(size): [(g + 1).tolist() for g in lists]
        for size, lists in scenes.galleries.items()
    }
    return dict(
        queries=queries,
        galleries=galleries,
        subsets=dict(occlusion=occluded, low_resolution=low_res))


def write_image(path: str, rgb: np.ndarray) -> None:
    """Write an (H, W, 3) uint8 RGB array as a JPEG (quality 95)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(path, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                [cv2.IMWRITE_JPEG_QUALITY, 95])


def make_synthetic_dataset(out_dir: str,
                           seed: int = 0,
                           num_train_images: int = 240,
                           num_test_images: int = 90,
                           num_train_ids: int = 24,
                           num_test_ids: int = 16,
                           image_size: Tuple[int, int] = (160, 240),
                           num_cameras: int = 4,
                           gallery_sizes: Sequence[int] = (10, 30),
                           with_masks: bool = True) -> Dict[str, str]:
    """Write a synthetic dataset in the mmps schema under ``out_dir``.

    Args:
        out_dir: Output root (see the module docstring for the layout).
        seed: Everything (layout, identities, pixels) is a function of it.
        num_train_images / num_test_images: Images per split.
        num_train_ids / num_test_ids: Labelled identities per split (disjoint).
        image_size: (height, width) of every image.
        num_cameras: Cameras, each with its own background.
        gallery_sizes: Gallery sizes of the test protocol; the "all other
            test images" mode needs no list.
        with_masks: Write per-person polygon masks.

    Returns:
        dict with the paths of ``train`` and ``test`` annotation files.
    """
    scenes = build_synthetic_scenes(
        seed=seed,
        num_train_images=num_train_images,
        num_test_images=num_test_images,
        num_train_ids=num_train_ids,
        num_test_ids=num_test_ids,
        image_size=image_size,
        num_cameras=num_cameras,
        gallery_sizes=gallery_sizes)
    for plan, img in zip(scenes.plans, scenes.images):
        write_image(osp.join(out_dir, 'images', image_file_name(plan)), img)
    paths = {}
    os.makedirs(osp.join(out_dir, 'annotations'), exist_ok=True)
    for split in ('train', 'test'):
        paths[split] = osp.join(out_dir, 'annotations', f'{split}.json')
        with open(paths[split], 'w') as f:
            json.dump(scenes_to_schema(scenes, split, with_masks), f)
    return paths


def ensure_synthetic_dataset(root: str = DEFAULT_SYNTHETIC_ROOT,
                             **kwargs) -> Dict[str, str]:
    """Generate the default synthetic dataset under ``root`` unless present.

    Idempotent: when both annotation files exist nothing is written.
    ``kwargs`` override ``DEFAULT_SYNTHETIC_CFG``. Returns the annotation
    paths like :func:`make_synthetic_dataset`.
    """
    paths = {s: osp.join(root, 'annotations', f'{s}.json') for s in ('train', 'test')}
    if all(osp.isfile(p) for p in paths.values()):
        return paths
    cfg = dict(DEFAULT_SYNTHETIC_CFG, **kwargs)
    return make_synthetic_dataset(root, **cfg)
