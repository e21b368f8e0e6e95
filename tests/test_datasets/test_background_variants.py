"""make_variant writes valid background-influence datasets (BUFF Sec. 3.1)
whose images differ from the originals only where the paper says; the
CUHK-SYSU style RB never pastes a query into its own gallery."""
import copy
import json
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest

from mmps.datasets import PersonSearchDataset, validate_annotations
from mmps.datasets.background_variants import (boxes_by_image, camera_backgrounds,
                                               estimate_background, make_variant,
                                               paste_queries)
from mmps.datasets.transforms.background_influence import boxes_to_mask
from mmps.testing import run_tool

MEAN_BGR = (104, 116, 124)


@pytest.fixture(scope='module')
def split(tiny_root):
    """(annotation file, image folder, parsed json) of the tiny test split:
    12 images of 3 cameras, 3 queries with gallery lists of 4 and 8."""
    ann_file = osp.join(tiny_root, 'annotations', 'test.json')
    with open(ann_file) as f:
        data = json.load(f)
    return ann_file, osp.join(tiny_root, 'images'), data


def make(split, out_dir, variant, **kwargs):
    """Write a variant; return (json, image folder, boxes per image id)."""
    ann_file, img_dir, _ = split
    out_file = make_variant(
        ann_file, img_dir, str(out_dir), variant, progress=False, **kwargs)
    out_img_dir = osp.join(str(out_dir), 'images')
    assert validate_annotations(out_file, out_img_dir).violations == []
    with open(out_file) as f:
        out = json.load(f)
    return out, out_img_dir, boxes_by_image(out)


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


def test_boxes_by_image(split):
    _, _, data = split
    boxes = boxes_by_image(data)
    assert sorted(boxes) == sorted(img['id'] for img in data['images'])
    ann = data['annotations'][0]
    x, y, w, h = ann['bbox']
    assert [x, y, x + w, y + h] in boxes[ann['image_id']].tolist()
    assert sum(len(b) for b in boxes.values()) == len(data['annotations'])


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


@pytest.mark.parametrize('rf_source', ['image', 'background'])
def test_random_foreground_variant(split, tmp_path, rf_source):
    """RF draws from the whole image by default (BUFF Sec. 3.1)."""
    out, out_img_dir, boxes = make(split, tmp_path, 'rf', seed=5, rf_source=rf_source)
    same_except_names(split, out)
    for src, dst, img in pairs(split, out, out_img_dir):
        mask = boxes_to_mask(boxes[img['id']], *src.shape[:2])
        np.testing.assert_array_equal(dst[~mask], src[~mask])
        pool = src[~mask] if rf_source == 'background' else src.reshape(-1, 3)
        pool = {tuple(p) for p in pool}
        assert all(tuple(p) in pool for p in dst[mask])
    again, again_dir, _ = make(
        split, tmp_path / 'again', 'rf', seed=5, rf_source=rf_source)
    for (_, a,
         _), (_, b,
              _) in zip(pairs(split, out, out_img_dir), pairs(split, again, again_dir)):
        np.testing.assert_array_equal(a, b)


# a tiny-split camera has a single frame: its box pixels have no estimate
@pytest.mark.filterwarnings('ignore:.*inside a box in all')
def test_prw_style_rb_with_estimated_backgrounds(split, tmp_path):
    out, out_img_dir, boxes = make(split, tmp_path, 'rb', rb_mode='prw')
    same_except_names(split, out)
    info = out['info']['background_influence']
    assert info['rb_mode'] == 'prw'
    assert sorted(info['backgrounds']) == ['0', '1', '2']
    bgs = {int(c): cv2.imread(p) for c, p in info['backgrounds'].items()}
    for src, dst, img in pairs(split, out, out_img_dir):
        mask = boxes_to_mask(boxes[img['id']], *src.shape[:2])
        np.testing.assert_array_equal(dst[mask], src[mask])
        sources = [c for c, bg in bgs.items() if (dst[~mask] == bg[~mask]).all()]
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
        bg = estimate_background(frames, masks)
    expected = np.full((6, 8, 3), 50, np.uint8)
    expected[0, 0] = 20  # plain median where no frame shows the background
    np.testing.assert_array_equal(bg, expected)


def test_prw_style_rb_with_given_backgrounds(split, tmp_path):
    bg_dir = tmp_path / 'bgs'
    bg_dir.mkdir()
    for cam, value in ((0, 30), (1, 60), (2, 90)):
        cv2.imwrite(str(bg_dir / f'c{cam}.png'), np.full((96, 128, 3), value, np.uint8))
    out, out_img_dir, boxes = make(
        split, tmp_path / 'out', 'rb', rb_mode='prw', backgrounds=str(bg_dir))
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
        with open(osp.join(img_dir, img['file_name']),
                  'rb') as a, open(osp.join(out_img_dir, img['file_name']), 'rb') as b:
            assert a.read() == b.read()
    listed = {
        i
        for lists in out['protocol']['galleries'].values() for g in lists for i in g
    }
    for k, (old_q, new_q) in enumerate(
            zip(data['protocol']['queries'], out['protocol']['queries'])):
        new_img = images[new_q['image_id']]
        assert new_q['image_id'] not in old_ids | listed
        assert new_q['person_id'] == old_q['person_id']
        assert new_img['cam_id'] == images[old_q['image_id']]['cam_id']
        scene_id, target_id = info['rb_scenes'][k]
        assert scene_id != old_q['image_id']
        assert anns[target_id]['image_id'] == scene_id
        assert all(a['person_id'] != old_q['person_id'] for a in data['annotations']
                   if a['image_id'] == scene_id)
        # the pasted patch is the query patch, shifted by whole pixels
        x, y, w, h = old_q['bbox']
        nx, ny = new_q['bbox'][:2]
        dx, dy = nx - x, ny - y
        assert dx == int(dx) and dy == int(dy) and new_q['bbox'][2:] == [w, h]
        c1, r1, c2, r2 = (int(np.floor(x)), int(np.floor(y)), int(np.ceil(x + w)),
                          int(np.ceil(y + h)))
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
        data_root=str(tmp_path),
        ann_file=osp.basename(ann_file),
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=[])
    infos = {info['img_id']: info for info in dataset.load_data_list()}
    for k, q in enumerate(out['protocol']['queries']):
        assert infos[q['image_id']]['queries'][0]['query_index'] == k


