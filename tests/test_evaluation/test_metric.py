"""PersonSearchMetric: collection from data samples, registry, dump and the
offline tool."""
import json
import pickle
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mmdet.registry import METRICS
from mmdet.structures import DetDataSample
from mmps.evaluation import PersonSearchMetric
from mmps.evaluation.functional import (evaluate_results, load_protocol,
                                        summarize)
from .synthetic import make_split

TOOL = Path(__file__).resolve().parents[2] / 'tools' / 'analysis_tools' / \
    'eval_results.py'


def to_sample(record):
    """The model's output sample for one per-image record (own copies)."""
    record = {k: np.array(v) for k, v in record.items()}
    sample = DetDataSample(metainfo=dict(img_id=int(record['img_id'])))
    sample.pred_instances = InstanceData(
        bboxes=torch.from_numpy(record['bboxes']),
        scores=torch.from_numpy(record['scores']),
        labels=torch.zeros(len(record['scores']), dtype=torch.long),
        embeddings=torch.from_numpy(record['embeddings']))
    sample.pred_query_instances = InstanceData(
        bboxes=torch.from_numpy(record['query_bboxes']),
        embeddings=torch.from_numpy(record['query_embeddings']),
        query_indices=torch.from_numpy(record['query_indices']))
    return sample


@pytest.fixture(scope='module')
def split(tmp_path_factory):
    ann, records = make_split()
    ann_file = tmp_path_factory.mktemp('ann') / 'test.json'
    ann_file.write_text(json.dumps(ann))
    return str(ann_file), records


def test_metric_matches_functional(split, tmp_path):
    ann_file, records = split
    out = tmp_path / 'raw.pkl'
    metric = METRICS.build(dict(type='PersonSearchMetric',
                                ann_file=ann_file, labeled=True,
                                outfile_path=str(out)))
    assert isinstance(metric, PersonSearchMetric)
    samples = [to_sample(r) for r in records]
    # evaluators hand over dicts; DetDataSample objects work as well
    metric.process({}, [s.to_dict() for s in samples[:5]])
    metric.process({}, samples[5:])
    got = metric.evaluate(len(samples))
    protocol = load_protocol(ann_file)
    expected = summarize(evaluate_results(records, protocol, labeled=True),
                         protocol)
    assert got.keys() == expected.keys()
    for key in expected:
        assert got[key] == pytest.approx(expected[key], abs=1e-6), key
    # the dump re-evaluates offline with other settings
    with open(out, 'rb') as f:
        assert len(pickle.load(f)) == len(records)
    json_out = tmp_path / 'metrics.json'
    argv = sys.argv
    try:
        sys.argv = [str(TOOL), ann_file, str(out), '--gallery-sizes', '3',
                    '--det-thresh', '0.7', '--json', str(json_out)]
        runpy.run_path(str(TOOL), run_name='__main__')
    finally:
        sys.argv = argv
    offline = json.loads(json_out.read_text())
    ref = summarize(evaluate_results(records, protocol, det_thresh=0.7,
                                     gallery_sizes=['3']), protocol)
    assert offline == pytest.approx(ref)
    assert 'mAP_full' not in offline and offline['det_thresh'] == 0.7


def test_metric_reads_dataset_meta_and_dump_of_samples(split, tmp_path):
    ann_file, records = split
    metric = PersonSearchMetric(gallery_sizes=['full'])
    metric.dataset_meta = dict(ann_file=ann_file)
    metric.process({}, [to_sample(r).to_dict() for r in records])
    got = metric.evaluate(len(records))
    assert set(k for k in got if k.startswith('mAP')) == {'mAP', 'mAP_full'}
    # a tools/test.py --out style dump (data-sample dicts) is accepted too
    dump = tmp_path / 'samples.pkl'
    with open(dump, 'wb') as f:
        pickle.dump([to_sample(r).to_dict() for r in records], f)
    tool = runpy.run_path(str(TOOL))
    offline = tool['main']([ann_file, str(dump), '--gallery-sizes', 'full'])
    assert offline['mAP'] == pytest.approx(got['mAP'])


def test_metric_falls_back_to_dataset_meta_ann_file(split):
    # no ann_file in the config: the runner hands the test dataset's
    # metainfo over, where PersonSearchDataset keeps 'ann_file'
    ann_file, records = split
    explicit = PersonSearchMetric(ann_file=ann_file)
    explicit.process({}, [to_sample(r) for r in records])
    expected = explicit.evaluate(len(records))
    metric = METRICS.build(dict(type='PersonSearchMetric'))
    metric.dataset_meta = dict(classes=('person', ), palette=[(220, 20, 60)],
                               num_person_ids=6, ann_file=ann_file)
    metric.process({}, [to_sample(r) for r in records])
    assert metric.evaluate(len(records)) == pytest.approx(expected)
    # a metainfo without the key is a clear error naming what it holds
    metric.dataset_meta = dict(classes=('person', ), num_person_ids=6)
    with pytest.raises(ValueError, match=r"needs ann_file.*metainfo has "
                       r"'ann_file'.*keys: \['classes', 'num_person_ids'\]"):
        metric.load_protocol()


def test_dataset_metainfo_names_its_ann_file(split):
    # the key the metric reads is the one PersonSearchDataset writes
    from mmps.datasets import PersonSearchDataset
    ann_file, _ = split
    dataset = PersonSearchDataset(ann_file=ann_file, test_mode=True,
                                  pipeline=[], lazy_init=True)
    metric = PersonSearchMetric()
    metric.dataset_meta = dataset.metainfo
    assert metric.load_protocol().num_images == 10


def test_metric_errors_name_the_image(split):
    ann_file, records = split
    metric = PersonSearchMetric(ann_file=ann_file)
    bad = to_sample(records[3])
    bad.pred_instances.embeddings[0, 0] = float('nan')
    metric.process({}, [to_sample(r) for r in records[:3]] + [bad] +
                   [to_sample(r) for r in records[4:]])
    with pytest.raises(ValueError, match='image 103: embeddings contain'):
        metric.evaluate(len(records))
    with pytest.raises(ValueError, match='needs ann_file'):
        PersonSearchMetric().load_protocol()
