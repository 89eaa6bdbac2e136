import hashlib

from tests.conftest import SAMPLE
from toolkit.sample import write_sample


def _tree(root):
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_committed_sample_equals_a_fresh_generation(tmp_path):
    write_sample(tmp_path)
    assert _tree(tmp_path) == _tree(SAMPLE), "run `unionkit sample --out sample_data`"


def test_sample_shape(tmp_path):
    sample = write_sample(tmp_path)
    kinds = {b.kind for b in sample.branches}
    assert len(sample.branches) >= 8 and kinds == {"厂分会", "科室分会"}
    names = {f.name for f in sample.files}
    assert any(n.endswith(".xls") for n in names)
    assert not any(n.startswith("FH07") and "经费收支账" in n for n in names)
    assert sum("FH02" in n and "会费收缴" in n for n in names) == 2
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    for planted in sample.planted:
        assert f"`{planted.code}`" in readme and planted.file in readme
