"""Large batches split across single-threaded onnxruntime sessions (genvision.export.batch_split) give the
rows the whole-batch session gives, in order, for a real exported graph, the shipped LDM's UNet and the small
generators."""

import os
import threading

import pytest
import torch
import torch.nn as nn

import genvision
from genvision.export.batch_split import SPLIT_BATCH, BatchSplit, pinning
from genvision.export.graphs import Graph
from genvision.export.runtime import session
from genvision.export.writer import export_graph
from tests.export.conftest import load_onnx_split

pytest.importorskip("onnxruntime")


@pytest.fixture
def graph(tmp_path):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.GroupNorm(2, 8), nn.SiLU()).eval()
    path = tmp_path / "net.onnx"
    export_graph(Graph("net", net, {"x": torch.randn(2, 3, 5, 5)}, "y"), path)
    return net, path


@pytest.mark.parametrize("threads", [2, 3])
def test_split_rows_match_the_whole_batch(graph, threads):
    net, path = graph
    split = BatchSplit(lambda: session(path, threads=1), threads)
    x = torch.randn(SPLIT_BATCH + 3, 3, 5, 5)  # not a multiple of the thread count
    assert split.worthwhile(len(x)) and not split.worthwhile(SPLIT_BATCH - 1)
    assert not BatchSplit(lambda: session(path), 1).worthwhile(1000)  # one thread: nothing to split
    (got,) = split.run({"x": x.numpy()})
    (whole,) = session(path).run(None, {"x": x.numpy()})
    assert got.shape == whole.shape and abs(got - whole).max() <= 1e-6
    with torch.no_grad():
        assert torch.allclose(torch.from_numpy(got), net(x), atol=1e-5)
    assert len(split.sessions) == threads


def test_each_worker_is_pinned_to_its_own_cpu(graph):
    """With one worker per CPU, workers on distinct CPUs of the process's set (the scheduler otherwise may wake
    both on one core); with more or fewer workers than CPUs, no pinning."""
    _, path = graph
    cpus = sorted(os.sched_getaffinity(0))
    assert pinning(len(cpus) + 1) is None and pinning(len(cpus) - 1) is None
    split = BatchSplit(lambda: session(path, threads=1), len(cpus))
    split.run({"x": torch.randn(max(SPLIT_BATCH, len(cpus)), 3, 5, 5).numpy()})
    barrier = threading.Barrier(len(cpus))  # every worker busy at once: each reports its own affinity

    def affinity() -> frozenset[int]:
        barrier.wait(timeout=30)
        return frozenset(os.sched_getaffinity(0))

    seen = {job.result() for job in [split.pool.submit(affinity) for _ in cpus]}
    assert seen == {frozenset({cpu}) for cpu in cpus}
    assert sorted(os.sched_getaffinity(0)) == cpus  # the caller's thread keeps all its CPUs


def test_the_ldm_unet_and_decoder_split_a_large_batch_exactly(exported):
    exported("fashion-ldm")
    torch_model = genvision.load("fashion-ldm", device="cpu", precision="fp32")
    onnx_model = load_onnx_split("fashion-ldm")
    b = SPLIT_BATCH
    x = torch.randn(b, *torch_model.latent_shape, generator=torch.Generator().manual_seed(0))
    t, labels = torch.arange(b) * 31, torch.arange(b) % 11  # 10 = the null class
    with torch.no_grad():
        expected = torch_model.unet(x, t, class_labels=labels)
    got = onnx_model.unet(x, t, class_labels=labels)
    assert onnx_model.unet.run.split.sessions, "the batch was not split"
    assert (got - expected).abs().max() <= 1e-4
    decoded = onnx_model.decode(x)
    assert onnx_model.autoencoder.decoder.split.sessions
    assert (decoded - torch_model.decode(x)).abs().max() <= 1e-4


@pytest.mark.parametrize("name", ["fashion-vae", "fashion-dcgan"])
def test_small_generators_split_a_large_batch_exactly(exported, name):
    """The VAE's decoder and encoder and the DCGAN generator run a batch of SPLIT_BATCH as two sessions; the
    64 samples equal the torch backend's."""
    exported(name)
    torch_model = genvision.load(name, device="cpu", precision="fp32")
    onnx_model = load_onnx_split(name)
    got, expected = onnx_model.sample(64, seed=3).images, torch_model.sample(64, seed=3).images
    assert (got - expected).abs().max() <= 1e-4
    if name == "fashion-vae":
        assert onnx_model.net.decoder.split.sessions, "the decoder batch was not split"
        x = expected[:SPLIT_BATCH]
        assert (onnx_model.encode(x) - torch_model.encode(x)).abs().max() <= 1e-4
        assert onnx_model.net.encoder.split.sessions, "the encoder batch was not split"
    else:
        assert onnx_model.generator.run.split.sessions, "the generator batch was not split"
