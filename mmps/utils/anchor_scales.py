"""Anchor scales of a single-level RPN from the person heights of the
training split, in the detector's input frame.

MGTS (Sec. 4.3) follows "the anchor settings in [6]" (Faster R-CNN) with
"uniform scales ranging from the smallest and biggest persons we want to
detect". mmps reads this as Faster R-CNN's ratios 0.5/1/2 and ``num`` scales
uniform in log space (octave-like) from the 1st to the 99th percentile of
the training persons' heights (configs/mgts/README.md, Deviation 2). The
heights are only known with the data, so a config asks for them with a
sentinel in place of the scale list::

    anchor_generator=dict(
        type='AnchorGenerator',
        scales=dict(type='height_percentiles', percentiles=(1, 99), num=3),
        ratios=[0.5, 1.0, 2.0],
        strides=[16])

and :func:`fill_anchor_scales` writes the list before the model is built,
as :func:`~mmps.utils.fill_num_person_ids` does for the identity count.
A dict rather than a bare string keeps the rule's two settings beside the
request, and its ``num`` lets the model be built (9 anchors) before the
scales are known. The head holding the generator must keep the scales in
its state dict (:class:`~mmps.models.dense_heads.PersistentAnchorRPNHead`), so that a
trained checkpoint carries them and inference needs no data.
"""
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmcv.image import rescale_size
from mmcv.transforms import Resize as MMCVResize
from mmdet.datasets.transforms import Resize as MMDetResize
from mmdet.registry import DATASETS, MODELS
from mmengine.config import Config
from mmengine.registry import DefaultScope

HEIGHT_PERCENTILES = 'height_percentiles'
SPEC_EXAMPLE = f"dict(type='{HEIGHT_PERCENTILES}', percentiles=(1, 99), num=3)"
# decimals of the written scales: at most 0.0008 px off at stride 16
SCALE_DECIMALS = 4


def parse_scales_spec(scales: Any) -> Optional[Tuple[Tuple[float, float], int]]:
    """Read the ``scales`` entry of an anchor generator config.

    Args:
        scales: A list of scales (given), None (the generator derives them,
            e.g. from ``octave_base_scale``) or the request
            ``dict(type='height_percentiles', percentiles=(lo, hi), num=N)``;
            ``percentiles`` defaults to (1, 99) and ``num`` to 3.

    Returns:
        tuple | None: ``((lo, hi), num)`` for a request, None otherwise.

    Raises:
        ValueError: A dict that is not a valid request: another ``type``,
            unknown keys, percentiles not ``0 <= lo < hi <= 100`` or
            ``num < 2``.
    """
    if not isinstance(scales, dict):
        return None
    if scales.get('type') != HEIGHT_PERCENTILES or \
            set(scales) - {'type', 'percentiles', 'num'}:
        raise ValueError(f'anchor_generator.scales={dict(scales)!r}: give a list of '
                         f'scales or {SPEC_EXAMPLE}')
    low, high = (float(p) for p in scales.get('percentiles', (1, 99)))
    num = scales.get('num', 3)
    if not 0 <= low < high <= 100:
        raise ValueError(f'anchor_generator.scales: percentiles must satisfy 0 <= lo < '
                         f'hi <= 100, got {(low, high)}')
    if not isinstance(num, int) or num < 2:
        raise ValueError(f'anchor_generator.scales: num must be an int >= 2 (scales '
                         f'from the low to the high percentile), got {num!r}')
    return (low, high), num


def _resized_size(resize: MMCVResize, width: int, height: int) -> Tuple[int, int]:
    """The (width, height) that ``resize`` gives an image of ``width`` x
    ``height``, computed as mmcv's and mmdet's ``Resize.transform`` do
    (``scale`` before ``scale_factor``; ``keep_ratio`` through
    :func:`mmcv.image.rescale_size`)."""
    if resize.scale:
        scale = tuple(resize.scale)
    else:
        factor_w, factor_h = resize.scale_factor
        scale = (int(width * factor_w + 0.5), int(height * factor_h + 0.5))
    if resize.keep_ratio:
        return rescale_size((width, height), scale)
    return scale


