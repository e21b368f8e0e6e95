"""PersonSearchDataset on the tiny synthetic split and edited copies."""
import json
import os.path as osp
import shutil

import numpy as np
import pytest

from mmps.datasets import PersonSearchDataset
from mmps.evaluation import PersonSearchMetric


def _dataset(root, split='train', **kwargs):
    return PersonSearchDataset(
        data_root=root,
        ann_file=f'annotations/{split}.json',
        data_prefix=dict(img='images/'),
        test_mode=split == 'test',
        pipeline=[],
        **kwargs)


def _json(root, split):
    return json.load(open(osp.join(root, 'annotations', f'{split}.json')))


def test_train_labels_are_contiguous(tiny_root, tiny_cfg):
    ds = _dataset(tiny_root)
    assert ds.metainfo['classes'] == ('person', )
    assert ds.metainfo['num_person_ids'] == tiny_cfg['num_train_ids']
    original = sorted(
        {a['person_id']
         for a in _json(tiny_root, 'train')['annotations']} - {-1})
    assert ds.person_id_map == {pid: k for k, pid in enumerate(original)}
    labels = {i['person_id'] for info in ds for i in info['instances']}
    assert labels == set(range(tiny_cfg['num_train_ids'])) | {-1}
    info = ds.get_data_info(0)
    assert set(info) >= {'img_id', 'img_path', 'cam_id', 'instances'}
    assert 'queries' not in info


def test_test_mode_queries_and_protocol(tiny_root):
    ds = _dataset(tiny_root, 'test')
    raw = _json(tiny_root, 'test')
    proto = ds.protocol
    assert len(proto['queries']) == len(raw['protocol']['queries'])
    assert {size: [g.tolist() for g in lists]
            for size, lists in proto['galleries'].items()} == \
        raw['protocol']['galleries']
    assert all(g.dtype == np.int64 for lists in proto['galleries'].values()
               for g in lists)
    found = {}
    for info in ds:
        gt = ds.gt_by_image[info['img_id']]
        assert len(gt['bboxes']) == len(info['instances'])
        n_query = sum(q['query_index'] >= 0 for q in info['queries'])
        # each query's own GT box is replaced by the query entry
        assert len(info['queries']) == len(info['instances'])
        for q in info['queries']:
            if q['query_index'] >= 0:
                found[q['query_index']] = (info['img_id'], q['bbox'])
        assert n_query <= len(info['instances'])
    for k, q in enumerate(raw['protocol']['queries']):
        x, y, w, h = q['bbox']
        assert found[k] == (q['image_id'], [x, y, x + w, y + h])
    ids = {i['person_id'] for info in ds for i in info['instances']} - {-1}
    assert ids == {q['person_id'] for q in raw['protocol']['queries']}


def test_filter_cfg(tiny_root, tmp_path, tiny_cfg):
    root = str(tmp_path / 'r')
    shutil.copytree(tiny_root, root)
    data = _json(root, 'train')
    empty_id = data['images'][0]['id']
    data['annotations'] = [a for a in data['annotations'] if a['image_id'] != empty_id]
    json.dump(data, open(osp.join(root, 'annotations', 'train.json'), 'w'))
    # an image without boxes is valid
    assert len(_dataset(root)) == tiny_cfg['num_train_images']
    assert len(_dataset(root, filter_cfg=dict(filter_empty_gt=True))) == \
        tiny_cfg['num_train_images'] - 1
    assert len(_dataset(root, filter_cfg=dict(min_size=96))) == \
        tiny_cfg['num_train_images']
    with pytest.raises(ValueError, match='removes all 24 images'):
        _dataset(root, filter_cfg=dict(min_size=97))
    assert len(_dataset(root, 'test', filter_cfg=dict(min_size=1000))) == \
        tiny_cfg['num_test_images']


def _break_image(root, split, corrupt):
    data = _json(root, split)
    held = {q['image_id'] for q in data.get('protocol', {}).get('queries', [])}
    img = next(i for i in data['images'] if i['id'] not in held)
    path = osp.join(root, 'images', img['file_name'])
    if corrupt:
        open(path, 'wb').write(b'not an image')
    else:
        shutil.move(path, path + '.bak')
    return data, img