def test_cuhk_style_rb_never_pastes_into_the_query_gallery(split, tmp_path):
    """The scene a query is pasted into is in none of its gallery lists
    (issue #17): the query would share a background with people it is
    searched among. Several seeds, so that a draw among the gallery images
    would be caught."""
    _, img_dir, data = split
    for seed in range(8):
        copied = copy.deepcopy(data)
        scenes = paste_queries(
            copied, img_dir, str(tmp_path / str(seed)), seed, progress=False)
        for k, (scene_id, _) in enumerate(scenes):
            for size, lists in data['protocol']['galleries'].items():
                assert scene_id not in lists[k], (seed, size, k)


def test_cuhk_style_rb_fails_when_the_gallery_leaves_no_scene(split, tmp_path):
    """A query whose gallery lists hold every other image has no scene to
    be pasted into: a one-line error names it."""
    _, img_dir, data = split
    data = copy.deepcopy(data)
    query = data['protocol']['queries'][1]
    others = [img['id'] for img in data['images'] if img['id'] != query['image_id']]
    data['protocol']['galleries']['8'][1] = others
    with pytest.raises(ValueError) as err:
        paste_queries(data, img_dir, str(tmp_path), 0, progress=False)
    assert str(err.value) == (
        f'query 1 (image id {query["image_id"]}, person id '
        f'{query["person_id"]}): no image outside its gallery lists that '
        'has a box, does not show this person and is large enough to paste '
        'the query into')


def test_variant_errors(split, tmp_path):
    ann_file, img_dir, data = split
    with pytest.raises(ValueError, match="unknown variant 'xx'"):
        make_variant(ann_file, img_dir, str(tmp_path), 'xx')
    with pytest.raises(ValueError, match="rb_mode must be 'auto'"):
        make_variant(ann_file, img_dir, str(tmp_path), 'rb', rb_mode='seq')
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
        make_variant(ann_file, str(partial), str(tmp_path / 'o1'), 'mf', progress=False)

    one_cam = copy.deepcopy(data)
    for img in one_cam['images']:
        img['cam_id'] = 4
    one_cam['protocol']['galleries'] = {}
    one_cam_file = tmp_path / 'one_cam.json'
    one_cam_file.write_text(json.dumps(one_cam))
    with pytest.raises(ValueError, match=r'only camera\(s\) \[4\]'):
        make_variant(str(one_cam_file), img_dir, str(tmp_path / 'o2'), 'rb')
    with pytest.raises(ValueError, match='camera 9 has no background and no frames'):
        camera_backgrounds(data, img_dir, str(tmp_path / 'o3'), [0, 9], progress=False)
    with pytest.raises(ValueError, match='--bg-frames must be >= 1, got 0'):
        camera_backgrounds(data, img_dir, str(tmp_path / 'o3'), [0], max_frames=0)
    no_queries = copy.deepcopy(data)
    no_queries.pop('protocol')
    no_queries_file = tmp_path / 'train_like.json'
    no_queries_file.write_text(json.dumps(no_queries))
    with pytest.raises(ValueError, match='needs the protocol queries'):
        make_variant(
            str(no_queries_file),
            img_dir,
            str(tmp_path / 'o4'),
            'rb',
            rb_mode='cuhk',
            progress=False)


def test_command_line(split, tmp_path):
    """make_background_variant.py writes a valid variant and refuses an
    unknown one."""
    ann_file, img_dir, data = split
    out_dir = str(tmp_path / 'mb')
    res = run_tool('misc/make_background_variant.py', ann_file, img_dir, out_dir,
                   '--variant', 'mb', '--no-progress')
    out_file = osp.join(out_dir, 'test.json')
    assert f'wrote {out_file} and {osp.join(out_dir, "images")}' in \
        res.stdout
    assert validate_annotations(out_file, osp.join(out_dir, 'images')).violations == []
    with open(out_file) as f:
        assert json.load(f)['info']['background_influence']['variant'] == \
            'mb'
    res = run_tool(
        'misc/make_background_variant.py',
        ann_file,
        img_dir,
        str(tmp_path / 'rx'),
        '--variant',
        'rx',
        check=False)
    assert res.returncode == 2
    assert "argument --variant: invalid choice: 'rx'" in res.stderr
