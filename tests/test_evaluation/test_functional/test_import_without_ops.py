"""The protocol core and the offline re-evaluation tool need no compiled
mmcv ops: results of other code bases can be evaluated where mmcv is a
pure-Python build (simulated here, as in tests/test_utils/test_check_env.py,
by making ``mmcv._ext`` unimportable in a fresh interpreter)."""
import json
import os
import pickle
import subprocess
import sys

import pytest

from mmps.testing import make_search_split, run_tool

# Loaded at start-up (sitecustomize) by every Python of the subprocesses:
# the compiled extension of mmcv cannot be imported, as in mmcv-lite.
BLOCK_OPS = '''
import importlib.abc
import sys


class _NoCompiledOps(importlib.abc.MetaPathFinder):

    def find_spec(self, name, path=None, target=None):
        if name == 'mmcv._ext':
            raise ModuleNotFoundError("No module named 'mmcv._ext'")
        return None


sys.meta_path.insert(0, _NoCompiledOps())
'''

CHECK_IMPORT = '''
import sys
import mmps.evaluation.functional
heavy = sorted(m for m in sys.modules
               if m == 'mmcv.ops' or m.startswith('mmdet.models'))
assert not heavy, heavy
print('imported without ops')
'''


@pytest.fixture
def no_ops_env(tmp_path) -> dict:
    """Variables that give a Python without mmcv's compiled ops."""
    site = tmp_path / 'site'
    site.mkdir()
    (site / 'sitecustomize.py').write_text(BLOCK_OPS)
    path = os.pathsep.join(p for p in (str(site), os.environ.get('PYTHONPATH')) if p)
    return dict(PYTHONPATH=path)


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    """Run ``code`` in a new interpreter with ``env`` added."""
    return subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          env=dict(os.environ, **env),
                          timeout=300)


def test_ops_are_really_missing(no_ops_env):
    result = run_python('import mmcv.ops', no_ops_env)
    assert result.returncode != 0 and 'mmcv._ext' in result.stderr


def test_functional_and_eval_results_without_ops(no_ops_env, tmp_path):
    result = run_python(CHECK_IMPORT, no_ops_env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'imported without ops' in result.stdout

    ann, records = make_search_split()
    (tmp_path / 'test.json').write_text(json.dumps(ann))
    with open(tmp_path / 'results.pkl', 'wb') as f:
        pickle.dump(records, f)
    out = run_tool(
        'analysis_tools/eval_results.py',
        str(tmp_path / 'test.json'),
        str(tmp_path / 'results.pkl'),
        '--cbgm',
        '--labeled',
        '--json',
        str(tmp_path / 'metrics.json'),
        env=no_ops_env)
    assert 'person search on' in out.stdout
    metrics = json.loads((tmp_path / 'metrics.json').read_text())
    assert 0 < metrics['mAP'] <= 1 and metrics['cbgm'] == 1.0