@pytest.mark.parametrize('corrupt', [False, True])
def test_bad_image_skip_or_error(tiny_root, tmp_path, corrupt, tiny_cfg):
    root = str(tmp_path / 'r')
    shutil.copytree(tiny_root, root)
    _, img = _break_image(root, 'train', corrupt)
    with pytest.warns(UserWarning, match='skipping image id|1 unreadable'):
        ds = _dataset(root, verify_images=True)
    assert ds.num_skipped_images == 1
    assert len(ds) == tiny_cfg['num_train_images'] - 1
    assert img['id'] not in ds.gt_by_image
    with pytest.raises(OSError, match=img['file_name']):
        _dataset(root, bad_image='error', verify_images=True)


def test_corrupt_image_unnoticed_without_verify(tiny_root, tmp_path):
    root = str(tmp_path / 'r')
    shutil.copytree(tiny_root, root)
    _break_image(root, 'train', corrupt=True)
    assert _dataset(root).num_skipped_images == 0


def test_bad_query_image_always_fails(tiny_root, tmp_path):
    root = str(tmp_path / 'r')
    shutil.copytree(tiny_root, root)
    data = _json(root, 'test')
    qimg = next(i for i in data['images']
                if i['id'] == data['protocol']['queries'][0]['image_id'])
    shutil.move(osp.join(root, 'images', qimg['file_name']), osp.join(root, 'gone.jpg'))
    with pytest.raises(OSError, match='missing image file'):
        _dataset(root, 'test')


def test_bad_arguments_and_files(tiny_root, tmp_path):
    with pytest.raises(ValueError, match='bad_image'):
        _dataset(tiny_root, bad_image='ignore')
    with pytest.raises(FileNotFoundError, match='annotation file not found'):
        _dataset(str(tmp_path))
    root = str(tmp_path / 'r')
    shutil.copytree(tiny_root, root)
    data = _json(root, 'train')
    data['annotations'][0]['image_id'] = 10**9
    json.dump(data, open(osp.join(root, 'annotations', 'train.json'), 'w'))
    with pytest.raises(ValueError, match=r'annotations\[0\] names unknown'):
        _dataset(root)


def test_gt_by_image_matches_instances(tiny_root):
    ds = _dataset(tiny_root)
    info = ds.get_data_info(1)
    gt = ds.gt_by_image[info['img_id']]
    np.testing.assert_allclose(
        gt['bboxes'],
        np.asarray([i['bbox'] for i in info['instances']], np.float32).reshape(-1, 4))
    assert gt['person_ids'].dtype == np.int64
    assert gt['cam_id'] == info['cam_id']


def test_mask_flags(tiny_root, tmp_path):
    root = str(tmp_path / 'r')
    shutil.copytree(tiny_root, root)
    data = _json(root, 'train')
    first, second = data['annotations'][:2]
    first.pop('segmentation', None)
    first['mask_source'] = 'box'
    second.pop('mask_source')  # without the key, a segmentation is real
    has_seg = 'segmentation' in second
    path = osp.join(root, 'annotations', 'train.json')
    json.dump(data, open(path, 'w'))
    ds = _dataset(root)
    info = next(i for i in ds if i['img_id'] == first['image_id'])
    assert info['instances'][0]['mask_valid'] is False
    assert 'mask' not in info['instances'][0]
    flags = [i['mask_valid'] for info in ds for i in info['instances']]
    expected = [
        a.get('mask_source', 'annotated' if has_seg else 'box') == 'annotated'
        for a in data['annotations']
    ]
    assert sorted(flags) == sorted(expected)
    first['mask_source'] = 'guessed'
    json.dump(data, open(path, 'w'))
    with pytest.raises(ValueError, match="mask_source 'guessed'"):
        _dataset(root)
    first['mask_source'] = 'annotated'
    json.dump(data, open(path, 'w'))
    with pytest.raises(ValueError, match='but no segmentation'):
        _dataset(root)


@pytest.mark.parametrize('corrupt', [False, True])
@pytest.mark.parametrize('bad_image', ['skip', 'error'])
def test_bad_test_image_fails_at_load_time(tiny_root, tmp_path, corrupt, bad_image):
    """Any missing or unreadable test image raises, also one without a
    query: the evaluation needs every image, and skipping a gallery image
    would inflate mAP."""
    root = str(tmp_path / 'r')
    shutil.copytree(tiny_root, root)
    _, img = _break_image(root, 'test', corrupt)
    with pytest.raises(OSError) as err:
        _dataset(root, 'test', bad_image=bad_image, verify_images=True)
    message = str(err.value)
    assert osp.join(root, 'images', img['file_name']) in message
    assert f'image id {img["id"]} of the test split' in message
    assert ('corrupt' if corrupt else 'missing') in message


