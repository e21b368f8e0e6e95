"""The picture of a person search: each query beside its ranked hits."""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import mmcv
import numpy as np
from mmdet.registry import VISUALIZERS
from mmengine.dist import master_only
from mmengine.visualization import Visualizer

Color = Tuple[int, int, int]


@dataclass
class SearchRow:
    """One query and its ranked gallery hits, drawn as one row.

    Attributes:
        query_image (np.ndarray): (H, W, 3) RGB image holding the query.
        query_box (np.ndarray): (4,) x1y1x2y2 query box in its pixels.
        hit_images (list[np.ndarray]): K RGB images, one per hit, most
            similar first (an image may repeat).
        hit_boxes (np.ndarray): (K, 4) x1y1x2y2 hit boxes in their images'
            pixels.
        similarities (np.ndarray): (K,) similarity of each hit.
        hit_is_true (np.ndarray, optional): (K,) bool, whether each hit is
            the query person under the protocol; None when unknown (a
            search of unannotated images).
        title (str): caption of the query panel.
    """

    query_image: np.ndarray
    query_box: np.ndarray
    hit_images: List[np.ndarray]
    hit_boxes: np.ndarray
    similarities: np.ndarray
    hit_is_true: Optional[np.ndarray] = None
    title: str = 'query'


@VISUALIZERS.register_module()
class PersonSearchVisualizer(Visualizer):
    """Draw person-search results: per query, a row of panels, the query
    image first, then its top-k gallery hits, each under a caption strip.

    Every image is scaled to ``panel_height``; the query box is drawn in
    ``query_color`` and captioned with the row's title, each hit box in
    ``true_color`` or ``false_color`` when the protocol tells whether it is
    the query person (else ``hit_color``) and captioned ``#rank sim s``.
    Rows are stacked top to bottom, left-aligned on a white canvas.
    Drawing reuses mmengine's :class:`~mmengine.visualization.Visualizer`
    (one matplotlib render for the whole picture), as mmdet's
    ``DetLocalVisualizer`` and mmpretrain's ``visualize_image_retrieval``
    do.

    Args:
        name (str): Name of the instance. Defaults to 'visualizer'.
        panel_height (int): Height of every scaled image in pixels.
            Defaults to 256.
        caption_height (int): Height of the white caption strip above each
            image. Defaults to 22.
        gap (int): White pixels between panels and between rows. Defaults
            to 6.
        query_color (tuple[int, int, int]): RGB of the query box and
            caption. Defaults to blue (0, 96, 255).
        hit_color (tuple[int, int, int]): RGB of a hit whose truth is
            unknown. Defaults to red (230, 0, 0).
        true_color (tuple[int, int, int]): RGB of a true hit. Defaults to
            green (0, 190, 0).
        false_color (tuple[int, int, int]): RGB of a false hit. Defaults to
            red (230, 0, 0).
        line_width (float): Box line width. Defaults to 2.
        font_size (int): Caption font size in points. Defaults to 9.
        vis_backends (list[dict], optional): mmengine visualization
            backends, used by :meth:`visualize_search` without
            ``out_file``. Defaults to None.
        save_dir (str, optional): Folder of the backends. Defaults to None.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 panel_height: int = 256,
                 caption_height: int = 22,
                 gap: int = 6,
                 query_color: Color = (0, 96, 255),
                 hit_color: Color = (230, 0, 0),
                 true_color: Color = (0, 190, 0),
                 false_color: Color = (230, 0, 0),
                 line_width: float = 2,
                 font_size: int = 9,
                 vis_backends: Optional[List[dict]] = None,
                 save_dir: Optional[str] = None) -> None:
        super().__init__(name=name, vis_backends=vis_backends, save_dir=save_dir)
        if panel_height < 1 or caption_height < 0 or gap < 0:
            raise ValueError('PersonSearchVisualizer needs panel_height >= 1, '
                             f'caption_height >= 0 and gap >= 0, got {panel_height}, '
                             f'{caption_height} and {gap}')
        self.panel_height = panel_height
        self.caption_height = caption_height
        self.gap = gap
        self.query_color = query_color
        self.hit_color = hit_color
        self.true_color = true_color
        self.false_color = false_color
        self.line_width = line_width
        self.font_size = font_size

    def panel_width(self, image: np.ndarray) -> int:
        """Width of ``image`` scaled to ``panel_height`` (at least 1)."""
        return max(1, round(image.shape[1] * self.panel_height / image.shape[0]))

    def _row_panels(self, row: SearchRow) -> List[tuple]:
        """(image, box, color, caption) of each panel of a row."""
        num_hits = len(row.hit_images)
        if not (len(row.hit_boxes) == len(row.similarities) == num_hits):
            raise ValueError(
                f'a search row needs one box and one similarity per hit '
                f'image, got {num_hits} images, {len(row.hit_boxes)} boxes '
                f'and {len(row.similarities)} similarities')
        truth = row.hit_is_true
        if truth is not None and len(truth) != num_hits:
            raise ValueError(f'hit_is_true has {len(truth)} flags for '
                             f'{num_hits} hits')
        panels = [(row.query_image, row.query_box, self.query_color, row.title)]
        for rank, (image, box, sim) in enumerate(
                zip(row.hit_images, row.hit_boxes, row.similarities), 1):
            color = self.hit_color if truth is None else (
                self.true_color if truth[rank - 1] else self.false_color)
            panels.append((image, box, color, f'#{rank} sim {sim:.3f}'))
        return panels

    def draw_search(self, rows: Sequence[SearchRow]) -> np.ndarray:
        """Draw the rows into one RGB picture.

        Args:
            rows (Sequence[SearchRow]): one row per query.

        Returns:
            np.ndarray: (H, W, 3) uint8 RGB. Each row is
            ``caption_height + panel_height`` high with ``gap`` between
            rows; W is the widest row (its panel widths plus ``gap``
            between them).

        Raises:
            ValueError: no row, or a row whose hit lists differ in length.
        """
        if not rows:
            raise ValueError('nothing to draw: no search row given')
        layout = []  # (x, y, panel, box, color, caption) per panel
        row_h = self.caption_height + self.panel_height
        width = 0
        for r, row in enumerate(rows):
            x, y = 0, r * (row_h + self.gap)
            for image, box, color, caption in self._row_panels(row):
                layout.append((x, y, image, box, color, caption))
                x += self.panel_width(image) + self.gap
            width = max(width, x - self.gap)
        height = len(rows) * (row_h + self.gap) - self.gap
        canvas = np.full((height, width, 3), 255, np.uint8)
        boxes, colors, texts, positions = [], [], [], []
        for x, y, image, box, color, caption in layout:
            panel_w = self.panel_width(image)
            scale = self.panel_height / image.shape[0]
            top = y + self.caption_height
            canvas[top:top + self.panel_height, x:x + panel_w] = \
                mmcv.imresize(np.ascontiguousarray(image[..., :3]),
                              (panel_w, self.panel_height))
            box = np.asarray(box, np.float64) * scale
            # inside the panel (a detection may reach past its image)
            box = np.clip(box, 0, [panel_w - 1, self.panel_height - 1] * 2)
            boxes.append(box + [x, top, x, top])
            colors.append(color)
            texts.append(caption)
            positions.append([x + 3, y + 3])
        self.set_image(canvas)
        self.draw_bboxes(
            np.array(boxes), edge_colors=colors, line_widths=self.line_width, alpha=1.0)
        self.draw_texts(
            texts,
            np.array(positions),
            font_sizes=self.font_size,
            colors=colors,
            vertical_alignments='top')
        return self.get_image()

    @master_only
    def visualize_search(self,
                         rows: Sequence[SearchRow],
                         name: str = 'search',
                         show: bool = False,
                         wait_time: float = 0,
                         out_file: Optional[str] = None,
                         step: int = 0) -> np.ndarray:
        """Draw the rows, then show, save or hand them to the backends.

        Args:
            rows (Sequence[SearchRow]): one row per query.
            name (str): Image name for the backends and the window.
                Defaults to 'search'.
            show (bool): Display the picture in a window. Defaults to False.
            wait_time (float): Seconds to display it (0: until closed).
                Defaults to 0.
            out_file (str, optional): Write the picture here instead of to
                the backends. Defaults to None.
            step (int): Global step for the backends. Defaults to 0.

        Returns:
            np.ndarray: the RGB picture (see :meth:`draw_search`).
        """
        drawn = self.draw_search(rows)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step=step)
        return drawn
