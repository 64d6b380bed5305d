"""``hdnet.core.files.read_json``, the one JSON reader of files users give: what it refuses, with
the file named, and that it reads plain JSON as ``json`` does."""

import json

import pytest

from hdnet.core.files import read_json


@pytest.mark.parametrize("text, says", [
    ('{"fx": NaN}', "NaN is not JSON"),
    ('[Infinity]', "Infinity is not JSON"),
    ('{"fx": 1e400}', "the number 1e400 is out of range"),  # Python's json would give inf
    ('{"fx": -1e999}', "out of range"),
    ('{"fx": ' + "9" * 400 + "}", "(400 digits) is out of range"),  # float() of it overflows
    ('{"fx": 1,}', "is not valid JSON"),
    ("[" * 100000 + "]" * 100000, "nested too deeply"),
])
def test_what_is_refused_names_the_file(tmp_path, text, says):
    (tmp_path / "f.json").write_text(text)
    with pytest.raises(ValueError, match="--camera: .*f.json") as err:
        read_json(tmp_path / "f.json", "--camera")
    assert says in str(err.value)


def test_plain_json_reads_as_json_does(tmp_path):
    data = {"a": [1, -2, 3.5, 1e300, -1e-300, 10 ** 300, True, None, "x"], "b": {"c": []}}
    (tmp_path / "f.json").write_text(json.dumps(data))
    assert read_json(tmp_path / "f.json", "f") == json.loads(json.dumps(data))
    (tmp_path / "bad.txt").write_bytes(b'{"a": "\xff"}')
    with pytest.raises(ValueError, match="not UTF-8"):
        read_json(tmp_path / "bad.txt", "f")
    with pytest.raises(ValueError, match="hdnet reads JSON files up to"):
        read_json(tmp_path / "f.json", "f", max_bytes=10)
    with pytest.raises(FileNotFoundError, match="f: no file"):
        read_json(tmp_path / "none.json", "f")
