import gzip

import numpy as np
import pytest

from genvision.data.idx import read_idx, write_idx
from genvision.errors import GenvisionError


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_roundtrip_raw_and_gzip(tmp_path, suffix):
    arr = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    path = tmp_path / f"x-idx3-ubyte{suffix}"
    write_idx(path, arr)
    np.testing.assert_array_equal(read_idx(path), arr)


def test_idx_header_bytes_are_big_endian(tmp_path):
    path = tmp_path / "labels-idx1-ubyte"
    path.write_bytes(bytes([0, 0, 8, 1, 0, 0, 1, 2]) + bytes(range(256)) + bytes([7, 9]))
    out = read_idx(path)
    assert out.shape == (258,) and out[-1] == 9 and out[255] == 255


def test_idx_rejects_truncated_and_bad_magic(tmp_path):
    arr = np.zeros((4, 2, 2), dtype=np.uint8)
    good = tmp_path / "a-idx3-ubyte"
    write_idx(good, arr)
    (tmp_path / "trunc").write_bytes(good.read_bytes()[:-3])
    with pytest.raises(GenvisionError, match="truncated"):
        read_idx(tmp_path / "trunc")
    (tmp_path / "magic").write_bytes(b"\x01\x02\x08\x01" + b"\x00" * 8)
    with pytest.raises(GenvisionError, match="magic"):
        read_idx(tmp_path / "magic")
    with gzip.open(tmp_path / "bad.gz", "wb") as fh:
        fh.write(b"\x00\x00")
    with pytest.raises(GenvisionError):
        read_idx(tmp_path / "bad.gz")
