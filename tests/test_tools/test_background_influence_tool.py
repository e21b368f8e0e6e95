"""make_background_variant.py writes valid variant datasets whose images
differ from the originals only where BUFF Sec. 3.1 says; the analysis tool
prints Table 3's layout for a checkpoint."""
import copy
import importlib.util
import json
import os.path as osp
import shutil
import time

import cv2
import numpy as np
import pytest

from mmps.datasets import PersonSearchDataset, make_synthetic_dataset
from mmps.datasets.transforms.background_influence import boxes_to_mask
from .conftest import REPO_ROOT, run_tool

MEAN_BGR = (104, 116, 124)
# 12 test images (96x128, 3 cameras), 3 queries with gallery lists of 4, 8
TINY = dict(seed=3, num_train_images=24, num_test_images=12, num_train_ids=6,
            num_test_ids=3, image_size=(96, 128), num_cameras=3,
            gallery_sizes=(4, 8))


def load_tool(rel_path: str):
    path = osp.join(REPO_ROOT, rel_path)
    spec = importlib.util.spec_from_file_location(
        '_tool_' + osp.splitext(osp.basename(path))[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


variant_tool = load_tool('tools/misc/make_background_variant.py')
check_dataset = load_tool('tools/misc/check_dataset.py').check_dataset


@pytest.fixture(scope='module')
def split(tmp_path_factory):
    """(annotation file, image folder, parsed json) of a tiny test split."""
    root = str(tmp_path_factory.mktemp('bi_synthetic'))
    make_synthetic_dataset(root, **TINY)
    ann_file = osp.join(root, 'annotations', 'test.json')
    with open(ann_file) as f:
        data = json.load(f)
    return ann_file, osp.join(root, 'images'), data


def make(split, out_dir, variant, **kwargs):
    """Write a variant; return (json, image folder, boxes per image id)."""
    ann_file, img_dir, _ = split
    out_file = variant_tool.make_variant(ann_file, img_dir, str(out_dir),
                                         variant, progress=False, **kwargs)
    out_img_dir = osp.join(str(out_dir), 'images')
    assert check_dataset(out_file, out_img_dir) == []
    with open(out_file) as f:
        out = json.load(f)
    return out, out_img_dir, variant_tool.boxes_by_image(out)


def pairs(split, out, out_img_dir):
    """(original pixels, variant pixels, image entry) per original image."""
    _, img_dir, data = split
    by_id = {img['id']: img for img in out['images']}
    for img in data['images']:
        new = by_id[img['id']]
        assert new['file_name'].endswith('.png')
        yield (cv2.imread(osp.join(img_dir, img['file_name'])),
               cv2.imread(osp.join(out_img_dir, new['file_name'])), new)


def same_except_names(split, out):
    """The variant json is the original but for file names and info."""
    data = copy.deepcopy(split[2])
    out = copy.deepcopy(out)
    for img in data['images'] + out['images']:
        img.pop('file_name')
    assert out['info'].pop('background_influence')['variant']
    assert out == data


@pytest.mark.parametrize('variant', ['mb', 'mf'])
def test_mean_variants(split, tmp_path, variant):
    out, out_img_dir, boxes = make(split, tmp_path, variant)
    same_except_names(split, out)
    for src, dst, img in pairs(split, out, out_img_dir):
        mask = boxes_to_mask(boxes[img['id']], *src.shape[:2])
        kept, filled = (mask, ~mask) if variant == 'mb' else (~mask, mask)
        assert mask.any() or variant == 'mf'
        np.testing.assert_array_equal(dst[kept], src[kept])
        assert (dst[filled] == MEAN_BGR).all()


def test_random_foreground_variant(split, tmp_path):
    out, out_img_dir, boxes = make(split, tmp_path, 'rf', seed=5)
    same_except_names(split, out)
    for src, dst, img in pairs(split, out, out_img_dir):
        mask = boxes_to_mask(boxes[img['id']], *src.shape[:2])
        np.testing.assert_array_equal(dst[~mask], src[~mask])
        pool = {tuple(p) for p in src[~mask]}
        assert all(tuple(p) in pool for p in dst[mask])
    again, again_dir, _ = make(split, tmp_path / 'again', 'rf', seed=5)
    for (_, a, _), (_, b, _) in zip(pairs(split, out, out_img_dir),
                                    pairs(split, again, again_dir)):
        np.testing.assert_array_equal(a, b)


# a tiny-split camera has a single frame: its box pixels have no estimate
@pytest.mark.filterwarnings('ignore:.*inside a box in all')
def test_prw_style_rb_with_estimated_backgrounds(split, tmp_path):
    out, out_img_dir, boxes = make(split, tmp_path, 'rb', rb_mode='prw')
    same_except_names(split, out)
    info = out['info']['background_influence']
    assert info['rb_mode'] == 'prw' and sorted(info['backgrounds']) == ['0', '1', '2']
    bgs = {int(c): cv2.imread(p) for c, p in info['backgrounds'].items()}
    for src, dst, img in pairs(split, out, out_img_dir):
        mask = boxes_to_mask(boxes[img['id']], *src.shape[:2])
        np.testing.assert_array_equal(dst[mask], src[mask])
        sources = [c for c, bg in bgs.items()
                   if (dst[~mask] == bg[~mask]).all()]
        assert sources and img['cam_id'] not in sources


def test_estimated_background_leaves_boxes_out():
    """Frames: background 50, a 'person' (255) at a different place in each
    frame, except pixel (0, 0), covered in every frame."""
    frames = np.full((3, 6, 8, 3), 50, np.uint8)
    masks = np.zeros((3, 6, 8), bool)
    for k in range(3):
        frames[k, 1:4, 2 * k:2 * k + 2] = 255
        masks[k, 1:4, 2 * k:2 * k + 2] = True
    frames[:, 0, 0] = [[10, 10, 10], [20, 20, 20], [90, 90, 90]]
    masks[:, 0, 0] = True
    with pytest.warns(UserWarning, match='1 background pixels'):
        bg = variant_tool.estimate_background(frames, masks)
    expected = np.full((6, 8, 3), 50, np.uint8)
    expected[0, 0] = 20  # plain median where no frame shows the background
    np.testing.assert_array_equal(bg, expected)


def test_prw_style_rb_with_given_backgrounds(split, tmp_path):
    bg_dir = tmp_path / 'bgs'
    bg_dir.mkdir()
    for cam, value in ((0, 30), (1, 60), (2, 90)):
        cv2.imwrite(str(bg_dir / f'c{cam}.png'), np.full((96, 128, 3), value,
                                                         np.uint8))
    out, out_img_dir, boxes = make(split, tmp_path / 'out', 'rb', rb_mode='prw',
                                   backgrounds=str(bg_dir))
    assert not osp.exists(tmp_path / 'out' / 'backgrounds')  # none estimated
    for src, dst, img in pairs(split, out, out_img_dir):
        mask = boxes_to_mask(boxes[img['id']], *src.shape[:2])
        np.testing.assert_array_equal(dst[mask], src[mask])
        values = np.unique(dst[~mask])
        assert len(values) == 1 and values[0] != 30 * (img['cam_id'] + 1)


def test_cuhk_style_rb_moves_queries_to_new_images(split, tmp_path):
    ann_file, img_dir, data = split
    out, out_img_dir, _ = make(split, tmp_path, 'rb')  # auto: gallery lists
    info = out['info']['background_influence']
    assert info['rb_mode'] == 'cuhk'
    old_ids = {img['id'] for img in data['images']}
    images = {img['id']: img for img in out['images']}
    anns = {a['id']: a for a in data['annotations']}
    assert len(out['images']) == len(data['images']) + len(data['protocol']['queries'])
    assert out['protocol']['galleries'] == data['protocol']['galleries']
    assert out['protocol']['subsets'] == data['protocol']['subsets']
    for img in data['images']:  # gallery images copied unchanged
        with open(osp.join(img_dir, img['file_name']), 'rb') as a, open(
                osp.join(out_img_dir, img['file_name']), 'rb') as b:
            assert a.read() == b.read()
    listed = {i for lists in out['protocol']['galleries'].values()
              for g in lists for i in g}
    for k, (old_q, new_q) in enumerate(zip(data['protocol']['queries'],
                                           out['protocol']['queries'])):
        new_img = images[new_q['image_id']]
        assert new_q['image_id'] not in old_ids | listed
        assert new_q['person_id'] == old_q['person_id']
        assert new_img['cam_id'] == images[old_q['image_id']]['cam_id']
        scene_id, target_id = info['rb_scenes'][k]
        assert scene_id != old_q['image_id'] and anns[target_id]['image_id'] == scene_id
        assert all(a['person_id'] != old_q['person_id']
                   for a in data['annotations'] if a['image_id'] == scene_id)
        # the pasted patch is the query patch, shifted by whole pixels
        x, y, w, h = old_q['bbox']
        nx, ny = new_q['bbox'][:2]
        dx, dy = nx - x, ny - y
        assert dx == int(dx) and dy == int(dy) and new_q['bbox'][2:] == [w, h]
        c1, r1, c2, r2 = (int(np.floor(x)), int(np.floor(y)),
                          int(np.ceil(x + w)), int(np.ceil(y + h)))
        src = cv2.imread(osp.join(img_dir, images[old_q['image_id']]['file_name']))
        scene = cv2.imread(osp.join(img_dir, images[scene_id]['file_name']))
        dst = cv2.imread(osp.join(out_img_dir, new_img['file_name']))
        patch = np.zeros(dst.shape[:2], bool)
        patch[r1 + int(dy):r2 + int(dy), c1 + int(dx):c2 + int(dx)] = True
        np.testing.assert_array_equal(dst[patch], src[r1:r2, c1:c2].reshape(-1, 3))
        np.testing.assert_array_equal(dst[~patch], scene[~patch])
        # the pasted box lies over the target box's centre (unless shifted
        # to stay inside the image)
        tx, ty, tw, th = anns[target_id]['bbox']
        px, py = nx + w / 2, ny + h / 2
        assert abs(px - (tx + tw / 2)) <= 1 or c1 + dx in (0, dst.shape[1] - (c2 - c1))
        assert abs(py - (ty + th / 2)) <= 1 or r1 + dy in (0, dst.shape[0] - (r2 - r1))
    # the dataset reads it: each query box sits in its query-only image
    dataset = PersonSearchDataset(
        data_root=str(tmp_path), ann_file=osp.basename(ann_file),
        data_prefix=dict(img='images/'), test_mode=True, pipeline=[])
    infos = {info['img_id']: info for info in dataset.load_data_list()}
    for k, q in enumerate(out['protocol']['queries']):
        assert infos[q['image_id']]['queries'][0]['query_index'] == k


def test_variant_tool_errors(split, tmp_path):
    ann_file, img_dir, data = split
    make_variant = variant_tool.make_variant
    with pytest.raises(ValueError, match="unknown variant 'xx'"):
        make_variant(ann_file, img_dir, str(tmp_path), 'xx')
    with pytest.raises(FileNotFoundError, match='annotation file not found'):
        make_variant(str(tmp_path / 'none.json'), img_dir, str(tmp_path), 'mb')
    with pytest.raises(FileNotFoundError, match='image folder not found'):
        make_variant(ann_file, str(tmp_path / 'none'), str(tmp_path), 'mb')
    with pytest.raises(ValueError, match='is the input image folder'):
        make_variant(ann_file, img_dir, osp.dirname(img_dir), 'mb')
    partial = tmp_path / 'partial'
    shutil.copytree(img_dir, partial)
    (partial / data['images'][2]['file_name']).unlink()
    with pytest.raises(FileNotFoundError, match=f'image id {data["images"][2]["id"]}'):
        make_variant(ann_file, str(partial), str(tmp_path / 'o1'), 'mf',
                     progress=False)

    one_cam = copy.deepcopy(data)
    for img in one_cam['images']:
        img['cam_id'] = 4
    one_cam['protocol']['galleries'] = {}
    one_cam_file = tmp_path / 'one_cam.json'
    one_cam_file.write_text(json.dumps(one_cam))
    with pytest.raises(ValueError, match=r'only camera\(s\) \[4\]'):
        make_variant(str(one_cam_file), img_dir, str(tmp_path / 'o2'), 'rb')
    with pytest.raises(ValueError, match='camera 9 has no background and no '
                       'frames'):
        variant_tool.camera_backgrounds(data, img_dir, str(tmp_path / 'o3'),
                                        [0, 9], progress=False)
    no_queries = copy.deepcopy(data)
    no_queries.pop('protocol')
    no_queries_file = tmp_path / 'train_like.json'
    no_queries_file.write_text(json.dumps(no_queries))
    with pytest.raises(ValueError, match='needs the protocol queries'):
        make_variant(str(no_queries_file), img_dir, str(tmp_path / 'o4'), 'rb',
                     rb_mode='cuhk', progress=False)
    with pytest.raises(SystemExit):
        variant_tool.main([ann_file, img_dir, str(tmp_path / 'o5'),
                           '--variant', 'rx'])


analysis_tool = load_tool('tools/analysis_tools/background_influence.py')


def test_analysis_tool_variant_configs_and_errors(split, tmp_path):
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/oim/oim_tiny_synthetic.py'))
    cfg.work_dir = str(tmp_path)
    args = analysis_tool.parse_args(['c.py', 'w.pth', '--seed', '2'])
    rf = analysis_tool.variant_cfg(cfg, 'rf', args, '8')
    types = [t['type'] for t in rf.test_dataloader.dataset.pipeline]
    assert types[:3] == ['LoadImageFromFile', 'RandomForeground', 'Resize']
    assert rf.test_dataloader.dataset.pipeline[1]['seed'] == 2
    assert rf.test_evaluator.labeled and rf.test_evaluator.gallery_sizes == ['8']
    assert 'RandomForeground' not in str(cfg.test_dataloader.dataset.pipeline)
    assert analysis_tool.default_gallery_size(split[0]) == '8'
    with pytest.raises(ValueError, match='rb needs --rb-root'):
        analysis_tool.variant_cfg(cfg, 'rb', args, '8')
    rb_root = tmp_path / 'rb'
    variant_tool.make_variant(split[0], split[1], str(rb_root), 'rb',
                              progress=False)
    rb_args = analysis_tool.parse_args(['c.py', 'w.pth', '--rb-root', str(rb_root)])
    with pytest.raises(ValueError, match='cannot be evaluated on the "full"'):
        analysis_tool.variant_cfg(cfg, 'rb', rb_args, 'full')
    mb_root = tmp_path / 'mb'
    variant_tool.make_variant(split[0], split[1], str(mb_root), 'mb',
                              progress=False)
    with pytest.raises(ValueError, match='is not an rb variant'):
        analysis_tool.variant_cfg(
            cfg, 'rb', analysis_tool.parse_args(
                ['c.py', 'w.pth', '--rb-root', str(mb_root)]), '8')
    with pytest.raises(ValueError, match='no LoadImageFromFile'):
        analysis_tool.insert_after_loading([dict(type='Resize')],
                                           dict(type='MeanBackground'))


def test_analysis_tool_prints_table_3(split, tmp_path):
    """End to end on the tiny config with random weights (< 60 s)."""
    import torch
    from mmdet.registry import MODELS
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmps.models import fill_num_person_ids
    init_default_scope('mmdet')
    config = osp.join(REPO_ROOT, 'configs/oim/oim_tiny_synthetic.py')
    cfg = Config.fromfile(config)
    fill_num_person_ids(cfg, 6)
    torch.manual_seed(0)
    checkpoint = str(tmp_path / 'random.pth')
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), checkpoint)
    ann_file, img_dir, _ = split
    rb_root = str(tmp_path / 'rb')
    variant_tool.make_variant(ann_file, img_dir, rb_root, 'rb', progress=False)
    root = osp.dirname(img_dir)
    out = str(tmp_path / 'table.json')
    start = time.time()
    result = run_tool([
        osp.join(REPO_ROOT, 'tools/analysis_tools/background_influence.py'),
        config, checkpoint, '--variants', 'orig', 'mb', 'mf', 'rf', 'rb',
        '--rb-root', rb_root, '--work-dir', str(tmp_path / 'work'), '--out', out,
        '--cfg-options', f'test_dataloader.dataset.data_root={root}/',
        f'test_evaluator.ann_file={ann_file}',
        # CPU time: 2 proposals per image (the GT boxes are what is searched),
        # images at their own size
        'model.test_cfg.rpn.max_per_img=2',
        'test_dataloader.dataset.pipeline.1.scale=(128,96)'
    ], cwd=str(tmp_path), timeout=300)
    elapsed = time.time() - start
    table = result.stdout[result.stdout.index('background influence of'):]
    lines = table.splitlines()
    assert lines[1].split() == ['variant', 'mAP', 'top-1', 'dmAP', 'dtop-1']
    assert [line.split()[0] for line in lines[2:7]] == ['orig', 'mb', 'mf', 'rf', 'rb']
    assert len(lines[2].split()) == 3 and len(lines[3].split()) == 5
    with open(out) as f:
        saved = json.load(f)
    assert saved['gallery_size'] == '8' and list(saved['rows']) == [
        'orig', 'mb', 'mf', 'rf', 'rb']
    assert all(0 <= row['mAP'] <= 1 for row in saved['rows'].values())
    assert elapsed < 60, f'the analysis tool took {elapsed:.0f} s'
