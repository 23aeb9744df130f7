"""The export folder's manifest and raw arrays: round trips, and errors that name what is wrong."""

import json

import numpy as np
import pytest

from genvision.errors import BundleError
from genvision.export.manifest import (
    FORMAT,
    FORMAT_VERSION,
    MANIFEST_NAME,
    is_export,
    read_array,
    read_manifest,
    write_array,
    write_manifest,
)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8"])
def test_arrays_round_trip_as_raw_little_endian_c_order(tmp_path, dtype):
    values = (np.arange(24).reshape(2, 3, 4) * 3 - 7).astype(dtype)
    entry = write_array(tmp_path, "a", values)
    assert entry == {"file": "arrays/a.bin", "dtype": dtype, "shape": [2, 3, 4]}
    raw = (tmp_path / "arrays" / "a.bin").read_bytes()
    assert raw == values.astype(np.dtype(dtype).newbyteorder("<")).tobytes(order="C")  # what a browser reads
    np.testing.assert_array_equal(read_array(tmp_path, entry), values)


def test_a_truncated_array_is_an_error(tmp_path):
    entry = write_array(tmp_path, "a", np.zeros((4, 4), np.float32))
    (tmp_path / entry["file"]).write_bytes(b"\0" * 12)
    with pytest.raises(BundleError, match="export the bundle again"):
        read_array(tmp_path, entry)


def test_manifest_round_trip_and_recognition(tmp_path):
    assert not is_export(tmp_path)
    write_manifest(tmp_path, {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": "ddpm"})
    assert is_export(tmp_path) and read_manifest(tmp_path)["kind"] == "ddpm"


def test_manifest_errors(tmp_path):
    with pytest.raises(BundleError, match="not a genvision ONNX export"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST_NAME).write_text(json.dumps({"format": FORMAT, "format_version": 99}))
    with pytest.raises(BundleError, match="format_version 99"):
        read_manifest(tmp_path)
    (tmp_path / MANIFEST_NAME).write_text("{")
    assert not is_export(tmp_path)
    with pytest.raises(BundleError, match="not valid JSON"):
        read_manifest(tmp_path)
