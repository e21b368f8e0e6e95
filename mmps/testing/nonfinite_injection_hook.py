"""A hook that makes one training iteration non-finite, to test the guard
against it."""
from typing import Optional

import torch
from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper


@HOOKS.register_module()
class InjectNonFiniteHook(Hook):
    """Put a NaN (or infinity) into one parameter, or its gradient, at a
    chosen iteration.

    ``target='weight'`` fills the parameter with ``value`` just before the
    iteration, as a corrupted checkpoint or an earlier blow-up leaves it: the
    losses computed from it are non-finite. ``target='grad'`` replaces the
    parameter's gradient of that iteration by ``value``: the losses stay
    finite and the update makes the weight non-finite.

    Args:
        iteration (int): The 1-based iteration (as the log counts).
        param (str): Name of a parameter of the unwrapped model, e.g.
            ``'bbox_head.retina_reg.bias'``.
        target (str): ``'weight'`` or ``'grad'``. Defaults to ``'weight'``.
        value (float): The non-finite value. Defaults to NaN.
    """

    priority = 'HIGHEST'

    def __init__(self,
                 iteration: int,
                 param: str,
                 target: str = 'weight',
                 value: float = float('nan')) -> None:
        if target not in ('weight', 'grad'):
            raise ValueError(f"target must be 'weight' or 'grad', got {target!r}")
        self.iteration = iteration
        self.param = param
        self.target = target
        self.value = value
        self._handle: Optional[torch.utils.hooks.RemovableHandle] = None

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        if runner.iter + 1 != self.iteration:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        param = model.get_parameter(self.param)
        if self.target == 'weight':
            with torch.no_grad():
                param.fill_(self.value)
        else:
            self._handle = param.register_hook(
                lambda grad: torch.full_like(grad, self.value))

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: Optional[dict] = None,
                         outputs: Optional[dict] = None) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None
