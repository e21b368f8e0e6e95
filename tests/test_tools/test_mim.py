"""mim finds mmps's configs and tools: a built (non-editable) wheel ships them,
and the editable install of ``tools/setup_env.sh`` links them."""
import os
import os.path as osp
import shutil
import site
import subprocess
import sys
import zipfile
from glob import glob

import pytest

from mmps.testing import get_repo_root
from .conftest import read_scalars

REPO_ROOT = get_repo_root()

COPY_IGNORE = shutil.ignore_patterns('.git', '.venv', '.mim', 'data', 'work_dirs',
                                     'build', '__pycache__', '*.egg-info')


@pytest.fixture(scope='module')
def installed_wheel(tmp_path_factory):
    """mmps built as a wheel and installed into a folder of its own.

    The build runs on a copy of the repository: building fills ``mmps/.mim``
    with copies, which would replace the links of the editable install.
    """
    build = tmp_path_factory.mktemp('wheel')
    source = build / 'source'
    shutil.copytree(REPO_ROOT, source, ignore=COPY_IGNORE)
    subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '-w',
        str(build / 'dist'),
        str(source)
    ],
                   check=True,
                   capture_output=True)
    wheel = glob(str(build / 'dist' / 'mmps-*.whl'))[0]
    target = build / 'site'
    subprocess.run([
        sys.executable, '-m', 'pip', 'install', '--no-deps', '--target',
        str(target), wheel
    ],
                   check=True,
                   capture_output=True)
    return wheel, str(target)


def test_wheel_ships_mim_folders(installed_wheel):
    wheel, _ = installed_wheel
    names = zipfile.ZipFile(wheel).namelist()
    for name in ('mmps/.mim/model-index.yml', 'mmps/.mim/configs/oim/metafile.yml',
                 'mmps/.mim/tools/train.py', 'mmps/.mim/tools/test.py',
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
        mim + [
            'train', 'mmps', 'smoke_retinanet_tiny.py', '--work-dir', work_dir,
            '--cfg-options', 'train_cfg.max_epochs=2'
        ],
        cwd=toy_root,
        env=env,
        capture_output=True,
        text=True)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    assert osp.join(site, 'mmps', '.mim', 'tools',
                    'train.py') in train.stdout + train.stderr
    assert len(read_scalars(work_dir)) == 8
    checkpoint = osp.join(work_dir, 'epoch_2.pth')
    assert osp.isfile(checkpoint)

    test = subprocess.run(
        mim + [
            'test', 'mmps', 'smoke_retinanet_tiny.py', '--checkpoint', checkpoint,
            '--work-dir',
            str(tmp_path / 'mim_test')
        ],
        cwd=toy_root,
        env=env,
        capture_output=True,
        text=True)
    assert test.returncode == 0, test.stdout[-3000:] + test.stderr[-3000:]
    # 16 test images in batches of 4, evaluated by the checkpoint given to mim
    assert 'Epoch(test) [4/4]' in test.stdout + test.stderr
    assert f'Load checkpoint from {checkpoint}' in test.stdout + test.stderr