def height_resize_factor(transforms: Sequence, width: int, height: int) -> float:
    """The factor by which a pipeline scales the box heights of one image.

    Each plain ``Resize`` (mmcv's or mmdet's) multiplies the heights by
    ``new_height / height``, read from its ``scale`` (or ``scale_factor``)
    and ``keep_ratio`` as the transform itself computes the new size; the
    image is not decoded. The other transforms are taken to keep box
    heights (loading, flips, padding, photometric changes, packing).

    Args:
        transforms (Sequence): Built pipeline transforms, in order.
        width (int): Original image width.
        height (int): Original image height.

    Returns:
        float: New height over original height.

    Raises:
        ValueError: A transform whose class name holds ``Resize`` other
            than the plain one (``RandomResize``, ``RandomChoiceResize``,
            ``FixShapeResize``, ...): its factor is not one number per
            image.
    """
    factor = 1.0
    for transform in transforms:
        if type(transform) in (MMCVResize, MMDetResize):
            new_width, new_height = _resized_size(transform, width, height)
            factor *= new_height / height
            width, height = new_width, new_height
        elif 'Resize' in type(transform).__name__:
            raise ValueError(
                f'anchor scales from the training heights need a fixed Resize in '
                f'the training pipeline, got {type(transform).__name__}; set '
                'anchor_generator.scales to a list instead')
    return factor


def input_frame_heights(dataset: Any) -> np.ndarray:
    """The person box heights of a built training dataset, in pixels of
    the detector's input frame (after the pipeline's ``Resize``).

    Every image counts once (a dataset with one item per box, such as
    :class:`~mmps.datasets.PersonCropDataset`, repeats its images), every
    non-ignored box of it once; boxes of zero height are left out. Dataset
    wrappers (``ConcatDataset``, ``RepeatDataset``, ...) are read through.

    Args:
        dataset: A built dataset whose data infos hold ``width``,
            ``height`` and ``instances`` (``bbox`` x1y1x2y2), e.g.
            :class:`~mmps.datasets.PersonSearchDataset`.

    Returns:
        np.ndarray: Heights, shape (N,), float64.
    """
    if hasattr(dataset, 'datasets'):
        parts = [input_frame_heights(part) for part in dataset.datasets]
        return np.concatenate(parts) if parts else np.zeros(0)
    if hasattr(dataset, 'dataset'):
        return input_frame_heights(dataset.dataset)
    transforms = getattr(dataset.pipeline, 'transforms', [])
    heights, seen = [], set()
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        image = info.get('img_path', info.get('img_id'))
        if image in seen:
            continue
        seen.add(image)
        factor = height_resize_factor(transforms, info['width'], info['height'])
        heights += [(inst['bbox'][3] - inst['bbox'][1]) * factor
                    for inst in info['instances'] if not inst.get('ignore_flag', 0)]
    heights = np.asarray(heights, dtype=np.float64)
    return heights[heights > 0]


def training_person_heights(cfg: Config) -> np.ndarray:
    """Build ``cfg.train_dataloader.dataset`` and return its person heights
    in the detector's input frame (:func:`input_frame_heights`).

    Raises:
        ValueError: The split holds no person box.
    """
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
        dataset = DATASETS.build(cfg.train_dataloader.dataset)
    heights = input_frame_heights(dataset)
    if heights.size == 0:
        raise ValueError('the training split holds no person box to size the anchors '
                         'from; set anchor_generator.scales to a list')
    return heights


