"""PersonSearchVisualizer: layout, box colours, captions, output, errors."""
import warnings

import cv2
import numpy as np
import pytest
from mmdet.registry import VISUALIZERS

from mmps.visualization import PersonSearchVisualizer, SearchRow

IMG = np.full((80, 120, 3), 128, np.uint8)  # grey 120 x 80 scene
BOX = np.array([10., 8., 40., 72.])
OTHER = np.array([50., 10., 90., 70.])


def make_row(truth=None, num_hits=2, image=IMG):
    return SearchRow(
        query_image=image,
        query_box=BOX,
        hit_images=[image] * num_hits,
        hit_boxes=np.array([BOX, OTHER][:num_hits]).reshape(-1, 4),
        similarities=np.array([0.9, 0.5][:num_hits]),
        hit_is_true=None if truth is None else np.array(truth))


def edge_color(picture, panel_x, box, scale, caption=22):
    """The colour at the middle of a box's left edge in a panel that
    starts at column ``panel_x`` of the first row."""
    x = panel_x + int(round(box[0] * scale))
    y = caption + int(round((box[1] + box[3]) / 2 * scale))
    return picture[y, x].astype(int)


def test_registered_in_mmdet_visualizers():
    visualizer = VISUALIZERS.build(
        dict(type='PersonSearchVisualizer', name='vis_registry', panel_height=50))
    assert isinstance(visualizer, PersonSearchVisualizer)
    assert visualizer.panel_height == 50


def test_layout_and_colours():
    visualizer = PersonSearchVisualizer(name='vis_layout', panel_height=100)
    rows = [make_row([True, False]), make_row(num_hits=0)]
    picture = visualizer.draw_search(rows)
    # 120 x 80 images scaled to 150 x 100 under 22-pixel captions; rows of
    # 3 and 1 panels, 6 pixels apart, the picture as wide as the widest
    assert picture.shape == (2 * 122 + 6, 3 * 150 + 2 * 6, 3)
    assert picture.dtype == np.uint8
    assert visualizer.panel_width(IMG) == 150
    scale = 100 / 80
    # query blue, true hit green, false hit red
    np.testing.assert_allclose(
        edge_color(picture, 0, BOX, scale), visualizer.query_color, atol=20)
    np.testing.assert_allclose(
        edge_color(picture, 156, BOX, scale), visualizer.true_color, atol=20)
    np.testing.assert_allclose(
        edge_color(picture, 312, OTHER, scale), visualizer.false_color, atol=20)
    # captions are drawn on the white strips; the second row is one panel
    assert (picture[:22, :150] < 200).any()
    assert (picture[128:, 156:] == 255).all()


def test_hits_of_unknown_truth_take_the_hit_colour():
    visualizer = PersonSearchVisualizer(
        name='vis_unknown', panel_height=80, hit_color=(255, 160, 0))
    picture = visualizer.draw_search([make_row(None, num_hits=1)])
    assert picture.shape == (102, 2 * 120 + 6, 3)
    np.testing.assert_allclose(
        edge_color(picture, 126, BOX, 1.0), (255, 160, 0), atol=20)


def test_visualize_search_writes_the_picture(tmp_path):
    visualizer = PersonSearchVisualizer(name='vis_write', panel_height=40)
    out = tmp_path / 'search.png'
    drawn = visualizer.visualize_search([make_row([False, True])], out_file=str(out))
    np.testing.assert_array_equal(cv2.imread(str(out))[..., ::-1], drawn)


def test_visualize_search_feeds_the_backends(tmp_path):
    visualizer = PersonSearchVisualizer(
        name='vis_backend',
        panel_height=40,
        vis_backends=[dict(type='LocalVisBackend')],
        save_dir=str(tmp_path))
    visualizer.visualize_search([make_row()], name='hits', step=3)
    saved = list(tmp_path.rglob('hits_3.png'))
    assert len(saved) == 1


@pytest.mark.parametrize('rows, message', [
    ([], 'nothing to draw: no search row given'),
    ([SearchRow(IMG, BOX, [IMG], np.zeros((2, 4)), np.zeros(1))
      ], 'one box and one similarity per hit image, got 1 images, 2 boxes and '
     '1 similarities'),
    ([make_row([True])], 'hit_is_true has 1 flags for 2 hits'),
])
def test_bad_rows_are_errors(rows, message):
    visualizer = PersonSearchVisualizer(name='vis_errors')
    with pytest.raises(ValueError, match=message):
        visualizer.draw_search(rows)


@pytest.mark.parametrize(
    'kwargs',
    [dict(panel_height=0), dict(caption_height=-1),
     dict(gap=-2)])
def test_bad_sizes_are_errors(kwargs):
    with pytest.raises(
            ValueError,
            match='PersonSearchVisualizer needs '
            'panel_height >= 1, caption_height >= 0 and gap >= 0'):
        PersonSearchVisualizer(name='vis_sizes', **kwargs)


def test_boxes_past_the_image_stay_in_their_panel():
    # a detection may reach past its image: drawn clipped, without
    # mmengine's out-of-bounds warning, and not into the next panel
    visualizer = PersonSearchVisualizer(name='vis_clip', panel_height=80)
    row = SearchRow(IMG, np.array([-5., 8., 130., 90.]), [IMG],
                    np.array([[10., 8., 140., 82.]]), np.array([0.9]))
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        picture = visualizer.draw_search([row])
    assert (picture[22:, 122:126] == 255).all()  # the gap stays white
