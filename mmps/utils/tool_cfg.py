"""Config loading shared by ``tools/train.py`` and ``tools/test.py``."""
import os.path as osp
from typing import Optional

from mmengine.config import Config


def load_tool_cfg(config: str, launcher: str, cfg_options: Optional[dict],
                  work_dir: Optional[str]) -> Config:
    """Load ``config`` and apply the options every mmdet tool takes.

    Args:
        config (str): Config file path.
        launcher (str): ``--launcher`` value, stored as ``cfg.launcher``.
        cfg_options (dict, optional): ``--cfg-options`` overrides.
        work_dir (str, optional): ``--work-dir``; else the config's own, else
            ``./work_dirs/<config basename>``.

    Returns:
        Config: The merged config.
    """
    cfg = Config.fromfile(config)
    cfg.launcher = launcher
    if cfg_options is not None:
        cfg.merge_from_dict(cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config))[0])
    return cfg
