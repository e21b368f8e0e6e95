"""Convert the PRW release to the mmps annotation schema.

Expected release layout under ``root``::

    frames/c<k>s<j>_<n>.jpg
    annotations/c<k>s<j>_<n>.jpg.mat   # box_new | anno_file | anno_previous:
                                       #   rows [id, x, y, w, h], id -2 unlabelled
    frame_train.mat                    # img_index_train: frame names
    frame_test.mat                     # img_index_test
    query_info.txt                     # "id x y w h frame" per line (CRLF)

Writes ``<out-dir>/train.json`` and ``<out-dir>/test.json`` (default
``<root>/mmps``) with ``file_name`` relative to ``frames``, after checking
both with :func:`mmps.datasets.validation.validate_annotations`. Every query
searches all other test frames (no gallery lists). The camera id is ``k``.

Boxes follow the loader of SeqNet (serend1p1ty/SeqNet ``datasets/prw.py``),
whose evaluation the published PRW numbers use, so that evaluating on these
files matches it exactly:

- an annotation row's negative x, y, w or h becomes 0 without shrinking the
  box, then the corners x, y, x + w, y + h are truncated to integers
  (:func:`reference_box`);
- a query's corners x, y, x + w, y + h are truncated to integers, then
  negative corners become 0 (:func:`reference_query_box`).

Boxes are not clipped to the frame. A person id on two boxes of one frame
(the release has a few, e.g. id 297 in ``c1s2_024091.jpg``) is kept; the
summary counts such boxes and names the first. The command line is
``tools/dataset_converters/prw.py``.

Every error names its file, and for ``query_info.txt`` the line (as an
editor numbers it, whether lines end in CRLF or LF): a ``.mat`` file cut
short, a line without six fields, a person id that is not an integer, a
coordinate that is not a finite number.
"""
import math
import os.path as osp
import re
from functools import partial
from typing import Dict, List, Optional, Sequence, Set, Tuple

import numpy as np

from ..matfile import load_mat
from .schema_builder import (SchemaBuilder, dump_splits, format_summary, image_size,
                             require_path)

BOX_KEYS = ('box_new', 'anno_file', 'anno_previous')
FRAME_RE = re.compile(r'^c(\d+)s(\d+)_')

require = partial(require_path, release='PRW')


def reference_box(xywh: Sequence[float]) -> List[float]:
    """(x, y, w, h) of an annotation row as SeqNet reads it.

    Negative x, y, w, h become 0 (the box keeps its width and height), and
    the corners are truncated to integers: ``[-40, 10.7, 60, 100]`` gives
    ``[0, 10, 60, 100]``.
    """
    x, y, w, h = (max(float(v), 0.0) for v in xywh)
    x1, y1 = math.floor(x), math.floor(y)
    x2, y2 = math.floor(x + w), math.floor(y + h)
    return [float(x1), float(y1), float(x2 - x1), float(y2 - y1)]


def reference_query_box(xywh: Sequence[float]) -> List[float]:
    """(x, y, w, h) of a ``query_info.txt`` box as SeqNet reads it.

    The corners are truncated towards zero, then negative corners become 0
    (the box shrinks): ``[-40, 10, 60, 100]`` gives ``[0, 10, 20, 100]``.
    """
    x, y, w, h = (float(v) for v in xywh)
    x1, y1, x2, y2 = (max(int(v), 0) for v in (x, y, x + w, y + h))
    return [float(x1), float(y1), float(x2 - x1), float(y2 - y1)]


def load_frame_list(path: str, key: str) -> list:
    """Frame file names (with ``.jpg``) from ``frame_{train,test}.mat``."""
    mat = load_mat(path)
    if key not in mat:
        found = sorted(k for k in mat if not k.startswith('__'))
        raise KeyError(f'{path}: expected key {key!r}, found {found}')
    return [str(np.asarray(x).reshape(-1)[0]) + '.jpg' for x in mat[key].reshape(-1)]


def load_frame_boxes(path: str) -> np.ndarray:
    """(n, 5) rows ``[id, x, y, w, h]`` of one ``.jpg.mat`` file."""
    mat = load_mat(path)
    for key in BOX_KEYS:
        if key in mat:
            return np.asarray(mat[key], dtype=np.float64).reshape(-1, 5)
    found = sorted(k for k in mat if not k.startswith('__'))
    raise KeyError(f'{path}: expected one of {list(BOX_KEYS)}, found {found}')


