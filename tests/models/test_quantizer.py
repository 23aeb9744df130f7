"""Nearest-code quantiser: chunked distances, straight-through gradient, EMA update, dead-code restart."""

import math

import torch

from genvision.models.quantizer import VectorQuantizer, code_statistics, nearest_code


def test_chunked_distances_match_brute_force_on_8192_codes():
    gen = torch.Generator().manual_seed(0)
    codebook = torch.randn(8192, 3, generator=gen)
    flat = torch.randn(300, 3, generator=gen)
    expected = torch.cdist(flat, codebook).argmin(1)
    assert torch.equal(nearest_code(flat, codebook, chunk_rows=7), expected)
    assert torch.equal(nearest_code(flat, codebook), expected)


def test_quantised_values_are_the_nearest_codes_and_gradient_is_straight_through():
    vq = VectorQuantizer(num_codes=4, code_dim=2)
    with torch.no_grad():
        vq.codebook.copy_(torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]))
    z_e = torch.tensor([[0.9, 0.2], [0.1, 0.8], [0.6, 0.7]]).view(3, 2, 1, 1).requires_grad_(True)
    out = vq.eval()(z_e)
    assert out.indices.flatten().tolist() == [1, 2, 3]
    assert torch.allclose(out.z_q.detach(), vq.codebook[[1, 2, 3]].view(3, 2, 1, 1), atol=1e-6)
    weights = torch.randn(3, 2, 1, 1)
    (out.z_q * weights).sum().backward()
    assert torch.equal(z_e.grad, weights)  # ∂L/∂z_e := ∂L/∂z_q
    assert vq.codebook.grad is None  # the codebook learns only through the codebook loss on `codes`
    out.codes.sum().backward()
    assert vq.codebook.grad[[1, 2, 3]].eq(1).all() and vq.codebook.grad[0].eq(0).all()


def test_ema_update_follows_the_closed_form_with_laplace_smoothing():
    decay, eps = 0.9, 1e-5
    vq = VectorQuantizer(num_codes=3, code_dim=2, ema=True, decay=decay, eps=eps)
    start = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    vq.codebook.copy_(start)
    vq.embed_sum.copy_(start)
    vq.cluster_size.fill_(1.0)
    z = torch.tensor([[1.0, 0.0], [0.0, 1.0], [9.0, 1.0]])  # → codes 0, 0, 1
    vq.train()(z.view(3, 2, 1, 1))
    n = torch.tensor([2.0, 1.0, 0.0])
    sums = torch.tensor([[1.0, 1.0], [9.0, 1.0], [0.0, 0.0]])
    N = decay * 1.0 + (1 - decay) * n
    m = decay * start + (1 - decay) * sums
    smoothed = (N + eps) / (N.sum() + 3 * eps) * N.sum()
    assert torch.allclose(vq.cluster_size, N)
    assert torch.allclose(vq.codebook, m / smoothed[:, None], atol=1e-6)


def test_dead_codes_restart_from_encoder_outputs():
    vq = VectorQuantizer(num_codes=16, code_dim=2, dead_threshold=0.5, restart_every=1, decay=0.0)
    with torch.no_grad():
        vq.codebook.zero_()
        vq.codebook[0] = torch.tensor([5.0, 5.0])
    z = torch.randn(32, 2, generator=torch.Generator().manual_seed(3)) + 5.0
    vq.train()(z.view(32, 2, 1, 1), gen=torch.Generator().manual_seed(4))
    # with decay 0 the counts are the batch counts: only code 0 is alive, the other 15 were restarted
    rows = vq.codebook[1:]
    matches = (rows[:, None, :] == z[None]).all(-1).any(-1)
    assert matches.all()
    assert torch.equal(vq.codebook[0], torch.tensor([5.0, 5.0]))
    assert (vq.cluster_size[1:] >= 0.5).all()
    out = vq(z.view(32, 2, 1, 1))  # the batch now spreads over more than one code
    assert out.usage.item() > 1 / 16


def test_perplexity_and_usage():
    perplexity, usage = code_statistics(torch.tensor([0, 1, 2, 3, 0, 1, 2, 3]), num_codes=8)
    assert math.isclose(perplexity.item(), 4.0, rel_tol=1e-6) and usage.item() == 0.5
    perplexity, usage = code_statistics(torch.tensor([5, 5, 5]), num_codes=8)
    assert math.isclose(perplexity.item(), 1.0, rel_tol=1e-6) and usage.item() == 1 / 8


def test_snap_and_lookup_touch_no_statistics():
    vq = VectorQuantizer(num_codes=8, code_dim=3, ema=True).train()
    z = torch.randn(2, 3, 4, 4)
    before = vq.cluster_size.clone()
    snapped = vq.snap(z)
    assert torch.equal(vq.cluster_size, before)
    idx = nearest_code(z.movedim(1, -1).reshape(-1, 3), vq.codebook).view(2, 4, 4)
    assert torch.allclose(snapped, vq.lookup(idx), atol=1e-6)


def test_ema_codes_unused_in_the_first_batches_keep_their_initial_values():
    """N_j = 1, m_j = e_j at the start: an unchosen code stays put (it used to jump to ~γ e_j / ε, magnitude ~400)."""
    torch.manual_seed(0)
    decay, steps = 0.99, 5
    vq = VectorQuantizer(num_codes=64, code_dim=4, ema=True, decay=decay).train()
    assert torch.equal(vq.cluster_size, torch.ones(64)) and torch.equal(vq.embed_sum, vq.codebook)
    centres = torch.eye(4)[
        :3
    ]  # three far-apart codes that the batch uses; the other 61 stay small and unused
    vq.codebook[:3] = centres
    vq.embed_sum[:3] = centres
    start = vq.codebook.clone()
    z = centres.repeat(50, 1) + 0.1 * torch.randn(150, 4, generator=torch.Generator().manual_seed(1))
    for _ in range(steps):
        out = vq(z.view(150, 4, 1, 1))
        assert sorted(set(out.indices.flatten().tolist())) == [0, 1, 2]
    assert vq.codebook[3:].abs().max() <= start[3:].abs().max() * 1.0001  # unused codes keep sane magnitudes
    assert torch.allclose(vq.codebook[3:], start[3:], rtol=1e-4, atol=1e-9)
    # the used codes follow e_j = m_j / N_j with m_j = γᵗ e_j + (1 − γᵗ) Σz, N_j = γᵗ + (1 − γᵗ) n_j (ε negligible)
    g = decay**steps
    for j in range(3):
        chosen = z[out.indices.flatten() == j]
        expected = (g * centres[j] + (1 - g) * chosen.sum(0)) / (g + (1 - g) * len(chosen))
        assert torch.allclose(vq.codebook[j], expected, rtol=1e-4, atol=1e-6)
