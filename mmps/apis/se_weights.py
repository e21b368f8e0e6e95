"""SE weight statistics of MGTS's fusion (Fig. 6 of Chen et al., ECCV 2018):
per crop, the mean weight of the F-stream and O-stream channels and how
many of the top-k weighted channels come from the F stream."""
from typing import Dict, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from torch import Tensor

from mmps.utils import build_person_search_model


def se_weight_statistics(weights: Tensor, top_k: int = 20) -> Dict[str, np.ndarray]:
    """Fig. 6's metrics of SE weights.

    Args:
        weights (Tensor): SE weights w of each crop, shape (N, 2C), the first
            C for the F stream (:meth:`SEFusion.channel_weights`).
        top_k (int): Channels counted by N_k(F). Defaults to 20.

    Returns:
        dict[str, np.ndarray]: ``avg_f`` and ``avg_o`` (N,) float, the mean
        weights of each stream's channels; ``n_top_f`` (N,) int, the number
        of the ``top_k`` largest weights that are F channels.
    """
    channels = weights.shape[1] // 2
    top = weights.topk(top_k, dim=1).indices
    return dict(
        avg_f=weights[:, :channels].mean(1).numpy(),
        avg_o=weights[:, channels:].mean(1).numpy(),
        n_top_f=(top < channels).sum(1).numpy())


def collect_se_weights(cfg: Config,
                       checkpoint: Optional[str] = None,
                       max_batches: Optional[int] = None,
                       top_k: int = 20) -> Dict[str, np.ndarray]:
    """Feed the training crops of a two-stream MGTS config through its SE
    fusion and gather :func:`se_weight_statistics`.

    Args:
        cfg (Config): A ``configs/mgts`` re-ID or search config with streams
            ('F', 'O') (its ``train_dataloader`` gives the crops).
        checkpoint (str, optional): Trained weights. Defaults to None.
        max_batches (int, optional): Stop after this many batches.
            Defaults to None (the whole split).
        top_k (int): See :func:`se_weight_statistics`. Defaults to 20.

    Returns:
        dict[str, np.ndarray]: The per-crop metrics, concatenated.

    Raises:
        ValueError: The model's streams are not ('F', 'O') (one stream
            has no SE fusion; another order would swap F and O).
    """
    model = build_person_search_model(cfg, checkpoint).eval()
    reid = model.reid
    streams = tuple(getattr(reid, 'streams', ()))
    if streams != ('F', 'O'):  # the fusion's first C weights are F's
        raise ValueError(
            f'Fig. 6 weighs the F and O streams, this model has {streams}: '
            "give a two-stream config (streams=('F', 'O')), e.g. "
            'mgts_reid_ofe_r50_cuhk_sysu.py')
    loader_cfg = cfg.train_dataloader.copy()
    loader_cfg.sampler = dict(type='DefaultSampler', shuffle=False)
    loader = Runner.build_dataloader(loader_cfg)
    parts = []
    with torch.no_grad():
        for i, data in enumerate(loader):
            if max_batches is not None and i >= max_batches:
                break
            patches, masks, _ = reid.unpack(data['inputs'], data['data_samples'])
            weights = reid.fusion.channel_weights(*reid.stream_feats(patches, masks))
            parts.append(se_weight_statistics(weights, top_k))
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
