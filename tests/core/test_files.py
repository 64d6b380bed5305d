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
    with pytest.raises(ValueError, match="hdnet reads text files up to"):
        read_json(tmp_path / "f.json", "f", max_bytes=10)
    with pytest.raises(FileNotFoundError, match="f: no file"):
        read_json(tmp_path / "none.json", "f")


@pytest.mark.parametrize("codec, mark", [("utf-8", b"\xef\xbb\xbf"), ("utf-16-le", b"\xff\xfe"),
                                         ("utf-16-be", b"\xfe\xff"), ("utf-32-le", b"\xff\xfe\x00\x00"),
                                         ("utf-32-be", b"\x00\x00\xfe\xff")])
def test_files_windows_tools_write_are_read(tmp_path, codec, mark):
    """A byte-order mark names the encoding (Notepad's UTF-8 mark, Windows PowerShell's `>`
    UTF-16): read as the same JSON; the same bytes without the mark are not UTF-8 (except
    UTF-8's own) and are refused by name."""
    from hdnet.core.files import read_text
    data = {"fx": 1000.5, "name": "Zoë", "k": [1, 2]}
    text = json.dumps(data, ensure_ascii=False)
    (tmp_path / "m.json").write_bytes(mark + text.encode(codec))
    assert read_json(tmp_path / "m.json", "f") == data
    assert read_text(tmp_path / "m.json", "f") == text
    if codec != "utf-8":
        (tmp_path / "bare.json").write_bytes(text.encode(codec))
        with pytest.raises(ValueError, match="f: .*bare.json.* is not UTF-8 text"):
            read_json(tmp_path / "bare.json", "f")
    if codec != "utf-8":  # cut inside a character
        (tmp_path / "cut.json").write_bytes(mark + text.encode(codec)[:-1])
        with pytest.raises(ValueError, match=f"is not {codec.upper()} text"):
            read_json(tmp_path / "cut.json", "f")
