"""Read an mmps annotation JSON file, with errors that name it.

``json.load`` reports a truncated or foreign file as ``Expecting value:
line 1 column 1 (char 0)``, without saying which file; the readers of the
schema (:class:`PersonSearchDataset`, :func:`validate_annotations`) go
through :func:`load_annotation_file` instead.
"""
import json
import os.path as osp


def load_annotation_file(path: str) -> dict:
    """The parsed content of an annotation JSON file.

    Args:
        path (str): The ``.json`` file of one split.

    Returns:
        dict: The top-level object (``images``, ``annotations``, ...).

    Raises:
        FileNotFoundError: ``path`` is not a file; the message names it.
        ValueError: One line ``'<path>: ...'``: the file is not UTF-8, not
            valid JSON (with the line and column where parsing stopped and
            the file size, e.g. a copy cut short), or its top level is not
            an object.
    """
    if not osp.isfile(path):
        what = 'is a folder, not' if osp.isdir(path) else 'not found:'
        raise FileNotFoundError(f'annotation file {what} {path} (convert or '
                                'generate the dataset first, see '
                                'docs/dataset_prepare.md)')
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        data = json.loads(raw.decode('utf-8'))
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b'\n') + 1
        raise ValueError(f'{path}:{line}: not UTF-8 text (byte {err.start}): not '
                         'an annotation JSON file') from None
    except json.JSONDecodeError as err:
        raise ValueError(f'{path}:{err.lineno}: not valid JSON ({err.msg} at '
                         f'column {err.colno}; the file has {len(raw)} bytes: cut '
                         'short, or not an annotation file?)') from None
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a JSON object with "images" and '
                         f'"annotations", found a {type(data).__name__}')
    return data
