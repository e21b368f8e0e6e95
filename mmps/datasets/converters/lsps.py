"""Convert the LSPS release to the mmps annotation schema.

LSPS (Zhong et al., "Robust Partial Matching for Person Search in the
Wild", CVPR 2020) ships its annotations as tab-separated text files. The
expected layout under ``root`` is that of the reader of PCNetPS
(zhongyingji/PCNetPS ``maskrcnn_benchmark/data/datasets/lsps_dataset.py``)::

    train/<frame>.jpg, test/<frame>.jpg
    {train,test}_frame_coord.txt   # "<frame> x1 y1 x2 y2 x1 y1 x2 y2 ...":
                                   #   4 numbers (x1 y1 x2 y2) per box
    {train,test}_frame_id.txt      # "<frame> id id ...": one person id per
                                   #   box, in box order; -1 unlabelled
    {train,test}_shape.txt         # "<frame> height width"
    query_info.txt                 # "id <frame> x1 y1 x2 y2", test frames

Fields are separated by tabs in the release (a coordinate line ends with a
tab); any whitespace is accepted here, and CRLF line ends too. Frame names
are file names with their extension; the camera id is the third ``_``
field of the name without its extension (PCNetPS reads the third field of
the file name). A split's frames are the images in its folder, as PCNetPS
lists them; a frame without a coordinate line has no box.

Writes ``<out-dir>/train.json`` and ``<out-dir>/test.json`` (default
``<root>/mmps``) with ``file_name`` relative to the split folder
(``train/`` or ``test/``: the configs set ``data_prefix`` per split), after
checking both with :func:`mmps.datasets.validation.validate_annotations`.
Every query searches all other test frames (no gallery lists). Boxes are
kept as written (not clipped; a box with w or h <= 0 is dropped and
counted). The command line is ``tools/dataset_converters/lsps.py``.

Every error is one line naming the file, the line (as an editor numbers
it) and the frame: a line with too few fields, a coordinate count that is
not a multiple of 4, a value that is not a number, an id count that differs
from the box count, a frame listed twice or not in the split's folder, a
shape that differs from the image, a query of an unknown frame or person.
"""
import math
import os
import os.path as osp
from functools import partial
from typing import Dict, List, Optional, Set, Tuple

from .schema_builder import (SchemaBuilder, dump_splits, format_summary, image_size,
                             require_path)

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')
SPLITS = ('train', 'test')

require = partial(require_path, release='LSPS')

#: One parsed line: (line number, frame, values).
Line = Tuple[int, str, List[str]]


def read_lines(path: str) -> List[Tuple[int, List[str]]]:
    """(line number, whitespace-split fields) of every non-blank line.

    Raises:
        ValueError: ``'<path>:<line>: not UTF-8 text'``.
    """
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b'\n') + 1
        raise ValueError(f'{path}:{line}: not UTF-8 text (byte {err.start})') from None
    return [(k + 1, line.split()) for k, line in enumerate(text.split('\n'))
            if line.strip()]


