"""The model zoo index (``model-index.yml`` importing
``configs/<method>/metafile.yml``, OpenMMLab's layout): every config is
listed once, every entry points at files that exist, and mim reads it."""
import os.path as osp
from glob import glob
from numbers import Number

import pytest
import yaml

from mmps.testing import get_repo_root

REPO = get_repo_root()


def load_yaml(path: str) -> dict:
    with open(osp.join(REPO, path)) as f:
        return yaml.safe_load(f)


METAFILES = load_yaml('model-index.yml')['Import']
ENTRIES = {path: load_yaml(path) for path in METAFILES}
MODELS = [model for entry in ENTRIES.values() for model in entry['Models']]
COLLECTIONS = [c for entry in ENTRIES.values() for c in entry['Collections']]


def test_index_imports_every_metafile():
    found = glob(osp.join(REPO, 'configs', '*', 'metafile.yml'))
    assert found
    assert sorted(METAFILES) == sorted(osp.relpath(p, REPO) for p in found)


def test_every_config_is_listed_once():
    """Every config but the bases and the tool-chain smoke test."""
    configs = [
        osp.relpath(path, REPO)
        for path in glob(osp.join(REPO, 'configs', '**', '*.py'), recursive=True)
        if not {'_base_', 'smoke'} & set(path.split(osp.sep))
    ]
    assert configs
    assert sorted(model['Config'] for model in MODELS) == sorted(configs)


def test_collections_name_paper_and_readme():
    assert len({c['Name'] for c in COLLECTIONS}) == len(COLLECTIONS)
    for collection in COLLECTIONS:
        assert collection['Paper']['Title']
        assert collection['Paper']['URL'].startswith('https://')
        assert osp.isfile(osp.join(REPO, collection['README']))


def test_models_name_config_row_and_paper_figures():
    """mim finds a model by its name: the config's basename."""
    names = {c['Name'] for c in COLLECTIONS}
    for model in MODELS:
        config = model['Config']
        assert osp.isfile(osp.join(REPO, config)), config
        assert model['Name'] == osp.splitext(osp.basename(config))[0]
        assert model['In Collection'] in names
        assert model['Metadata']['Paper Row']
        for result in model.get('Results', []):
            assert result['Task'] == 'Person Search' and result['Dataset']
            assert result['Metrics'] and all(
                isinstance(value, Number) for value in result['Metrics'].values())


def test_mim_reads_the_index():
    load = pytest.importorskip(
        'modelindex.load_model_index',
        reason='model-index (installed with openmim) is missing').load
    index = load(osp.join(REPO, 'model-index.yml'))
    assert sorted(m.name for m in index.models) == sorted(m['Name'] for m in MODELS)
    assert sorted(c.name for c in index.collections) == sorted(c['Name']
                                                               for c in COLLECTIONS)
