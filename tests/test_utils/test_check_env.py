"""The clear error for an mmcv without compiled ops or outside mmdet's range."""
import importlib
from importlib import metadata

import pytest

from mmps.utils import check_env
from mmps.utils.check_env import MMCVInstallError, check_mmcv


def test_installed_mmcv_passes():
    assert check_mmcv() == metadata.version('mmcv')
    check_env.verify_ops_on_cpu()


def test_missing_compiled_ops(monkeypatch):
    real_import = importlib.import_module

    def import_without_ext(name, *args, **kwargs):
        if name == 'mmcv._ext':
            raise ModuleNotFoundError("No module named 'mmcv._ext'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(check_env.importlib, 'import_module', import_without_ext)
    with pytest.raises(MMCVInstallError) as error:
        check_mmcv()
    message = str(error.value)
    assert 'without its compiled ops' in message
    assert 'MMCV_WITH_OPS=1' in message and 'tools/setup_env.sh' in message


@pytest.mark.parametrize('version', ['2.2.0', '1.7.1', '2.0.0rc3'])
def test_mmcv_version_outside_range(monkeypatch, version):
    real_version = metadata.version
    monkeypatch.setattr(check_env.metadata, 'version', lambda name: version
                        if name == 'mmcv' else real_version(name))
    with pytest.raises(
            MMCVInstallError, match=rf'mmcv=={version} is installed.*<2.2.0'):
        check_mmcv()


def test_mmcv_lite_only(monkeypatch):

    def fake_version(name):
        if name == 'mmcv-lite':
            return '2.1.0'
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(check_env.metadata, 'version', fake_version)
    with pytest.raises(MMCVInstallError, match='mmcv-lite 2.1.0 \\(no compiled ops\\)'):
        check_mmcv()
