"""Per-sample training draws (genvision.seeding.SampleRandom): Threefry-2x32-20 against the published known
answers, the distributions' moments, and sample i's draws independent of which batch or process holds it."""

import math

import pytest
import torch

from genvision.errors import GenvisionError
from genvision.nn.distributions import DiagonalGaussian
from genvision.seeding import SampleRandom, draw_integers, draw_normal, draw_uniform, stream_key, threefry2x32


@pytest.mark.parametrize(
    "key, counter, expected",
    [  # Random123's known-answer vectors for threefry2x32_20 (Salmon et al. 2011), also JAX's
        ((0x00000000, 0x00000000), (0x00000000, 0x00000000), (0x6B200159, 0x99BA4EFE)),
        ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
        ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
    ],
)
def test_threefry_matches_the_known_answers(key, counter, expected):
    x0, x1 = threefry2x32(key[0] | key[1] << 32, torch.tensor([counter[0]]), torch.tensor([counter[1]]))
    assert (x0.item(), x1.item()) == expected


def test_moments_match_the_distributions():
    rng = SampleRandom(stream_key(7, 3), torch.arange(256))
    u, z, k = rng.rand(1000), rng.randn(999), rng.randint(10, 1000)
    n = u.numel()
    # mean ± 5 standard errors: U(0,1) has variance 1/12, N(0,1) kurtosis 3
    assert abs(u.mean().item() - 0.5) < 5 * math.sqrt(1 / 12 / n) and 0 <= u.min() and u.max() < 1
    assert abs(z.mean().item()) < 5 / math.sqrt(z.numel()) and abs(z.var().item() - 1) < 0.01
    assert abs((z**4).mean().item() - 3) < 0.05 and z.shape == (256, 999)
    counts = torch.bincount(k.flatten(), minlength=10).double()
    chi2 = ((counts - n / 10) ** 2 / (n / 10)).sum().item()
    assert k.min() == 0 and k.max() == 9 and chi2 < 40  # 9 degrees of freedom: P(χ² > 40) < 1e-5
    # neighbouring samples and consecutive draws are uncorrelated
    assert abs(torch.corrcoef(z[:2])[0, 1].item()) < 0.15
    assert abs(torch.corrcoef(torch.stack([u[:, 0], rng.rand()]))[0, 1].item()) < 0.25


def test_a_sample_draws_the_same_in_any_batch_or_process():
    key = stream_key(0, 12, 1)
    whole = SampleRandom(key, torch.arange(8))
    halves = [SampleRandom(key, torch.arange(0, 4)), SampleRandom(key, torch.arange(4, 8))]
    micro = [whole.subset(0, 2), whole.subset(2, 8)]  # grad_accum micro-batches
    for draw in (lambda r: r.randn(3, 5), lambda r: r.rand(), lambda r: r.randint(1000)):
        full = draw(whole)
        assert torch.equal(full, torch.cat([draw(h) for h in halves]))
        assert torch.equal(full, torch.cat([draw(m) for m in micro]))
    # a subset taken between draws continues where the whole batch is (small draws share a block of words)
    a, b = SampleRandom(key, torch.arange(8)), SampleRandom(key, torch.arange(8))
    a.rand(3), b.rand(3)
    assert torch.equal(a.randint(50, 2)[2:5], b.subset(2, 5).randint(50, 2))
    assert torch.equal(a.randn(100)[2:5], b.subset(2, 5).randn(100))
    # another step, phase or seed gives other draws; so does the next draw of the same step
    again = SampleRandom(key, torch.arange(8))
    first = again.randn(4)
    assert not torch.equal(first, again.randn(4))
    assert not torch.equal(first, SampleRandom(stream_key(0, 13, 1), torch.arange(8)).randn(4))
    assert not torch.equal(first[1], first[0])


def test_draw_helpers_take_a_generator_or_per_sample_draws():
    gen = torch.Generator().manual_seed(3)
    expected = torch.randn((4, 2), generator=torch.Generator().manual_seed(3))
    assert torch.equal(draw_normal((4, 2), gen, "cpu"), expected)  # a generator: exactly torch's stream
    rng = SampleRandom(5, torch.arange(4))
    assert draw_uniform((4, 3), rng, "cpu").shape == (4, 3)
    assert draw_integers(7, (4,), rng, "cpu").dtype == torch.int64
    with pytest.raises(GenvisionError, match="4 per-sample draws for a batch of 5"):
        draw_normal((5, 2), rng, "cpu")


def test_a_vae_posterior_sample_is_per_sample_under_per_sample_draws():
    mean, logvar = torch.randn(6, 4), torch.randn(6, 4)
    whole = DiagonalGaussian(mean, logvar).sample(SampleRandom(11, torch.arange(6)))
    tail = DiagonalGaussian(mean[3:], logvar[3:]).sample(SampleRandom(11, torch.arange(3, 6)))
    assert torch.equal(whole[3:], tail) and not torch.equal(whole, mean)
    gen = torch.Generator().manual_seed(0)  # a generator: the stream as before
    expected = mean + torch.exp(0.5 * logvar) * torch.randn(6, 4, generator=torch.Generator().manual_seed(0))
    assert torch.equal(DiagonalGaussian(mean, logvar).sample(gen), expected)
