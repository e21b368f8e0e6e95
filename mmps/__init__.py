"""mmps: person search for MMDetection 3.x.

Importing ``mmps`` is cheap: it holds the version and refuses an mmcv
outside mmdet 3.3's range. Registering the modules is explicit:
:func:`mmps.utils.register_all_modules` (tools, notebooks), or a config's
``custom_imports`` of the packages it uses. The compiled mmcv ops are
checked where they are used (importing :mod:`mmps.models`), so that the
pure-NumPy evaluation (:mod:`mmps.evaluation.functional`) also works where
mmcv has no ops, or is absent.
"""
from importlib import metadata

from packaging.version import Version

from .version import MMCV_MAX, MMCV_MIN, __version__


def _check_mmcv_version() -> None:
    """Refuse an installed mmcv outside ``[MMCV_MIN, MMCV_MAX)``."""
    try:
        version = metadata.version('mmcv')
    except metadata.PackageNotFoundError:
        return  # checked, with the ops, by mmps.models
    if not Version(MMCV_MIN) <= Version(version) < Version(MMCV_MAX):
        from .utils.check_env import check_mmcv_version
        check_mmcv_version()  # raises MMCVInstallError with the fix


_check_mmcv_version()

__all__ = ['__version__']
