"""Base class of the crop re-ID networks of the two-step family."""
from abc import abstractmethod
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmdet.structures import ReIDDataSample
from mmengine.config import ConfigDict
from mmengine.model import BaseModel
from torch import Tensor

from ..layers.roi_align_cropper import check_expand_ratio

CROP_MASKS = (None, 'instance', 'box')


def build_crop_cfg(crop_cfg: dict) -> ConfigDict:
    """Check and complete the crop settings of a re-ID network.

    Args:
        crop_cfg (dict): ``expand_ratio`` (gamma >= 1), ``size`` (h, w) and
            ``mask`` (None, 'instance' or 'box'); missing keys take the
            defaults 1.0, (256, 128) and None.

    Returns:
        ConfigDict: The settings, ``size`` a tuple of two ints.

    Raises:
        ValueError: An unknown key, gamma < 1, a size that is no (h, w)
            pair of positive ints, or an unknown mask kind.
    """
    unknown = set(crop_cfg) - {'expand_ratio', 'size', 'mask'}
    if unknown:
        raise ValueError(f'unknown crop_cfg keys {sorted(unknown)}: crop_cfg takes '
                         'expand_ratio, size and mask')
    full = ConfigDict(expand_ratio=1.0, size=(256, 128), mask=None)
    full.update(crop_cfg)
    full.expand_ratio = check_expand_ratio(full.expand_ratio)
    size = tuple(full.size)
    if len(size) != 2 or min(size) < 1:
        raise ValueError(
            f'crop_cfg.size must be (h, w) with h, w >= 1, got {full.size}')
    full.size = (int(size[0]), int(size[1]))
    if full.mask not in CROP_MASKS:
        raise ValueError(f"crop_cfg.mask must be None, 'instance' or 'box', got "
                         f'{full.mask!r}')
    return full


def crop_settings(crop_cfg: dict) -> dict:
    """The crop settings as a plain dict, the form they take in a packed
    sample's metainfo (``crop_cfg``) and in comparisons.

    Args:
        crop_cfg (dict): Settings with ``expand_ratio``, ``size``, ``mask``.

    Returns:
        dict: ``expand_ratio`` float, ``size`` tuple (h, w), ``mask``.
    """
    return dict(
        expand_ratio=float(crop_cfg['expand_ratio']),
        size=tuple(int(s) for s in crop_cfg['size']),
        mask=crop_cfg['mask'])


