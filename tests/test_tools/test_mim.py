"""A built (non-editable) mmps wheel ships configs and tools where mim finds them."""
import os
import os.path as osp
import shutil
import subprocess
import sys
import zipfile
from glob import glob

import pytest

from .conftest import REPO_ROOT, read_scalars


@pytest.fixture(scope='module')
def installed_wheel(tmp_path_factory):
    """mmps built as a wheel and installed into a folder of its own.

    The build runs on a copy of the repository: building fills ``mmps/.mim``
    with copies, which would replace the links of the editable install.
    """
    build = tmp_path_factory.mktemp('wheel')
    source = build / 'source'
    shutil.copytree(REPO_ROOT, source, ignore=shutil.ignore_patterns(
        '.git', '.venv', '.mim', 'data', 'work_dirs', '__pycache__', '*.egg-info'))
    subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation',
        '-w', str(build / 'dist'), str(source)
    ], check=True, capture_output=True)
    wheel = glob(str(build / 'dist' / 'mmps-*.whl'))[0]
    target = build / 'site'
    subprocess.run([
        sys.executable, '-m', 'pip', 'install', '--no-deps', '--target', str(target), wheel
    ], check=True, capture_output=True)
    return wheel, str(target)


def test_wheel_ships_mim_folders(installed_wheel):
    wheel, _ = installed_wheel
    names = zipfile.ZipFile(wheel).namelist()
    for name in ('mmps/.mim/tools/train.py', 'mmps/.mim/tools/test.py',
                 'mmps/.mim/tools/dist_train.sh',
                 'mmps/.mim/configs/smoke/smoke_retinanet_tiny.py',
                 'mmps/.mim/configs/_base_/default_runtime.py'):
        assert name in names, name


def test_mim_train_and_test_installed_package(installed_wheel, toy_root, tmp_path):
    _, site = installed_wheel
    env = dict(os.environ, PYTHONPATH=site, OMP_NUM_THREADS='1')
    mim = [sys.executable, '-m', 'mim']
    work_dir = str(tmp_path / 'mim_work')
    train = subprocess.run(
        mim + ['train', 'mmps', 'smoke_retinanet_tiny.py', '--work-dir', work_dir,
               '--cfg-options', 'train_cfg.max_epochs=2'],
        cwd=toy_root, env=env, capture_output=True, text=True)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    assert osp.join(site, 'mmps', '.mim', 'tools', 'train.py') in train.stdout + train.stderr
    assert len(read_scalars(work_dir)) == 8
    checkpoint = osp.join(work_dir, 'epoch_2.pth')
    assert osp.isfile(checkpoint)

    test = subprocess.run(
        mim + ['test', 'mmps', 'smoke_retinanet_tiny.py', '--checkpoint', checkpoint,
               '--work-dir', str(tmp_path / 'mim_test')],
        cwd=toy_root, env=env, capture_output=True, text=True)
    assert test.returncode == 0, test.stdout[-3000:] + test.stderr[-3000:]
    # 16 test images in batches of 4, evaluated by the checkpoint given to mim
    assert 'Epoch(test) [4/4]' in test.stdout + test.stderr
    assert f'Load checkpoint from {checkpoint}' in test.stdout + test.stderr
