"""Checks that the installed mmcv can run mmps models.

mmdet 3.3 needs ``mmcv>=2.0.0rc4,<2.2.0`` *with* its compiled ops (RoIAlign,
nms, deformable convolution...). ``mmcv-lite`` or a pure-python build imports
fine and then fails deep inside a model; these checks fail early, naming the
command that fixes the install.

Run ``python -c "from mmps.utils.check_env import main; main()"`` to verify
an environment (``tools/setup_env.sh`` does it after every install).
"""
import importlib
from importlib import metadata

from ..version import MMCV_MAX, MMCV_MIN

FIX_COMMAND = (
    'Fix it with `bash tools/setup_env.sh` from the mmps repository, or by hand:\n'
    '  pip uninstall -y mmcv mmcv-lite\n'
    '  MMCV_WITH_OPS=1 FORCE_CUDA=0 pip install --no-build-isolation '
    '"setuptools>=77,<81" ninja mmcv==2.1.0\n'
    '(use FORCE_CUDA=1 with a CUDA torch to build the GPU ops as well).')


class MMCVInstallError(ImportError):
    """mmcv is missing, outside mmdet's range, or built without its ops."""


def _parse(version: str):
    from packaging.version import Version
    return Version(version)


def check_mmcv_version() -> str:
    """Return the installed mmcv version, or raise :class:`MMCVInstallError`."""
    try:
        version = metadata.version('mmcv')
    except metadata.PackageNotFoundError:
        lite = _installed('mmcv-lite')
        found = f'mmcv-lite {lite} (no compiled ops)' if lite else 'no mmcv'
        raise MMCVInstallError(
            f'mmps needs mmcv>={MMCV_MIN},<{MMCV_MAX} with compiled ops, '
            f'but found {found}.\n{FIX_COMMAND}') from None
    if not _parse(MMCV_MIN) <= _parse(version) < _parse(MMCV_MAX):
        raise MMCVInstallError(
            f'mmcv=={version} is installed, but mmdet 3.3 (and so mmps) needs '
            f'mmcv>={MMCV_MIN},<{MMCV_MAX}.\n{FIX_COMMAND}')
    return version


def check_mmcv_ops() -> None:
    """Raise :class:`MMCVInstallError` unless mmcv's compiled ops load."""
    try:
        importlib.import_module('mmcv._ext')
    except ImportError as error:
        raise MMCVInstallError(
            'mmcv is installed without its compiled ops (mmcv._ext cannot be '
            f'imported: {error}); RoIAlign, nms and the other ops that the '
            f'person-search models use are unavailable.\n{FIX_COMMAND}') from error


def check_mmcv() -> str:
    """Run both checks; return the mmcv version."""
    version = check_mmcv_version()
    check_mmcv_ops()
    return version


def _installed(name: str):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def verify_ops_on_cpu() -> None:
    """Run RoIAlign, nms and DeformConv2d once on CPU tensors."""
    import torch
    from mmcv.ops import DeformConv2d, RoIAlign, nms

    features = torch.rand(1, 4, 16, 16)
    rois = torch.tensor([[0, 1.0, 1.0, 9.0, 9.0]])
    pooled = RoIAlign((2, 2), spatial_scale=1.0, sampling_ratio=2)(features, rois)
    assert pooled.shape == (1, 4, 2, 2), pooled.shape
    boxes = torch.tensor([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30.]])
    _, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), iou_threshold=0.5)
    assert keep.tolist() == [0, 2], keep
    conv = DeformConv2d(4, 4, kernel_size=3, padding=1)
    offsets = torch.zeros(1, 18, 16, 16)
    assert conv(features, offsets).shape == (1, 4, 16, 16)


def main() -> None:
    import torch
    version = check_mmcv()
    verify_ops_on_cpu()
    print(f'mmcv {version} with compiled ops: RoIAlign, nms, DeformConv2d run on '
          f'CPU (torch {torch.__version__}, CUDA available: '
          f'{torch.cuda.is_available()})')


if __name__ == '__main__':
    main()
