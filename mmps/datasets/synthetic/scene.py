"""Plan and render synthetic person-search scenes.

A scene is drawn from one of several cameras (each with its own static
background); labelled identities recur across images and cameras, unlabelled
passers-by appear once, and later persons or a static occluder may hide part
of earlier persons. Identity is carried only by appearance (clothing colours,
clothing pattern, hat, bag), never by position or background.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

PALETTE = np.array([[220, 40, 40], [40, 170, 40], [40, 70, 220], [230, 210, 40],
                    [200, 60, 200], [40, 200, 210], [245, 140, 30], [250, 250, 250],
                    [30, 30, 30], [130, 80, 40], [150, 150, 150], [120, 200, 120]],
                   dtype=np.uint8)  # RGB
PATTERNS = ('solid', 'hstripes', 'vstripes', 'checker')
SKIN_TONES = np.array([[240, 200, 170], [200, 150, 110], [140, 95, 60]], dtype=np.uint8)


@dataclass(frozen=True)
class Appearance:
    """Clothing and accessories of one person; indices refer to ``PALETTE``.

    ``hat`` and ``bag`` are -1 when absent; ``bag_side`` is 0 (left) or 1.
    """
    shirt: int
    shirt_alt: int
    pattern: int
    pants: int
    hat: int
    bag: int
    bag_side: int
    skin: int


@dataclass
class PersonBox:
    """One drawn person: ``bbox`` is (x, y, w, h) in pixels, inside the image.

    ``person_id`` is the labelled identity (>= 0) or -1 for a passer-by;
    ``mask`` (H, W) bool is the visible part after occlusion.
    """
    bbox: Tuple[float, float, float, float]
    person_id: int
    appearance: Appearance
    mask: Optional[np.ndarray] = None
    visible_fraction: float = 1.0


@dataclass
class ScenePlan:
    """Everything about one image except its pixels."""
    index: int
    split: str
    cam_id: int
    persons: List[PersonBox] = field(default_factory=list)
    occluder: Optional[Tuple[int, int, int, int]] = None  # x, y, w, h


def sample_identity_appearances(num_ids: int,
                                rng: np.random.Generator) -> List[Appearance]:
    """Draw ``num_ids`` pairwise-distinct appearances.

    Two identities always differ in :func:`appearance_key`, so identity is
    learnable from appearance alone.
    """
    seen = set()
    out = []
    while len(out) < num_ids:
        app = _random_appearance(rng)
        key = appearance_key(app)
        if key in seen:
            continue
        seen.add(key)
        out.append(app)
    return out


def appearance_key(app: Appearance) -> tuple:
    """The visible traits that tell identities apart (skin and bag side
    excluded; the second shirt colour only counts on a pattern)."""
    alt = app.shirt_alt if PATTERNS[app.pattern] != 'solid' else -1
    return (app.shirt, alt, app.pattern, app.pants, app.hat, app.bag)


def _random_appearance(rng: np.random.Generator) -> Appearance:
    n = len(PALETTE)
    shirt = int(rng.integers(n))
    shirt_alt = int((shirt + rng.integers(1, n)) % n)
    return Appearance(
        shirt=shirt,
        shirt_alt=shirt_alt,
        pattern=int(rng.integers(len(PATTERNS))),
        pants=int(rng.integers(n)),
        hat=int(rng.integers(n)) if rng.random() < 0.4 else -1,
        bag=int(rng.integers(n)) if rng.random() < 0.4 else -1,
        bag_side=int(rng.integers(2)),
        skin=int(rng.integers(len(SKIN_TONES))))


def camera_background(cam_id: int, image_size: Tuple[int, int],
                      seed: int) -> np.ndarray:
    """Static background of camera ``cam_id``: (H, W, 3) uint8 RGB."""
    h, w = image_size
    rng = np.random.default_rng([seed, 7919, cam_id])
    top, bottom = rng.integers(40, 200, size=(2, 3))
    horizon = int(h * rng.uniform(0.35, 0.6))
    img = np.empty((h, w, 3), np.uint8)
    ramp = np.linspace(0, 1, horizon)[:, None]
    img[:horizon] = (top * (1 - ramp) + top * 0.7 * ramp).astype(np.uint8)[:, None, :]
    img[horizon:] = bottom.astype(np.uint8)
    for _ in range(int(rng.integers(2, 5))):  # buildings / furniture
        bw, bh = int(rng.integers(w // 8,
                                  w // 3)), int(rng.integers(h // 6, horizon + 1))
        bx = int(rng.integers(0, w - bw))
        colour = rng.integers(30, 120, size=3).astype(np.uint8)
        img[max(0, horizon - bh):horizon, bx:bx + bw] = colour
    return img


def plan_split(
    split: str,
    num_images: int,
    person_ids: List[int],
    appearances: Dict[int, Appearance],
    image_size: Tuple[int, int],
    num_cameras: int,
    rng: np.random.Generator,
    start_index: int = 0,
    min_appearances: int = 2,
    max_labelled: int = 3,
    max_unlabelled: int = 2,
    empty_ratio: float = 0.03,
    occluder_ratio: float = 0.25,
    person_height: Tuple[float, float] = (0.4, 0.8)
) -> List[ScenePlan]:
    """Lay out persons for ``num_images`` images of one split.

    Every id in ``person_ids`` appears in at least ``min_appearances`` images
    (on distinct cameras when ``num_cameras`` allows); a few images stay empty.
    ``person_height`` is the range of box height over image height.
    """
    h, w = image_size
    slots: List[List[int]] = [[] for _ in range(num_images)]
    nonempty = [i for i in range(num_images) if rng.random() >= empty_ratio]
    cams = rng.integers(num_cameras, size=num_images)
    for pid in person_ids:  # guaranteed appearances first
        used_cams = set()
        chosen = []
        for _ in range(50 * min_appearances):
            if len(chosen) == min_appearances or not nonempty:
                break
            i = nonempty[int(rng.integers(len(nonempty)))]
            if len(slots[i]) >= max_labelled or i in chosen or (
                    cams[i] in used_cams and len(used_cams) < num_cameras):
                continue
            chosen.append(i)
            used_cams.add(cams[i])
        for i in chosen:
            slots[i].append(pid)
    for i in nonempty:  # fill up the rest at random
        want = min(int(rng.integers(1, max_labelled + 1)), len(person_ids))
        while len(slots[i]) < want:
            pid = person_ids[int(rng.integers(len(person_ids)))]
            if pid not in slots[i]:
                slots[i].append(pid)
    plans = []
    nonempty_set = set(nonempty)
    for i in range(num_images):
        plan = ScenePlan(start_index + i, split, int(cams[i]))
        ids = list(slots[i])
        if i in nonempty_set:
            ids += [-1] * int(rng.integers(0, max_unlabelled + 1))
        rng.shuffle(ids)
        for pid in ids:
            ph = int(h * rng.uniform(*person_height))
            pw = max(8, int(ph * rng.uniform(0.38, 0.46)))
            x = int(rng.integers(0, w - pw))
            y = int(rng.integers(max(0, int(h * 0.45) - ph // 2), h - ph + 1))
            app = appearances[pid] if pid >= 0 else _random_appearance(rng)
            plan.persons.append(
                PersonBox((float(x), float(y), float(pw), float(ph)), pid, app))
        if plan.persons and rng.random() < occluder_ratio:
            target = plan.persons[int(rng.integers(len(plan.persons)))]
            tx, ty, tw, th = (int(v) for v in target.bbox)
            ow = max(4, int(tw * rng.uniform(0.3, 0.6)))
            oh = max(4, int(th * rng.uniform(0.3, 0.5)))
            ox = int(np.clip(tx + rng.integers(-ow // 2, tw - ow // 2 + 1), 0, w - ow))
            plan.occluder = (ox, ty + th - oh, ow, oh)
        plans.append(plan)
    return plans


def render_scene(plan: ScenePlan, background: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    """Draw ``plan`` over ``background``; fills each person's visible mask.

    Returns the (H, W, 3) uint8 RGB image.
    """
    img = background.copy()
    h, w = img.shape[:2]
    noise = rng.integers(-6, 7, size=img.shape, dtype=np.int16)
    img = np.clip(img.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    full_masks, drawn_areas = [], []
    for person in plan.persons:
        mask = _draw_person(img, person)
        drawn_areas.append(int(mask.sum()))
        for earlier in full_masks:  # later persons hide earlier ones
            earlier &= ~mask
        full_masks.append(mask)
    if plan.occluder is not None:
        ox, oy, ow, oh = plan.occluder
        img[oy:oy + oh, ox:ox + ow] = (90, 90, 100)
        img[oy:oy + 2, ox:ox + ow] = (50, 50, 60)
        for mask in full_masks:
            mask[oy:oy + oh, ox:ox + ow] = False
    for person, mask, area in zip(plan.persons, full_masks, drawn_areas):
        person.mask = mask
        person.visible_fraction = float(mask.sum()) / max(area, 1)
    return img


def _person_parts(canvas: np.ndarray, pw: int, ph: int) -> Dict[str, np.ndarray]:
    """Boolean (ph, pw) part masks of a person drawn in a box of that size."""
    yy, xx = np.mgrid[0:ph, 0:pw]
    rx, ry = xx / pw, yy / ph
    parts = {
        'legs': (((rx > 0.28) & (rx < 0.48)) | ((rx > 0.52) & (rx < 0.72)))
        & (ry >= 0.55),
        'torso': (rx > 0.22) & (rx < 0.78) & (ry > 0.19) & (ry < 0.6),
        'arms': (((rx > 0.08) & (rx <= 0.22)) | ((rx >= 0.78) & (rx < 0.92)))
        & (ry > 0.21) & (ry < 0.52),
        'head': ((rx - 0.5) / 0.17)**2 + ((ry - 0.1) / 0.1)**2 <= 1,
    }
    parts['hat'] = parts['head'] & (ry < 0.07)
    for part in parts.values():
        canvas |= part
    return parts


def _draw_person(img: np.ndarray, person: PersonBox) -> np.ndarray:
    """Paint ``person`` into ``img`` in place; returns its (H, W) bool mask."""
    h, w = img.shape[:2]
    x, y, pw, ph = (int(v) for v in person.bbox)
    app = person.appearance
    local = np.zeros((ph, pw), bool)
    parts = _person_parts(local, pw, ph)
    patch = img[y:y + ph, x:x + pw]
    yy, xx = np.mgrid[0:ph, 0:pw]
    period = max(2, ph // 16)
    pattern = PATTERNS[app.pattern]
    if pattern == 'hstripes':
        alt = (yy // period) % 2 == 1
    elif pattern == 'vstripes':
        alt = (xx // period) % 2 == 1
    elif pattern == 'checker':
        alt = ((yy // period) + (xx // period)) % 2 == 1
    else:
        alt = np.zeros_like(local)
    patch[parts['legs']] = PALETTE[app.pants]
    patch[parts['arms']] = PALETTE[app.shirt]
    patch[parts['torso'] & ~alt] = PALETTE[app.shirt]
    patch[parts['torso'] & alt] = PALETTE[app.shirt_alt]
    patch[parts['head']] = SKIN_TONES[app.skin]
    if app.hat >= 0:
        patch[parts['hat']] = PALETTE[app.hat]
    if app.bag >= 0:
        rx, ry = xx / pw, yy / ph
        side = (rx < 0.2) if app.bag_side == 0 else (rx > 0.8)
        bag = side & (ry > 0.38) & (ry < 0.58)
        patch[bag] = PALETTE[app.bag]
        local |= bag
    mask = np.zeros((h, w), bool)
    mask[y:y + ph, x:x + pw] = local
    return mask