def parse_number(text: str, what: str, where: str) -> float:
    """``text`` as a finite float, else a ValueError starting with
    ``where`` and naming ``what``."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValueError(f'{where}: {what} {text!r} is not a finite number')
    return value


def parse_int(text: str, what: str, where: str) -> int:
    """``text`` as an int, else a ValueError starting with ``where``."""
    try:
        return int(text)
    except ValueError:
        raise ValueError(f'{where}: {what} {text!r} is not an integer') from None


def load_frame_table(path: str,
                     frames: Set[str],
                     folder: str,
                     min_values: int = 0) -> Dict[str, Line]:
    """The lines of a per-frame file (``*_frame_coord.txt``,
    ``*_frame_id.txt``, ``*_shape.txt``), by frame.

    Args:
        path (str): The file.
        frames (set[str]): File names of the split's frames.
        folder (str): The split folder (named in messages).
        min_values (int): Values a line needs after its frame name.
            Defaults to 0.

    Returns:
        dict[str, tuple]: Frame -> (line number, frame, values).

    Raises:
        ValueError: ``'<path>:<line>: frame <name>: ...'`` for a frame
            listed twice, a frame that is not an image of the split folder,
            or a line with fewer than ``min_values`` values.
    """
    table: Dict[str, Line] = {}
    for number, fields in read_lines(path):
        frame, values = fields[0], fields[1:]
        where = f'{path}:{number}: frame {frame}'
        if frame in table:
            raise ValueError(f'{where}: listed twice (first at line {table[frame][0]})')
        if frame not in frames:
            raise ValueError(f'{where}: no such image in {folder}')
        if len(values) < min_values:
            raise ValueError(f'{where}: expected at least {min_values} values after '
                             f'the frame name, got {len(values)}')
        table[frame] = (number, frame, values)
    return table


def frame_boxes(coord: Optional[Line], ids: Optional[Line], coord_path: str,
                id_path: str) -> List[Tuple[List[float], int]]:
    """The ([x, y, w, h], person id) boxes of one frame, from its lines in
    ``*_frame_coord.txt`` (x1 y1 x2 y2 per box) and ``*_frame_id.txt``.

    A frame in neither file has no box; negative ids become -1.

    Raises:
        ValueError: ``'<file>:<line>: frame <name>: ...'`` for a
            coordinate count that is not a multiple of 4, a value that is
            not a number, or an id count that differs from the box count
            (also when the frame is in one file only).
    """
    boxes: List[List[float]] = []
    if coord is not None:
        number, frame, values = coord
        where = f'{coord_path}:{number}: frame {frame}'
        if len(values) % 4:
            raise ValueError(f'{where}: {len(values)} coordinates, not a multiple of '
                             '4 (x1 y1 x2 y2 per box)')
        xyxy = [parse_number(v, 'coordinate', where) for v in values]
        boxes = [[x1, y1, x2 - x1, y2 - y1]
                 for x1, y1, x2, y2 in zip(*[iter(xyxy)] * 4)]
    pids: List[int] = []
    if ids is not None:
        number, frame, values = ids
        where = f'{id_path}:{number}: frame {frame}'
        pids = [parse_int(v, 'person id', where) for v in values]
    if len(pids) != len(boxes):
        line, frame = (ids or coord)[:2]
        raise ValueError(f'{id_path if ids else coord_path}:{line}: frame {frame}: '
                         f'{len(pids)} person id(s) in {osp.basename(id_path)} for '
                         f'{len(boxes)} box(es) in {osp.basename(coord_path)}')
    return [(box, pid if pid >= 0 else -1) for box, pid in zip(boxes, pids)]


def camera_of(frame: str) -> int:
    """Camera id of an LSPS frame: the third ``_`` field of its name
    without the extension (``'a_b_3_c.jpg'`` -> 3)."""
    fields = osp.splitext(frame)[0].split('_')
    if len(fields) < 3 or not fields[2].lstrip('-').isdigit():
        raise ValueError(f'LSPS frame name {frame!r} has no integer third "_" field '
                         '(its camera id)')
    return int(fields[2])


def list_frames(folder: str) -> List[str]:
    """Sorted image file names of a split folder (hidden files and other
    extensions skipped)."""
    return sorted(
        name for name in os.listdir(folder)
        if not name.startswith('.') and name.lower().endswith(IMAGE_EXTENSIONS))


def load_queries(path: str, test_ids: Dict[str, List[int]],
                 frame_dir: str) -> List[Tuple[str, List[float], int]]:
    """Protocol queries of ``query_info.txt``, in file order.

    Args:
        path (str): The ``query_info.txt`` file ("id frame x1 y1 x2 y2").
        test_ids (dict[str, list[int]]): Test frame -> the person ids of
            its boxes.
        frame_dir (str): The test folder (named in messages).

    Returns:
        list[tuple]: (frame, [x, y, w, h], person id) per query.

    Raises:
        ValueError: ``'<path>:<line>: frame <name>: ...'`` for a line
            without six fields, a value that is not a number, a frame that
            is not a test image, a person id absent from the frame's
            ``test_frame_id.txt`` line, or a box with w or h <= 0.
    """
    queries = []
    for number, fields in read_lines(path):
        frame = fields[1] if len(fields) > 1 else '?'
        where = f'{path}:{number}: frame {frame}'
        if len(fields) != 6:
            raise ValueError(f'{where}: expected 6 fields "id frame x1 y1 x2 y2", '
                             f'got {len(fields)}')
        pid = parse_int(fields[0], 'person id', where)
        x1, y1, x2, y2 = (parse_number(v, 'coordinate', where) for v in fields[2:])
        if frame not in test_ids:
            raise ValueError(f'{where}: no such image in {frame_dir}')
        if pid < 0 or pid not in test_ids[frame]:
            raise ValueError(f'{where}: person id {pid} labels no box of the frame '
                             'in test_frame_id.txt')
        if not (x2 > x1 and y2 > y1):
            raise ValueError(
                f'{where}: query box {fields[2:]} has x2 <= x1 or y2 <= y1')
        queries.append((frame, [x1, y1, x2 - x1, y2 - y1], pid))
    return queries


def convert_split(root: str, split: str) -> Tuple[SchemaBuilder, Dict[str, List[int]]]:
    """One split's images and boxes.

    Returns:
        tuple: The split's builder (no protocol yet) and, per frame, the
        person ids of its boxes (in file order, degenerate boxes included).
    """
    frame_dir = require(osp.join(root, split), f'{split} folder')
    frames = list_frames(frame_dir)
    paths = {
        key: require(osp.join(root, f'{split}_{key}.txt'), f'{split}_{key}.txt')
        for key in ('frame_coord', 'frame_id', 'shape')
    }
    names = set(frames)
    coords = load_frame_table(paths['frame_coord'], names, frame_dir)
    ids = load_frame_table(paths['frame_id'], names, frame_dir)
    shapes = load_frame_table(paths['shape'], names, frame_dir, min_values=2)
    builder = SchemaBuilder('lsps', split)
    frame_ids = {}
    for frame in frames:
        if frame not in shapes:
            raise ValueError(f'{paths["shape"]}: frame {frame} (in {frame_dir}) has no '
                             'line')
        number, _, values = shapes[frame]
        where = f'{paths["shape"]}:{number}: frame {frame}'
        height, width = (parse_int(v, 'size', where) for v in values[:2])
        actual = image_size(osp.join(frame_dir, frame))
        if actual != (width, height):
            raise ValueError(f'{where}: height {height}, width {width}, but the image '
                             f'is {actual[1]}x{actual[0]} (HxW)')
        image_id = builder.add_image(frame, width, height, camera_of(frame))
        boxes = frame_boxes(
            coords.get(frame), ids.get(frame), paths['frame_coord'], paths['frame_id'])
        for box, pid in boxes:
            builder.add_box(image_id, box, pid)
        frame_ids[frame] = [pid for _, pid in boxes]
    return builder, frame_ids


def convert_lsps(root: str,
                 out_dir: Optional[str] = None,
                 verbose: bool = True) -> Dict[str, dict]:
    """Convert an LSPS release; returns per-split statistics.

    Person ids are the release's; negative ids become -1 (unlabelled).
    Query boxes are ``query_info.txt``'s, as written.

    Args:
        root (str): Release root (holds ``train/``, ``test/`` and the text
            files).
        out_dir (str, optional): Output folder. Defaults to
            ``<root>/mmps``.
        verbose (bool): Print the summary. Defaults to True.

    Returns:
        dict[str, dict]: Per split, the counts of
        :meth:`SchemaBuilder.stats` and ``schema_warnings``
        (:func:`dump_splits`).

    Raises:
        FileNotFoundError: The root, a folder or a file is missing.
        ValueError: A malformed line (file, line and frame named), or an
            output that violates the schema (nothing written).
    """
    if not osp.isdir(root):
        raise FileNotFoundError(f'LSPS root not found: {root}')
    out_dir = out_dir or osp.join(root, 'mmps')
    query_path = require(osp.join(root, 'query_info.txt'), 'query_info.txt')
    builders, frame_ids = {}, {}
    for split in SPLITS:
        builders[split], frame_ids[split] = convert_split(root, split)
    queries = load_queries(query_path, frame_ids['test'], osp.join(root, 'test'))
    image_ids = {img['file_name']: img['id'] for img in builders['test'].images}
    builders['test'].protocol = dict(
        queries=[
            dict(image_id=image_ids[frame], bbox=bbox, person_id=pid)
            for frame, bbox, pid in queries
        ],
        galleries={},
        subsets={})
    stats = dump_splits(builders, out_dir)
    if verbose:
        print(format_summary('LSPS', stats))
    return stats
