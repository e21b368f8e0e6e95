"""PersonSearchMetric: collection from data samples, registry, dump and the
offline tool, two processes, and the dataset configs' settings."""
import json
import pickle

import pytest
import torch.distributed as dist
import torch.multiprocessing as mp
from mmdet.registry import METRICS
from mmengine.config import Config

from mmps.evaluation import PersonSearchMetric
from mmps.evaluation.functional import (SEQNET_CBGM_K, evaluate_results, load_protocol,
                                        summarize)
from mmps.testing import (free_port, get_config_file, make_search_split,
                          record_to_sample, run_tool)


@pytest.fixture(scope='module')
def split(tmp_path_factory):
    ann, records = make_search_split()
    ann_file = tmp_path_factory.mktemp('ann') / 'test.json'
    ann_file.write_text(json.dumps(ann))
    return str(ann_file), records


def test_metric_matches_functional(split, tmp_path):
    ann_file, records = split
    out = tmp_path / 'raw.pkl'
    metric = METRICS.build(
        dict(
            type='PersonSearchMetric',
            ann_file=ann_file,
            labeled=True,
            outfile_path=str(out)))
    assert isinstance(metric, PersonSearchMetric)
    samples = [record_to_sample(r) for r in records]
    # evaluators hand over dicts; DetDataSample objects work as well
    metric.process({}, [s.to_dict() for s in samples[:5]])
    metric.process({}, samples[5:])
    got = metric.evaluate(len(samples))
    protocol = load_protocol(ann_file)
    expected = summarize(evaluate_results(records, protocol, labeled=True), protocol)
    assert got.keys() == expected.keys()
    for key in expected:
        assert got[key] == pytest.approx(expected[key], abs=1e-6), key
    # the dump re-evaluates offline with other settings
    with open(out, 'rb') as f:
        assert len(pickle.load(f)) == len(records)
    json_out = tmp_path / 'metrics.json'
    run_tool('analysis_tools/eval_results.py', ann_file, str(out), '--gallery-sizes',
             '3', '--search-score-thr', '0.7', '--det-score-thr', '0.6', '--json',
             str(json_out))
    offline = json.loads(json_out.read_text())
    ref = summarize(
        evaluate_results(
            records,
            protocol,
            search_score_thr=0.7,
            det_score_thr=0.6,
            gallery_sizes=['3']), protocol)
    assert offline == pytest.approx(ref)
    assert 'mAP_full' not in offline
    assert offline['search_score_thr'] == 0.7
    assert offline['det_score_thr'] == 0.6


def test_metric_reads_dataset_meta_and_dump_of_samples(split, tmp_path):
    ann_file, records = split
    metric = PersonSearchMetric(gallery_sizes=['full'])
    metric.dataset_meta = dict(ann_file=ann_file)
    metric.process({}, [record_to_sample(r).to_dict() for r in records])
    got = metric.evaluate(len(records))
    assert set(k for k in got if k.startswith('mAP')) == {'mAP', 'mAP_full'}
    # a tools/test.py --out style dump (data-sample dicts) is accepted too
    dump = tmp_path / 'samples.pkl'
    with open(dump, 'wb') as f:
        pickle.dump([record_to_sample(r).to_dict() for r in records], f)
    json_out = tmp_path / 'metrics.json'
    run_tool('analysis_tools/eval_results.py', ann_file, str(dump), '--gallery-sizes',
             'full', '--json', str(json_out))
    offline = json.loads(json_out.read_text())
    assert offline['mAP'] == pytest.approx(got['mAP'])


def test_metric_falls_back_to_dataset_meta_ann_file(split):
    # no ann_file in the config: the runner hands the test dataset's
    # metainfo over, where PersonSearchDataset keeps 'ann_file'
    ann_file, records = split
    explicit = PersonSearchMetric(ann_file=ann_file)
    explicit.process({}, [record_to_sample(r) for r in records])
    expected = explicit.evaluate(len(records))
    metric = METRICS.build(dict(type='PersonSearchMetric'))
    metric.dataset_meta = dict(
        classes=('person', ),
        palette=[(220, 20, 60)],
        num_person_ids=6,
        ann_file=ann_file)
    metric.process({}, [record_to_sample(r) for r in records])
    assert metric.evaluate(len(records)) == pytest.approx(expected)
    # a metainfo without the key is a clear error naming what it holds
    metric.dataset_meta = dict(classes=('person', ), num_person_ids=6)
    with pytest.raises(
            ValueError,
            match=r"needs ann_file.*metainfo has "
            r"'ann_file'.*keys: \['classes', 'num_person_ids'\]"):
        metric.load_protocol()


