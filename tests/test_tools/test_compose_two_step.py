"""tools/model_converters/compose_two_step.py: a thin CLI over
mmps.utils.compose_checkpoint (the round trip is tested there)."""
import torch
from mmdet.registry import MODELS

from mmps.testing import last_line, run_tool
from mmps.testing.two_step_cases import tiny_two_step_cfg, write_two_step_config
from mmps.utils import read_checkpoint


def test_compose_and_wrong_part(tmp_path):
    config = write_two_step_config(str(tmp_path / 'two_step.py'))
    detector, reid = str(tmp_path / 'det.pth'), str(tmp_path / 'reid.pth')
    torch.save(
        dict(state_dict=MODELS.build(dict(type='StubDetector')).state_dict()), detector)
    torch.save(dict(state_dict=MODELS.build(tiny_two_step_cfg()).state_dict()), reid)
    out = str(tmp_path / 'searcher.pth')
    result = run_tool('model_converters/compose_two_step.py', config, '--detector',
                      detector, '--reid', reid, '--out', out)
    assert result.stdout.strip().splitlines()[-1] == f'wrote {out}'
    assert read_checkpoint(out)['meta']['composed_from'] == dict(
        detector=detector, reid=reid)
    failed = run_tool(
        'model_converters/compose_two_step.py',
        config,
        '--detector',
        reid,
        '--reid',
        reid,
        '--out',
        out,
        check=False)
    assert failed.returncode == 1
    assert last_line(failed) == (f'error: --detector {reid} holds the reid of this '
                                 'config, not its detector: pass it as --reid')
    assert 'Traceback' not in failed.stderr