@pytest.fixture(scope='module')
def editable_venv(tmp_path_factory):
    """A copy of the repository installed editable by ``tools/setup_env.sh``
    into a venv of its own.

    The venv reads every other package from the running environment (a
    ``.pth`` line naming its site-packages, after the venv's own), so the
    script finds torch, mmcv, mmdet and openmim there and only runs its mmps
    step, in the venv: ``pip install -e`` and the link that mim needs.
    """
    pytest.importorskip('mim')
    root = tmp_path_factory.mktemp('editable')
    source = root / 'source'
    shutil.copytree(REPO_ROOT, source, ignore=COPY_IGNORE)
    venv = root / 'venv'
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip',
                    str(venv)],
                   check=True,
                   capture_output=True)
    python = str(venv / 'bin' / 'python')
    venv_site = subprocess.run(
        [python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
        check=True,
        capture_output=True,
        text=True).stdout.strip()
    with open(osp.join(venv_site, 'parent_env.pth'), 'w') as f:
        f.write('\n'.join(site.getsitepackages()) + '\n')
    env = {k: v for k, v in os.environ.items() if k not in ('PYTHONPATH', 'PYTHON')}
    env.update(VENV=str(venv), MMPS_CACHE=str(root / 'cache'), OMP_NUM_THREADS='1')
    setup = subprocess.run(['bash', str(source / 'tools' / 'setup_env.sh')],
                           env=env,
                           capture_output=True,
                           text=True,
                           timeout=600)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    return dict(
        source=str(source),
        python=python,
        site=venv_site,
        env=env,
        setup_output=setup.stdout + setup.stderr)


def test_setup_env_links_editable_install_for_mim(editable_venv):
    source, site_dir = editable_venv['source'], editable_venv['site']
    link = osp.join(site_dir, 'mmps')
    linked = f'linked {link} -> {osp.join(source, "mmps")}'
    assert linked in editable_venv['setup_output']
    assert osp.islink(link)
    # mim's lookup (pkg_resources location + '/mmps'), from a neutral folder
    found = subprocess.run([
        editable_venv['python'], '-I', '-W', 'ignore', '-c',
        'from mim.utils import get_installed_path; print(get_installed_path("mmps"))'
    ],
                           cwd='/',
                           env=editable_venv['env'],
                           capture_output=True,
                           text=True,
                           check=True)
    mim_root = found.stdout.strip()
    assert mim_root == link
    assert osp.realpath(osp.join(mim_root, '.mim', 'tools', 'train.py')) == \
        osp.join(osp.realpath(source), 'tools', 'train.py')
    assert osp.isfile(
        osp.join(mim_root, '.mim', 'configs', 'smoke', 'smoke_retinanet_tiny.py'))
    with open(glob(osp.join(site_dir, 'mmps-*.dist-info', 'RECORD'))[0]) as f:
        assert 'mmps,,' in f.read().splitlines()

    # a second run has nothing to do
    again = subprocess.run(['bash', osp.join(source, 'tools', 'setup_env.sh')],
                           env=editable_venv['env'],
                           capture_output=True,
                           text=True,
                           timeout=600)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert 'installing mmps' not in again.stdout + again.stderr


def test_mim_train_and_test_editable_install(editable_venv, toy_root, tmp_path):
    python, env = editable_venv['python'], editable_venv['env']
    mim = [python, '-m', 'mim']
    script = osp.join(editable_venv['site'], 'mmps', '.mim', 'tools', 'train.py')
    config_path = osp.join(editable_venv['source'], 'configs', 'smoke',
                           'smoke_retinanet_tiny.py')
    for name, config in (('bare', 'smoke_retinanet_tiny.py'), ('path', config_path)):
        work_dir = str(tmp_path / name)
        train = subprocess.run(
            mim + [
                'train', 'mmps', config, '--work-dir', work_dir, '--cfg-options',
                'train_cfg.max_epochs=1'
            ],
            cwd=toy_root,
            env=env,
            capture_output=True,
            text=True)
        output = train.stdout + train.stderr
        assert train.returncode == 0, output[-6000:]
        assert f'Training command is {python} {script} ' in output
        assert len(read_scalars(work_dir)) == 4  # 1 epoch x 4 iterations
        assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))

    checkpoint = str(tmp_path / 'bare' / 'epoch_1.pth')
    test = subprocess.run(
        mim + [
            'test', 'mmps', 'smoke_retinanet_tiny.py', '--checkpoint', checkpoint,
            '--work-dir',
            str(tmp_path / 'mim_test')
        ],
        cwd=toy_root,
        env=env,
        capture_output=True,
        text=True)
    output = test.stdout + test.stderr
    assert test.returncode == 0, output[-6000:]
    assert 'Epoch(test) [4/4]' in output
    assert f'Load checkpoint from {checkpoint}' in output


def test_pip_uninstall_removes_only_the_mim_link(editable_venv):
    """Runs last in this module: it uninstalls the venv's mmps."""
    link = osp.join(editable_venv['site'], 'mmps')
    subprocess.run([editable_venv['python'], '-m', 'pip', 'uninstall', '-y', 'mmps'],
                   env=editable_venv['env'],
                   capture_output=True,
                   text=True,
                   check=True)
    assert not osp.lexists(link)
    assert osp.isfile(osp.join(editable_venv['source'], 'mmps', '__init__.py'))
