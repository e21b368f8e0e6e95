"""Warning when a loss term runs away from its recent values."""
import math
from collections import deque
from typing import Deque, Dict, Optional

import numpy as np
from mmdet.registry import HOOKS
from mmengine.hooks import Hook

from .iteration_facts import describe_iteration, loss_terms


@HOOKS.register_module()
class LossDivergenceHook(Hook):
    """Warn when a loss term stays far above its running median.

    Every loss term (each log variable whose name contains ``'loss'``, and
    their sum ``loss``) keeps its values of the last ``window`` iterations.
    A term whose value exceeds ``factor`` times the median of those values
    for ``patience`` iterations in a row gets one warning in the log, naming
    the iteration, the term, its value and the median; training goes on. The
    term warns again only after it has been back under the bound, be it by
    falling or by its median catching up with it. A median of 0 or below
    bounds nothing (a term that is 0 while nothing is assigned to its head),
    and non-finite values are left to :class:`NonFiniteGuardHook`.

    The defaults leave a wide margin: over the 708 iterations of the demo
    (``configs/oim/oim_tiny_synthetic.py``) no term stayed above twice its
    median for 3 iterations in a row, while the same run at lr 100 warns
    at iteration 6.

    Args:
        factor (float): How many times its median a value must exceed.
            Defaults to 10.
        window (int): Number of past iterations the median is taken over;
            fewer at the start of a run. Defaults to 50.
        patience (int): Number of consecutive iterations above the bound
            before the warning. Defaults to 3.
    """

    priority = 'LOW'

    def __init__(self,
                 factor: float = 10.,
                 window: int = 50,
                 patience: int = 3) -> None:
        if not factor > 1:
            raise ValueError(
                f'LossDivergenceHook: factor must be above 1, got {factor}')
        if window < 1 or patience < 1:
            raise ValueError('LossDivergenceHook: window and patience must be at '
                             f'least 1, got {window} and {patience}')
        self.factor = factor
        self.window = window
        self.patience = patience
        self._history: Dict[str, Deque[float]] = {}
        self._streak: Dict[str, int] = {}

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        """Update the history of every loss term and warn about the terms
        that have just completed ``patience`` iterations above the bound."""
        for key, value in loss_terms(outputs).items():
            if not math.isfinite(value):
                continue
            history = self._history.setdefault(key, deque(maxlen=self.window))
            median = float(np.median(history)) if history else 0.
            if median > 0 and value > self.factor * median:
                self._streak[key] = self._streak.get(key, 0) + 1
                if self._streak[key] == self.patience:
                    runner.logger.warning(
                        f'loss {key} diverging at '
                        f'{describe_iteration(runner, batch_idx)}: {value:.4g} is '
                        f'above {self.factor:g} times its median {median:.4g} over '
                        f'the previous {len(history)} iterations, for '
                        f'{self.patience} iterations in a row')
            else:
                self._streak[key] = 0
            history.append(value)
