"""Write Market-1501's training crops as a label list for mmdet's
``ReIDDataset`` (RDLR's cross-dataset re-ID model, Sec. 4.4).

Expected release layout under ``root`` (``Market-1501-v15.09.15``)::

    bounding_box_train/<pid>_c<cam>s<seq>_<frame>_<box>.jpg

Writes ``<out-dir>/train.txt`` (default ``<root>/mmps``): one
``<file name> <label>`` line per image, the file name relative to
``bounding_box_train/``, the label the rank of the person id among the
training ids (0..750 on the release). Images of id -1 (junk) and 0000
(distractors) are skipped and counted; the training folder of the release
has none, the test folders have both. Files that do not follow the naming
rule are refused, naming the file.
"""
import os
import os.path as osp
import re
from functools import partial
from typing import Dict, Optional

from .schema_builder import require_path

FILE_RE = re.compile(r'^(-?\d+)_c(\d+)s\d+_\d+_\d+\.jpg$')
JUNK_ID = -1
DISTRACTOR_ID = 0

require = partial(require_path, release='Market-1501')


def convert_market1501(root: str, out_dir: Optional[str] = None) -> Dict[str, int]:
    """Write the label list of ``bounding_box_train``.

    Args:
        root (str): Release root, holding ``bounding_box_train/``.
        out_dir (str, optional): Output folder. Defaults to ``<root>/mmps``.

    Returns:
        dict[str, int]: ``images`` (listed), ``ids`` (labels), ``junk`` and
        ``distractors`` (skipped images).

    Raises:
        FileNotFoundError: ``bounding_box_train`` is missing.
        ValueError: A ``.jpg`` whose name is not ``<pid>_c<cam>s...``, or a
            folder without a listed image.
    """
    folder = require(osp.join(root, 'bounding_box_train'), 'bounding_box_train folder')
    entries = []
    counts = dict(junk=0, distractors=0)
    for name in sorted(os.listdir(folder)):
        if not name.endswith('.jpg'):
            continue
        match = FILE_RE.match(name)
        if match is None:
            raise ValueError(f'{osp.join(folder, name)}: not a Market-1501 crop name '
                             '(<pid>_c<cam>s<seq>_<frame>_<box>.jpg)')
        person_id = int(match.group(1))
        if person_id == JUNK_ID:
            counts['junk'] += 1
        elif person_id == DISTRACTOR_ID:
            counts['distractors'] += 1
        else:
            entries.append((name, person_id))
    if not entries:
        raise ValueError(f'{folder} holds no labelled crop: is it the Market-1501 '
                         'bounding_box_train folder?')
    labels = {pid: rank for rank, pid in enumerate(sorted({p for _, p in entries}))}
    out_dir = out_dir or osp.join(root, 'mmps')
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'train.txt'), 'w') as f:
        f.writelines(f'{name} {labels[pid]}\n' for name, pid in entries)
    return dict(images=len(entries), ids=len(labels), **counts)
