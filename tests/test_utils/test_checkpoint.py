"""torch>=2.6 loads mmengine checkpoints without switching the safety off."""
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

# the session fixture of tests/conftest.py ran register_all_modules(), which
# allow-lists what mmengine checkpoints hold


class NotAllowListed:
    """A class a checkpoint may not smuggle in."""


def test_message_hub_state_loads_with_weights_only(tmp_path):
    hub = MessageHub.get_instance('test_checkpoint_hub')
    hub.update_scalar('train/loss', 1.5)
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_info('iter', 7)
    path = tmp_path / 'ckpt.pth'
    torch.save({'message_hub': hub.state_dict(), 'array': np.arange(3.0)}, path)

    loaded = torch.load(path, weights_only=True)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(1.0)
    np.testing.assert_array_equal(loaded['array'], np.arange(3.0))


def test_other_classes_are_still_refused(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save({'payload': NotAllowListed()}, path)
    with pytest.raises(pickle.UnpicklingError, match='NotAllowListed'):
        torch.load(path, weights_only=True)


class Payload:
    """Pickles as getattr(HistoryBuffer, '__init__'): an allowed class, but not
    one of its statistics methods."""

    def __reduce__(self):
        return getattr, (HistoryBuffer, '__init__')


def test_getattr_is_only_allowed_for_history_buffer_statistics(tmp_path):
    path = tmp_path / 'getattr.pth'
    torch.save({'payload': Payload()}, path)
    with pytest.raises(pickle.UnpicklingError, match="Refusing getattr"):
        torch.load(path, weights_only=True)


def test_history_buffer_loads_in_a_fresh_process(tmp_path):
    """No HistoryBuffer exists yet in a new process (its method table is empty)."""
    hub = MessageHub.get_instance('test_checkpoint_fresh')
    hub.update_scalar('loss', 2.0)
    path = tmp_path / 'fresh.pth'
    torch.save({'message_hub': hub.state_dict()}, path)
    code = ('import torch; from mmps.utils import register_all_modules; '
            'register_all_modules(); '
            f'hub = torch.load({str(path)!r})["message_hub"]; '
            'print(hub["log_scalars"]["loss"].mean())')
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith('2.0')