def test_dataset_metainfo_names_its_ann_file(split):
    # the key the metric reads is the one PersonSearchDataset writes
    from mmps.datasets import PersonSearchDataset
    ann_file, _ = split
    dataset = PersonSearchDataset(
        ann_file=ann_file, test_mode=True, pipeline=[], lazy_init=True)
    metric = PersonSearchMetric()
    metric.dataset_meta = dataset.metainfo
    assert metric.load_protocol().num_images == 10


def test_metric_errors_name_the_image(split):
    ann_file, records = split
    metric = PersonSearchMetric(ann_file=ann_file)
    bad = record_to_sample(records[3])
    bad.pred_instances.embeddings[0, 0] = float('nan')
    metric.process({}, [record_to_sample(r) for r in records[:3]] + [bad] +
                   [record_to_sample(r) for r in records[4:]])
    with pytest.raises(ValueError, match='image 103: embeddings contain'):
        metric.evaluate(len(records))
    with pytest.raises(ValueError, match='needs ann_file'):
        PersonSearchMetric().load_protocol()


def test_detection_and_search_thresholds(split):
    # detection figures at 0.01 by default, the search at 0.5; each is set
    # on its own
    ann_file, records = split
    metric = PersonSearchMetric(ann_file=ann_file)
    assert (metric.search_score_thr, metric.det_score_thr) == (0.5, 0.01)
    metric = PersonSearchMetric(
        ann_file=ann_file, search_score_thr=0.7, det_score_thr=0.6)
    metric.process({}, [record_to_sample(r) for r in records])
    got = metric.evaluate(len(records))
    protocol = load_protocol(ann_file)
    expected = summarize(
        evaluate_results(records, protocol, search_score_thr=0.7, det_score_thr=0.6),
        protocol)
    assert got == pytest.approx(expected)
    assert got['search_score_thr'] == 0.7 and got['det_score_thr'] == 0.6


@pytest.mark.parametrize('config, dataset', [
    ('_base_/datasets/cuhk_sysu.py', 'cuhk_sysu'),
    ('_base_/datasets/prw.py', 'prw'),
])
def test_dataset_configs_set_seqnets_cbgm_settings(config, dataset):
    cfg = Config.fromfile(get_config_file(config))
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        assert evaluator.type == 'PersonSearchMetric'
        assert (evaluator.cbgm_k1, evaluator.cbgm_k2) == \
            SEQNET_CBGM_K[dataset]
        assert not evaluator.get('cbgm', False)
    assert SEQNET_CBGM_K == {'cuhk_sysu': (10, 3), 'prw': (30, 4)}


def _worker(rank, world_size, port, ann_file, out_dir):
    dist.init_process_group(
        'gloo', init_method=f'tcp://127.0.0.1:{port}', rank=rank, world_size=world_size)
    try:
        _, records = make_search_split()
        metric = PersonSearchMetric(ann_file=ann_file, labeled=True)
        # interleaved shards, as mmengine's DefaultSampler hands them out
        shard = records[rank::world_size]
        metric.process({}, [record_to_sample(r) for r in shard])
        metrics = metric.evaluate(len(records))
        with open(f'{out_dir}/rank{rank}.json', 'w') as f:
            json.dump(metrics, f)
    finally:
        dist.destroy_process_group()


def test_two_gloo_processes_match_one(tmp_path):
    # two processes evaluating halves of the results give the numbers of one
    ann, records = make_search_split()
    ann_file = tmp_path / 'test.json'
    ann_file.write_text(json.dumps(ann))
    single = PersonSearchMetric(ann_file=str(ann_file), labeled=True)
    single.process({}, [record_to_sample(r) for r in records])
    expected = single.evaluate(len(records))

    mp.spawn(
        _worker,
        args=(2, free_port(), str(ann_file), str(tmp_path)),
        nprocs=2,
        join=True)
    for rank in range(2):
        got = json.loads((tmp_path / f'rank{rank}.json').read_text())
        assert got == expected