def scales_from_heights(
        heights: np.ndarray,
        percentiles: Tuple[float, float] = (1, 99),
        num: int = 3,
        base_size: float = 16) -> Tuple[Tuple[float, float], List[float]]:
    """``num`` anchor scales uniform in log space from the low to the high
    height percentile.

    mmdet's ``AnchorGenerator`` makes, for a scale s and a ratio r =
    height / width, the anchor ``base_size * s * sqrt(r)`` high and
    ``base_size * s / sqrt(r)`` wide. The square anchor (r = 1) of the
    first scale is thus as high as the low percentile, that of the last as
    the high one, the others spaced by one constant factor between; the
    r = 2 (tall) anchors are sqrt(2) times higher, the r = 0.5 ones sqrt(2)
    times lower, with the same area.

    Args:
        heights (np.ndarray): Person heights, shape (N,), in pixels.
        percentiles (tuple[float, float]): Low and high percentile
            (``np.percentile``, linear interpolation). Defaults to (1, 99).
        num (int): Number of scales, >= 2. Defaults to 3.
        base_size (float): The generator's base size (its stride unless
            ``base_sizes`` is given). Defaults to 16.

    Returns:
        tuple: The two height percentiles (px) and the scales, rounded to
        :data:`SCALE_DECIMALS` decimals.

    Examples:
        >>> import numpy as np
        >>> from mmps.utils.anchor_scales import scales_from_heights
        >>> scales_from_heights(np.arange(1., 102.), (1, 99), 3, base_size=16)
        ((2.0, 100.0), [0.125, 0.8839, 6.25])
    """
    low, high = (float(h) for h in np.percentile(heights, percentiles))
    scales = np.geomspace(low, high, num) / base_size
    return (low, high), [round(float(s), SCALE_DECIMALS) for s in scales]


def anchor_generators(model_cfg: Any,
                      path: str = 'model') -> List[Tuple[str, dict, dict]]:
    """Every ``anchor_generator`` config below ``model_cfg``.

    Returns:
        list[tuple]: ``(path, head, generator)``: the generator's config path
        for ``--cfg-options`` (e.g. ``'model.rpn_head.anchor_generator'``),
        the head config holding it and the generator config (both live
        objects of ``model_cfg``).
    """
    found = []
    if isinstance(model_cfg, dict):
        for key, value in model_cfg.items():
            if key == 'anchor_generator' and isinstance(value, dict):
                found.append((f'{path}.{key}', model_cfg, value))
            else:
                found += anchor_generators(value, f'{path}.{key}')
    elif isinstance(model_cfg, (list, tuple)):
        for index, item in enumerate(model_cfg):
            found += anchor_generators(item, f'{path}.{index}')
    return found


def generator_base_size(generator: dict, path: str) -> float:
    """The base size (px) of a single-level anchor generator config: its
    ``base_sizes`` entry, else its stride (the smaller side of a pair).

    Raises:
        ValueError: More than one level (one scale list would not cover
            the heights at each level).
    """
    sizes = generator.get('base_sizes') or generator.get('strides', [])
    if len(sizes) != 1:
        raise ValueError(
            f'{path}: anchor scales from the training heights need a '
            f'single-level generator, got strides {generator.get("strides")}')
    size = sizes[0]
    return float(min(size) if isinstance(size, (list, tuple)) else size)


def _check_head_keeps_scales(head: dict, path: str) -> None:
    """Raise unless the head config's type stores its anchor scales in its
    state dict (so that checkpoints carry the filled scales)."""
    from mmps.models.dense_heads import PersistentAnchorRPNHead
    head_type = head.get('type')
    cls = MODELS.get(head_type) if isinstance(head_type, str) else head_type
    if not (isinstance(cls, type) and issubclass(cls, PersistentAnchorRPNHead)):
        raise ValueError(f'{path}: scales from the training heights need a head that '
                         f'keeps them in its checkpoint, type=PersistentAnchorRPNHead, '
                         f'got {head_type}')