class BaseCropReID(BaseModel):
    """A re-ID network on person patches cut out of whole images (MGTS's
    mask-guided network, RDLR's baseline): the second step of the two-step
    family.

    The base owns what every such network shares, so that a subclass
    writes only :meth:`embed` and :meth:`loss`:

    - ``crop_cfg``: how patches are cut (gamma, size, mask kind). The crop
      pipeline (:class:`mmps.datasets.transforms.CropPersonPatch`) and
      :class:`mmps.models.searchers.TwoStepSearcher` cut with these numbers;
      :meth:`forward` refuses packed patches cut with other ones.
    - its own normalisation (:meth:`normalize`, :attr:`normalization`):
      patches arrive as raw pixels, so a detector and a re-ID network with
      different statistics can share one image (MGTS); a searcher that cuts
      patches from the detector's normalised input instead (RDLR) checks
      that both normalise alike and calls a subclass's
      ``embed_normalized`` (:class:`~mmps.models.reid.BNNeckReID`).
    - :meth:`forward`: unpacks what
      :class:`mmps.datasets.transforms.PackCropReIDInputs` (or mmdet's
      ``PackReIDInputs``) packed, in the modes 'tensor', 'loss', 'predict'.

    mmdet's ``BaseReID`` is not the base: it is an mmpretrain
    ``ImageClassifier`` (backbone, neck, head on one image tensor), which
    would add mmpretrain as a dependency for a layout the mask-guided
    network does not have (patches and masks in, several streams and a
    fusion); mmdet's ``ReIDDataSample`` is kept, so mmdet's ``ReIDDataset``
    pipelines feed these networks too.

    Args:
        crop_cfg (dict): ``expand_ratio`` (gamma >= 1, width and height
            each times gamma), ``size`` (h, w) and ``mask``: None (no masks),
            'instance' (Algorithm 1 of MGTS on an instance map) or 'box'
            (the tight box as the mask). Defaults to
            ``dict(expand_ratio=1.0, size=(256, 128), mask=None)``.
        mean (Sequence[float]): Pixel mean, in the order after
            ``bgr_to_rgb``. Defaults to ImageNet's (123.675, 116.28, 103.53).
        std (Sequence[float]): Pixel std. Defaults to ImageNet's
            (58.395, 57.12, 57.375).
        bgr_to_rgb (bool): Reverse the channels of the loaded (BGR)
            patches before normalising. Defaults to True.
        data_preprocessor (dict, optional): Defaults to mmengine's
            ``BaseDataPreprocessor`` (device transfer only).
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 crop_cfg: dict = dict(expand_ratio=1.0, size=(256, 128), mask=None),
                 mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375),
                 bgr_to_rgb: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.crop_cfg = build_crop_cfg(crop_cfg)
        if len(mean) != 3 or len(std) != 3:
            raise ValueError(f'mean and std need 3 values each, got {mean} and {std}')
        self.bgr_to_rgb = bgr_to_rgb
        self.register_buffer('mean',
                             torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1),
                             False)
        self.register_buffer('std',
                             torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1),
                             False)

    def require_masks(self, what: str) -> None:
        """Refuse a crop config without masks for a part that needs them.

        Args:
            what (str): The part, e.g. "stream 'F'".

        Raises:
            ValueError: ``crop_cfg.mask`` is None.
        """
        if self.crop_cfg.mask is None:
            raise ValueError(
                f"{what} needs foreground masks but crop_cfg.mask is None: "
                "set crop_cfg.mask='instance' (or 'box')")

    @property
    def normalization(self) -> dict:
        """dict: How :meth:`normalize` maps raw patches: ``mean`` and
        ``std`` (tuples of 3 floats, in the order after the channel swap)
        and ``bgr_to_rgb``, the terms of a detector's ``data_preprocessor``.
        """
        return dict(
            mean=tuple(self.mean.flatten().tolist()),
            std=tuple(self.std.flatten().tolist()),
            bgr_to_rgb=self.bgr_to_rgb)

    def normalize(self, patches: Tensor) -> Tensor:
        """Normalise raw patches with this network's statistics.

        Args:
            patches (Tensor): Raw pixels in the loaded (BGR) order, shape
                (N, 3, h, w).

        Returns:
            Tensor: ``(patches[:, ::-1] - mean) / std`` (channels reversed
            when ``bgr_to_rgb``), shape (N, 3, h, w), float.
        """
        if self.bgr_to_rgb:
            patches = patches.flip(1)
        return (patches.float() - self.mean) / self.std

    @abstractmethod
    def embed(self, patches: Tensor, masks: Optional[Tensor]) -> Tensor:
        """Embed patches.

        Args:
            patches (Tensor): Raw patches (BGR pixels, not normalised),
                shape (N, 3, h, w).
            masks (Tensor, optional): Foreground masks in {0, 1}, shape
                (N, 1, h, w); None when ``crop_cfg.mask`` is None.

        Returns:
            Tensor: L2-normalised embeddings, shape (N, D).
        """

    @abstractmethod
    def loss(self, patches: Tensor, masks: Optional[Tensor],
             person_ids: Tensor) -> Dict[str, Tensor]:
        """Training losses of a batch of patches.

        Args:
            patches (Tensor): Raw patches, shape (N, 3, h, w).
            masks (Tensor, optional): Foreground masks, shape (N, 1, h, w).
            person_ids (Tensor): Identity labels, shape (N,) long, -1
                unlabelled.

        Returns:
            dict[str, Tensor]: The losses.
        """

    def unpack(
        self, inputs: Union[Tensor, Sequence[Tensor]],
        data_samples: Optional[Sequence[ReIDDataSample]]
    ) -> Tuple[Tensor, Optional[Tensor], Optional[Tensor]]:
        """Batch what the packing transform produced.

        Args:
            inputs (Tensor | Sequence[Tensor]): Patches (N, 3, h, w), or one
                (3, h, w) or (1, 3, h, w) tensor per sample.
            data_samples (Sequence[ReIDDataSample], optional): One per
                patch, with ``gt_label`` (the person id), ``fg_mask``
                (1, h, w) when masks were cut, and ``crop_cfg`` in the
                metainfo (checked against this network's).

        Returns:
            tuple: ``patches`` (N, 3, h, w) float, ``masks`` (N, 1, h, w) or
            None, ``person_ids`` (N,) long or None (no samples, or samples
            without labels).

        Raises:
            ValueError: A sample was cut with other crop settings, or masks
                are configured but the samples carry none.
        """
        if isinstance(inputs, Tensor):
            patches = inputs
        else:
            patches = torch.cat([p.reshape((-1, ) + p.shape[-3:]) for p in inputs])
        patches = patches.float()
        if data_samples is None:
            if self.crop_cfg.mask is not None:
                raise ValueError(
                    f'crop_cfg.mask={self.crop_cfg.mask!r} needs fg_mask in '
                    'the data samples: pack patches with PackCropReIDInputs')
            return patches, None, None
        expected = crop_settings(self.crop_cfg)
        for sample in data_samples:
            packed = sample.metainfo.get('crop_cfg')
            if packed is not None and crop_settings(packed) != expected:
                raise ValueError(f'patches were cut with {crop_settings(packed)} but '
                                 f'reid.crop_cfg is {expected}: make CropPersonPatch '
                                 'of the pipeline use the model\'s crop settings')
        masks = None
        if self.crop_cfg.mask is not None:
            if not all('fg_mask' in sample for sample in data_samples):
                raise ValueError(
                    f'crop_cfg.mask={self.crop_cfg.mask!r} needs fg_mask in '
                    'every data sample: pack patches with PackCropReIDInputs')
            masks = torch.stack([s.fg_mask for s in data_samples]).to(patches)
        person_ids = None
        if all('gt_label' in sample for sample in data_samples):
            person_ids = torch.cat([s.gt_label.label for s in data_samples])
            person_ids = person_ids.long().to(patches.device)
        return patches, masks, person_ids

    def forward(self,
                inputs: Union[Tensor, Sequence[Tensor]],
                data_samples: Optional[List[ReIDDataSample]] = None,
                mode: str = 'tensor') -> Union[Tensor, dict, List[ReIDDataSample]]:
        """The model's entry for the runner.

        Args:
            inputs (Tensor | Sequence[Tensor]): Raw patches (see
                :meth:`unpack`).
            data_samples (list[ReIDDataSample], optional): One per patch;
                required for 'loss'.
            mode (str): 'tensor' (embeddings (N, D)), 'loss' (a dict of
                losses) or 'predict' (the samples with ``pred_feature``
                (D,)). Defaults to 'tensor'.

        Returns:
            Tensor | dict | list[ReIDDataSample]: By ``mode``.
        """
        patches, masks, person_ids = self.unpack(inputs, data_samples)
        if mode == 'tensor':
            return self.embed(patches, masks)
        if mode == 'loss':
            if person_ids is None:
                raise ValueError('mode="loss" needs data samples with gt_label (the '
                                 'person ids): pack patches with PackCropReIDInputs')
            return self.loss(patches, masks, person_ids)
        if mode == 'predict':
            embeddings = self.embed(patches, masks)
            if data_samples is None:
                data_samples = [ReIDDataSample() for _ in range(len(embeddings))]
            for sample, embedding in zip(data_samples, embeddings):
                sample.pred_feature = embedding
            return data_samples
        raise ValueError(f"invalid mode {mode!r}: use 'tensor', 'loss' or 'predict'")
