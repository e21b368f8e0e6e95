"""Two gloo processes evaluating halves of the results give the numbers of
one process."""
import json
import socket

import pytest
import torch.distributed as dist
import torch.multiprocessing as mp

from mmps.evaluation import PersonSearchMetric
from .synthetic import as_sample, make_split


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _worker(rank, world_size, port, ann_file, out_dir):
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}',
                            rank=rank, world_size=world_size)
    try:
        _, records = make_split()
        metric = PersonSearchMetric(ann_file=ann_file, labeled=True)
        # interleaved shards, as mmengine's DefaultSampler hands them out
        shard = records[rank::world_size]
        metric.process({}, [as_sample(r) for r in shard])
        metrics = metric.evaluate(len(records))
        with open(f'{out_dir}/rank{rank}.json', 'w') as f:
            json.dump(metrics, f)
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(not dist.is_available(), reason='no torch.distributed')
def test_two_gloo_processes_match_one(tmp_path):
    ann, records = make_split()
    ann_file = tmp_path / 'test.json'
    ann_file.write_text(json.dumps(ann))
    single = PersonSearchMetric(ann_file=str(ann_file), labeled=True)
    single.process({}, [as_sample(r) for r in records])
    expected = single.evaluate(len(records))

    mp.spawn(_worker, args=(2, _free_port(), str(ann_file), str(tmp_path)),
             nprocs=2, join=True)
    for rank in range(2):
        got = json.loads((tmp_path / f'rank{rank}.json').read_text())
        assert got == expected