def fill_anchor_scales(cfg: Config,
                       heights: Optional[np.ndarray] = None) -> Dict[str, List[float]]:
    """Replace, in place, every anchor generator's scale request
    (``scales=dict(type='height_percentiles', ...)``) of ``cfg.model`` by
    the scales of :func:`scales_from_heights` over the training heights.

    Training tools call this before building the runner, beside
    :func:`~mmps.utils.fill_num_person_ids`. Generators with a scale list
    are left alone, and nothing is read when no generator asks.
    Inference needs no call: :class:`~mmps.models.dense_heads.PersistentAnchorRPNHead`
    takes the scales from the checkpoint it loads.

    Args:
        cfg (Config): Full config with ``model`` and, when ``heights`` is
            not given, ``train_dataloader.dataset``.
        heights (np.ndarray, optional): Person heights (N,) in the
            detector's input frame. None builds the training dataset and
            reads them (:func:`training_person_heights`).

    Returns:
        dict[str, list[float]]: The scales written, by generator path
        (e.g. ``'model.rpn_head.anchor_generator'``); empty when no
        generator asks.

    Raises:
        ValueError: A malformed request, a multi-level generator, a head
            that does not keep its scales, or no training box.
    """
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
        asking = []
        for path, head, generator in anchor_generators(cfg.model):
            request = parse_scales_spec(generator.get('scales'))
            if request is not None:
                _check_head_keeps_scales(head, path)
                asking.append((path, generator, request))
    if not asking:
        return {}
    if heights is None:
        heights = training_person_heights(cfg)
    filled = {}
    for path, generator, (percentiles, num) in asking:
        base_size = generator_base_size(generator, path)
        _, filled[path] = scales_from_heights(heights, percentiles, num, base_size)
        generator.scales = filled[path]
    return filled


def anchor_scales_report(cfg: Config,
                         heights: np.ndarray,
                         percentiles: Optional[Tuple[float, float]] = None,
                         num: Optional[int] = None) -> List[str]:
    """The lines of ``tools/analysis_tools/anchor_scales.py``: the height
    percentiles and, for each anchor generator of ``cfg.model``, the
    scales, the anchor sizes per ratio and a ``--cfg-options`` line.

    Args:
        cfg (Config): Full config (not changed).
        heights (np.ndarray): Training person heights (N,), input frame.
        percentiles (tuple[float, float], optional): Overrides the
            generator's request; default (1, 99) for a generator with a
            scale list.
        num (int, optional): Overrides the number of scales; default the
            request's, else the length of the generator's scale list.

    Returns:
        list[str]: Lines to print.

    Raises:
        ValueError: ``cfg.model`` has no anchor generator, or one cannot
            take scales from heights (multi-level, bad request).
    """
    generators = anchor_generators(cfg.model)
    if not generators:
        raise ValueError('the config has no anchor_generator under model')
    median = float(np.median(heights))
    lines = [
        f'person heights, training split, detector input frame: {heights.size} boxes, '
        f'min {heights.min():.1f}, median {median:.1f}, max {heights.max():.1f} px'
    ]
    for path, _, generator in generators:
        listed = generator.get('scales')
        request = parse_scales_spec(listed)
        if request is None:
            count = len(listed) if listed else generator.get('scales_per_octave', 3)
            request = ((1.0, 99.0), count)
        use_percentiles = tuple(percentiles or request[0])
        use_num = num or request[1]
        base_size = generator_base_size(generator, path)
        (low, high), scales = scales_from_heights(heights, use_percentiles, use_num,
                                                  base_size)
        lines += [
            f'{path} (base size {base_size:g} px): heights p{use_percentiles[0]:g} '
            f'{low:.1f} px, p{use_percentiles[1]:g} {high:.1f} px',
            f'  {use_num} scales: {scales}'
        ]
        for ratio in generator.ratios:
            sizes = ', '.join(f'{base_size * s / math.sqrt(ratio):.0f}x'
                              f'{base_size * s * math.sqrt(ratio):.0f}' for s in scales)
            lines.append(f'  ratio {ratio:g} (h/w) anchors, w x h px: {sizes}')
        lines.append(f'  --cfg-options {path}.scales=[{",".join(map(str, scales))}]')
    return lines