def test_metainfo_names_the_annotation_file(tiny_root, monkeypatch):
    """``metainfo['ann_file']`` is the absolute path, which
    PersonSearchMetric falls back to when it has no ann_file."""
    monkeypatch.chdir(tiny_root)
    ds = PersonSearchDataset(
        ann_file='annotations/test.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=[])
    expected = osp.join(osp.realpath(tiny_root), 'annotations', 'test.json')
    assert osp.isabs(ds.metainfo['ann_file'])
    assert osp.realpath(ds.metainfo['ann_file']) == expected
    metric = PersonSearchMetric()
    metric.dataset_meta = ds.metainfo
    assert metric.load_protocol().num_queries == len(ds.protocol['queries'])
    lazy = _dataset(tiny_root, lazy_init=True)
    assert lazy.metainfo['ann_file'] == osp.join(tiny_root, 'annotations', 'train.json')


def _edit_json(root, split, edit):
    data = _json(root, split)
    edit(data)
    json.dump(data, open(osp.join(root, 'annotations', f'{split}.json'), 'w'))
    return data


def test_boxes_beyond_the_image_kept_in_test_clipped_in_training(
        tiny_root, tmp_path, tiny_cfg):
    """Evaluation uses the stored (reference) geometry; training gets boxes
    inside the image."""
    root = str(tmp_path / 'r')
    shutil.copytree(tiny_root, root)
    height, width = tiny_cfg['image_size']
    for split in ('train', 'test'):
        ann = _edit_json(
            root, split, lambda d: d['annotations'][0].update(
                bbox=[-40.0, 10.0, 60.0, height + 5.0]))['annotations'][0]
        ds = _dataset(root, split)
        info = next(i for i in ds if i['img_id'] == ann['image_id'])
        box = [-40.0, 10.0, 20.0, height + 15.0]
        if split == 'train':
            box = [0.0, 10.0, 20.0, float(height)]
        assert box in [i['bbox'] for i in info['instances']]
        assert box in ds.gt_by_image[ann['image_id']]['bboxes'].tolist()


def test_query_replaces_only_its_own_box(tiny_root, tmp_path):
    """A person id labelled on two boxes of the query image: the query box
    stands in for the box it overlaps most, the other stays a gallery row."""
    root = str(tmp_path / 'r')
    shutil.copytree(tiny_root, root)
    query = _json(root, 'test')['protocol']['queries'][0]
    x, y, w, h = query['bbox']
    far = [x + 3 * w if x < 40 else x - 3 * w, y, w, h]

    def add_twin(data, bbox):
        data['annotations'].append(
            dict(
                id=10**6,
                image_id=query['image_id'],
                category_id=1,
                bbox=bbox,
                area=w * h,
                iscrowd=0,
                person_id=query['person_id'],
                mask_source='box'))

    def rows(ds):
        info = next(i for i in ds if i['img_id'] == query['image_id'])
        assert len(info['queries']) == len(info['instances'])
        return [(r['bbox'], r['query_index']) for r in info['queries']]

    def xyxy(b):
        return [b[0], b[1], b[0] + b[2], b[1] + b[3]]

    # the twin stands apart: the query's original GT box is its own
    _edit_json(root, 'test', lambda d: add_twin(d, far))
    got = rows(_dataset(root, 'test'))
    assert (xyxy(far), -1) in got and (xyxy(query['bbox']), 0) in got
    assert sum(b == xyxy(query['bbox']) for b, _ in got) == 1
    # the twin is listed first but overlaps less: still the one kept
    shifted = [x + 1, y, w, h]

    def twin_first(data):
        data['annotations'] = [a for a in data['annotations'] if a['id'] != 10**6]
        add_twin(data, shifted)
        data['annotations'].insert(0, data['annotations'].pop())

    _edit_json(root, 'test', twin_first)
    got = rows(_dataset(root, 'test'))
    assert (xyxy(shifted), -1) in got
    assert sum(b == xyxy(query['bbox']) for b, _ in got) == 1
