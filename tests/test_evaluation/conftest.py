"""Make ``mmps.evaluation.functional`` importable without mmcv / mmdet.

The protocol core is pure NumPy; loading it by path keeps its tests free of
``mmps/__init__.py``, which checks the compiled mmcv install.
"""
import importlib.util
import sys
from pathlib import Path

_NAME = 'mmps.evaluation.functional'
_PATH = (Path(__file__).resolve().parents[2] / 'mmps' / 'evaluation' /
         'functional' / '__init__.py')

if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _NAME, _PATH, submodule_search_locations=[str(_PATH.parent)])
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)
