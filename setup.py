"""Packaging hook: ship ``configs/`` and ``tools/`` inside ``mmps/.mim``.

All metadata lives in ``setup.cfg``. This file only exists so that
``mim train mmps <config>`` and ``mim test mmps <config>`` find the configs and
tools of an installed (non-editable) mmps, the way mmdet ships them: mim looks
for ``<package>/.mim/tools/train.py`` and for configs by basename under
``<package>/.mim/configs``; ``mim search`` reads
``<package>/.mim/model-index.yml``. A regular install copies the folders; an editable
install links them, so edits in the repository are seen by mim at once.

mim 0.3.9 looks for the package at ``<metadata location>/mmps``, which for a
PEP 660 editable install is a ``site-packages/mmps`` that such an install does
not create: ``tools/setup_env.sh`` adds it as a link to the repository package
(see docs/get_started.md, "With mim").
"""
import os
import os.path as osp
import shutil
import sys
from setuptools import setup

MIM_ENTRIES = ('configs', 'tools', 'model-index.yml')


def add_mim_extension() -> None:
    """Populate ``mmps/.mim`` with links (editable) or copies (other installs)."""
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif any(cmd in sys.argv for cmd in ('sdist', 'bdist_wheel', 'build', 'install')):
        mode = 'copy'
    else:
        return
    repo_root = osp.dirname(osp.abspath(__file__))
    mim_root = osp.join(repo_root, 'mmps', '.mim')
    os.makedirs(mim_root, exist_ok=True)
    for entry in MIM_ENTRIES:
        src = osp.join(repo_root, entry)
        dst = osp.join(mim_root, entry)
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(
                osp.relpath(src, mim_root), dst, target_is_directory=osp.isdir(src))
        elif osp.isdir(src):
            shutil.copytree(
                src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    setup()