def parse_query_line(fields: Sequence[str], where: str) -> Tuple[int, List[float], str]:
    """(person id, [x, y, w, h], frame) of one ``query_info.txt`` line.

    Args:
        fields (Sequence[str]): The line split at whitespace.
        where (str): ``'<file>:<line>'``, which starts every message.

    Raises:
        ValueError: The line does not have six fields, the id is not an
            integer, or a coordinate is not a finite number.
    """
    if len(fields) != 6:
        raise ValueError(f'{where}: expected 6 fields "id x y w h frame", got '
                         f'{len(fields)}: {" ".join(fields)!r}')
    try:
        pid = int(fields[0])
    except ValueError:
        raise ValueError(f'{where}: person id {fields[0]!r} is not an '
                         'integer') from None
    box = []
    for name, text in zip('xywh', fields[1:5]):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise ValueError(f'{where}: {name} = {text!r} is not a finite number')
        box.append(value)
    return pid, box, fields[5]


def load_queries(path: str,
                 test_frames: Set[str]) -> List[Tuple[str, List[float], int]]:
    """Protocol queries of ``query_info.txt``, blank lines skipped.

    Read before the frames, so that a bad line stops the conversion at
    once.

    Args:
        path (str): The ``query_info.txt`` file.
        test_frames (set[str]): File names of the test frames.

    Returns:
        list[tuple]: (frame file name, box :func:`reference_query_box`,
        person id) of every query, in file order.

    Raises:
        ValueError: ``'<path>:<line>: ...'`` for the first bad line
            (:func:`parse_query_line`, a frame outside ``frame_test.mat``,
            a box with w or h <= 0), or text that is not UTF-8.
    """
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b'\n') + 1
        raise ValueError(f'{path}:{line}: not UTF-8 text (byte {err.start})') from None
    queries = []
    for k, line in enumerate(text.split('\n')):
        fields = line.split()
        if not fields:
            continue
        where = f'{path}:{k + 1}'
        pid, xywh, name = parse_query_line(fields, where)
        frame = name + '.jpg'
        if frame not in test_frames:
            raise ValueError(f'{where}: frame {frame} is not in frame_test.mat')
        bbox = reference_query_box(xywh)
        if not (bbox[2] > 0 and bbox[3] > 0):
            raise ValueError(f'{where}: query box {fields[1:5]} has w or h <= 0 '
                             'once its negative corners are set to 0')
        queries.append((frame, bbox, pid))
    return queries


def camera_of(frame: str) -> int:
    """Camera ``k`` of a ``c<k>s<j>_*`` frame name."""
    match = FRAME_RE.match(frame)
    if match is None:
        raise ValueError(f'PRW frame name {frame!r} does not start with '
                         'c<camera>s<sequence>_')
    return int(match.group(1))


def convert_prw(root: str,
                out_dir: Optional[str] = None,
                verbose: bool = True) -> Dict[str, dict]:
    """Convert a PRW release; returns per-split statistics.

    Identity -2 becomes -1 (unlabelled); other ids are kept. Boxes follow
    :func:`reference_box` and :func:`reference_query_box`; boxes with w or
    h <= 0 afterwards are dropped and counted. A person id repeated within
    a frame is kept and counted (``duplicate_ids``, with
    ``duplicate_id_example``).

    Args:
        root (str): Release root (holds ``frames/`` and ``annotations/``).
        out_dir (str, optional): Output folder. Defaults to
            ``<root>/mmps``.
        verbose (bool): Print the summary. Defaults to True.

    Returns:
        dict[str, dict]: Per split, the counts of
        :meth:`SchemaBuilder.stats` and ``schema_warnings``
        (:func:`dump_splits`).
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'PRW root not found: {root}')
    out_dir = out_dir or osp.join(root, 'mmps')
    frame_dir = require(osp.join(root, 'frames'), 'frames folder')
    ann_dir = require(osp.join(root, 'annotations'), 'annotations folder')
    splits = {
        'train':
        load_frame_list(
            require(osp.join(root, 'frame_train.mat'), 'frame_train.mat'),
            'img_index_train'),
        'test':
        load_frame_list(
            require(osp.join(root, 'frame_test.mat'), 'frame_test.mat'),
            'img_index_test'),
    }
    queries = load_queries(
        require(osp.join(root, 'query_info.txt'), 'query_info.txt'),
        set(splits['test']))
    builders = {}
    test_ids = {}
    for split, frames in splits.items():
        builder = SchemaBuilder('prw', split)
        for frame in frames:
            path = require(osp.join(frame_dir, frame), f'frame {frame}')
            width, height = image_size(path)
            image_id = builder.add_image(frame, width, height, camera_of(frame))
            rows = load_frame_boxes(
                require(osp.join(ann_dir, frame + '.mat'), f'annotation of {frame}'))
            for pid, x, y, w, h in rows:
                builder.add_box(image_id, reference_box((x, y, w, h)),
                                int(pid) if pid >= 0 else -1)
            if split == 'test':
                test_ids[frame] = image_id
        builders[split] = builder

    builders['test'].protocol = dict(
        queries=[
            dict(image_id=test_ids[frame], bbox=bbox, person_id=pid)
            for frame, bbox, pid in queries
        ],
        galleries={},
        subsets={})
    stats = dump_splits(builders, out_dir)
    if verbose:
        print(format_summary('PRW', stats))
    return stats
