"""The background-influence study configs (BUFF Table 3 and Fig. 2): each is
its model's config tested on a written variant, and reads the folder that
tools/misc/make_background_variant.py writes."""
import os.path as osp
from pathlib import Path

import pytest
from mmdet.registry import DATASETS
from mmengine.config import Config

from mmps.datasets import make_synthetic_dataset
from mmps.testing import TINY_SYNTHETIC_CFG, get_config_file, run_tool

STUDY_DIR = Path(get_config_file('buff/buff_r50_prw.py')).parent / \
    'background_influence'
DATA_ROOTS = dict(prw='data/PRW/', cuhk_sysu='data/CUHK-SYSU/')
# Fig. 2: the baseline on every variant; Table 3: BUFF on MB and RB
STUDY = sorted([(f'buff_baseline_r50_{ds}', v) for ds in DATA_ROOTS
                for v in ('mb', 'mf', 'rf', 'rb')] + [(f'buff_r50_{ds}', v)
                                                      for ds in DATA_ROOTS
                                                      for v in ('mb', 'rb')])


def test_every_study_config_is_listed():
    assert sorted(p.name for p in STUDY_DIR.glob('*.py')) == sorted(
        f'{model}_{variant}.py' for model, variant in STUDY)


@pytest.mark.parametrize('model,variant', STUDY, ids='_'.join)
def test_study_config_is_its_model_on_a_written_variant(model, variant):
    study = Config.fromfile(STUDY_DIR / f'{model}_{variant}.py').to_dict()
    row = Config.fromfile(get_config_file(f'buff/{model}.py')).to_dict()
    data_root = next(root for ds, root in DATA_ROOTS.items() if model.endswith(ds))

    test_set = study.pop('test_dataloader')['dataset']
    row_test_set = row.pop('test_dataloader')['dataset']
    assert test_set.pop('data_root') == \
        f'{data_root}background_influence/{variant}/'
    assert test_set.pop('ann_file') == 'test.json'
    assert test_set.pop('data_prefix') == dict(img='images/')
    for key in ('data_root', 'ann_file', 'data_prefix'):
        row_test_set.pop(key)
    assert test_set == row_test_set  # pipeline, test mode, ...

    evaluator = study.pop('test_evaluator')
    row_evaluator = row.pop('test_evaluator')
    expected = dict(row_evaluator, ann_file=None, labeled=True)
    if model.endswith('cuhk_sysu') and variant == 'rb':
        expected['gallery_sizes'] = [100]
    assert evaluator == expected

    for key in ('background_influence_test_set', 'background_influence_evaluator'):
        study.pop(key)
    assert study == row  # model, training set, schedule, runtime


@pytest.fixture(scope='module')
def synthetic_test_split(tmp_path_factory):
    """(annotation file, image folder) of a tiny test split."""
    root = tmp_path_factory.mktemp('bi_configs')
    make_synthetic_dataset(str(root), **TINY_SYNTHETIC_CFG)
    return str(root / 'annotations' / 'test.json'), str(root / 'images')


@pytest.mark.parametrize('variant', ['mb', 'rb'])
def test_study_config_reads_the_written_variant(synthetic_test_split, tmp_path,
                                                variant):
    """Only the variant's folder differs from the configured one: the test
    split reads the writer's json and images, and the metric, given no
    ann_file, reads the variant's protocol from the dataset."""
    ann_file, img_dir = synthetic_test_split
    out_dir = tmp_path / variant
    run_tool('misc/make_background_variant.py', ann_file, img_dir, str(out_dir),
             '--variant', variant, '--no-progress')
    cfg = Config.fromfile(STUDY_DIR / f'buff_baseline_r50_cuhk_sysu_{variant}.py')
    cfg.test_dataloader.dataset.data_root = f'{out_dir}/'
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    queries = 3 if variant == 'rb' else 0  # rb adds query-only images
    assert len(dataset) == TINY_SYNTHETIC_CFG['num_test_images'] + queries
    assert dataset.metainfo['ann_file'] == str(out_dir / 'test.json')
    assert cfg.test_evaluator.ann_file is None
    sample = dataset[0]['data_samples']
    assert sample.img_path.startswith(str(out_dir / 'images') + osp.sep)
