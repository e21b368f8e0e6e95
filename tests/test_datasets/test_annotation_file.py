"""load_annotation_file: the content, or one line naming the file."""
import json

import pytest

from mmps.datasets.annotation_file import load_annotation_file


def test_reads_an_object(tmp_path):
    path = tmp_path / 'test.json'
    path.write_text(json.dumps(dict(images=[], annotations=[])))
    assert load_annotation_file(str(path)) == dict(images=[], annotations=[])


def test_missing_path_or_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match='annotation file not found: '):
        load_annotation_file(str(tmp_path / 'nope.json'))
    with pytest.raises(FileNotFoundError, match='annotation file is a folder, not '):
        load_annotation_file(str(tmp_path))


@pytest.mark.parametrize('content, message', [
    (b'{\n  "images": [\n  {"id": 1', ':3: not valid JSON (Expecting '),
    (b'{\r\n"images": [],\r\n"annotations": [}\r\n', ':3: not valid JSON ('),
    (b'\n\n\xff\xd8\xff\xe0', ':3: not UTF-8 text (byte 2)'),
    (b'[1, 2]', ': expected a JSON object with "images" and "annotations", '
     'found a list'),
])
def test_unreadable_content_is_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / 'test.json'
    path.write_bytes(content)
    with pytest.raises(ValueError) as err:
        load_annotation_file(str(path))
    assert str(err.value).startswith(f'{path}{message}')
    assert '\n' not in str(err.value)
