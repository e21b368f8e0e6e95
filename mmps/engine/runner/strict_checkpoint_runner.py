"""An mmengine Runner that loads only checkpoints it can trust."""
import os.path as osp
from glob import glob
from typing import Callable, Optional, Sequence, Tuple, Union

import torch.nn as nn
from mmdet.registry import RUNNERS
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner import Runner, load_state_dict

from mmps.utils.strict_checkpoint import (DEFAULT_REVISE_KEYS, OTHER_MODEL_ADVICE,
                                          CheckpointError, load_state_dict_matching,
                                          read_checkpoint, revised_state_dict)

PARTIAL_ADVICE = (f'{OTHER_MODEL_ADVICE}, or set allow_partial_checkpoint=True '
                  '(tools: --allow-partial-checkpoint) to load only the matching '
                  'tensors, e.g. to fine-tune')


def _bare_model(model: nn.Module) -> nn.Module:
    """The model inside distributed and test-time-augmentation wrappers,
    whose keys a checkpoint holds."""
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    return model


def _why_not_resumable(path: str) -> Optional[str]:
    """Why training cannot resume from ``path`` (one sentence), or None."""
    try:
        checkpoint = read_checkpoint(path)
    except (CheckpointError, FileNotFoundError) as err:
        return str(err)
    if 'iter' not in checkpoint.get('meta', {}):
        return f'checkpoint {path} holds no training state (meta.iter)'
    return None


@RUNNERS.register_module()
class StrictCheckpointRunner(Runner):
    """:class:`~mmengine.runner.Runner` whose checkpoint loading refuses
    what mmengine accepts with a log line or a traceback.

    Every load (``load_from``, ``resume``, ``tools/test.py``'s checkpoint):

    - refuses an empty, truncated or non-PyTorch file, and one holding NaN
      or inf in any floating tensor, with one sentence naming the file
      (and the tensor) (:func:`~mmps.utils.strict_checkpoint.read_checkpoint`);
    - loads the weights strictly: missing, unexpected and mis-shaped keys
      are a :class:`~mmps.utils.strict_checkpoint.CheckpointError` naming a
      few of them, raised before any training or test iteration. Set
      ``allow_partial_checkpoint = True`` in the config to load the
      matching tensors only (mmengine's behaviour, e.g. fine-tuning from
      a detector of another class count); pretrained backbones named by
      ``init_cfg`` are not affected.

    Auto-resume (``resume=True`` without ``load_from``) takes the
    checkpoint named by ``last_checkpoint`` in the work dir when it can be
    loaded; when it cannot (empty record, missing, truncated or non-finite
    file) it warns, in one line naming both, and resumes from the newest
    loadable ``*.pth`` of that folder; with none it raises
    :class:`~mmps.utils.strict_checkpoint.CheckpointError`. Without a
    ``last_checkpoint`` file training starts from the beginning, as in
    mmengine.

    It is built like mmengine's runner: ``runner_type =
    'StrictCheckpointRunner'`` in the config, or
    ``StrictCheckpointRunner.from_cfg(cfg)``.
    """

    @property
    def allow_partial_checkpoint(self) -> bool:
        """Whether loads may miss or add keys (config key
        ``allow_partial_checkpoint``, default False)."""
        return bool(self.cfg.get('allow_partial_checkpoint', False))

    def load_checkpoint(
            self,
            filename: str,
            map_location: Union[str, Callable] = 'cpu',
            strict: bool = False,
            revise_keys: Sequence[Tuple[str, str]] = DEFAULT_REVISE_KEYS) -> dict:
        """Load a checkpoint into the model, refusing an unusable one.

        Args:
            filename (str): Local path or URL of the checkpoint.
            map_location (str | callable): Where tensors are loaded.
                Defaults to 'cpu'.
            strict (bool): Refuse differences in keys even when the config
                sets ``allow_partial_checkpoint``. Without it the load is
                strict unless the config allows partial loading.
                Defaults to False.
            revise_keys (Sequence[tuple[str, str]]): ``(pattern, replacement)``
                rewrites of the checkpoint keys. Defaults to dropping a
                leading ``module.``.

        Returns:
            dict: The checkpoint.

        Raises:
            FileNotFoundError: No file at the local path ``filename``.
            CheckpointError: The file is truncated or no PyTorch
                checkpoint, holds a non-finite value, or (strict) does not
                match the model.
        """
        checkpoint = read_checkpoint(filename, map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = _bare_model(self.model)
        if strict or not self.allow_partial_checkpoint:
            config_name = self.cfg.filename or f'of {self.experiment_name}'
            load_state_dict_matching(
                model,
                checkpoint,
                filename,
                config_name,
                revise_keys=revise_keys,
                advice=PARTIAL_ADVICE)
        else:
            # mmengine's lenient load, which logs the differences
            load_state_dict(
                model,
                revised_state_dict(checkpoint, revise_keys),
                strict=False,
                logger=self.logger)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def _resumable_checkpoint(self) -> Optional[str]:
        """The checkpoint that auto-resume continues from (see the class
        docstring), or None when the work dir has no ``last_checkpoint``.

        Raises:
            CheckpointError: ``last_checkpoint`` exists but neither the
                checkpoint it names nor any other of its folder or of the
                work dir loads.
        """
        record = osp.join(self.work_dir, 'last_checkpoint')
        if not osp.isfile(record):
            self.logger.info(f'no {record}: training starts from the beginning')
            return None
        with open(record) as f:
            named = f.read().strip()
        if named:
            problem = _why_not_resumable(named)
            if problem is None:
                return named
            folders = [osp.dirname(named) or self.work_dir, self.work_dir]
        else:
            problem, folders = f'{record} is empty', [self.work_dir]
        # the named checkpoint's folder, then the work dir (the folder named
        # in last_checkpoint may be gone: a work dir moved or copied)
        folders = list(dict.fromkeys(osp.abspath(folder) for folder in folders))
        candidates = sorted(
            {path
             for folder in folders for path in glob(osp.join(folder, '*.pth'))},
            key=osp.getmtime)
        for candidate in reversed(candidates):
            if osp.abspath(candidate) != osp.abspath(named) \
                    and _why_not_resumable(candidate) is None:
                self.logger.warning(f'{problem}; resuming from {candidate}, the '
                                    'newest loadable checkpoint of '
                                    f'{" or ".join(folders)}')
                return candidate
        raise CheckpointError(f'cannot resume: {problem}, and no other checkpoint '
                              f'in {" or ".join(folders)} can be loaded')

    def load_or_resume(self) -> None:
        """Load ``load_from``, resume from it, or auto-resume from the
        newest loadable checkpoint of the work dir."""
        if self._has_loaded or not self._resume or self._load_from is not None:
            super().load_or_resume()
            return
        checkpoint = self._resumable_checkpoint()
        if checkpoint is not None:
            self.logger.info(f'Auto resumed from the checkpoint {checkpoint}.')
            self.resume(checkpoint)
