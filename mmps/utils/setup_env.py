"""Registering every mmps module, as ``mmdet.utils.register_all_modules``."""
import mmdet.utils

from .checkpoint import register_checkpoint_safe_globals


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register mmdet's and mmps's modules into mmdet's registries and
    allow-list what mmengine checkpoints hold for ``torch.load``.

    ``import mmps`` registers nothing; tools and notebooks call this once.
    A config lists instead the packages it uses in ``custom_imports``
    (``mmps.datasets``, ``mmps.engine``, ``mmps.evaluation``,
    ``mmps.models``, ``mmps.visualization``); mmps's tools and
    :mod:`mmps.apis` allow-list the checkpoint globals themselves before
    they load a checkpoint.

    Args:
        init_default_scope (bool): Also make ``'mmdet'`` the default scope
            (mmdet's :func:`~mmdet.utils.register_all_modules` does it).
            Defaults to True.
    """
    mmdet.utils.register_all_modules(init_default_scope=init_default_scope)
    import mmps.datasets  # noqa: F401
    import mmps.engine  # noqa: F401
    import mmps.evaluation  # noqa: F401
    import mmps.models  # noqa: F401
    import mmps.visualization  # noqa: F401
    register_checkpoint_safe_globals()
