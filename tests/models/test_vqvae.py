"""VQ-VAE: 28x28 → 7x7 codes, decode paths agree, training lowers the loss and uses the codebook, round-trip."""

import torch

from genvision.losses.vq import vq_loss
from genvision.models.bundle import load_bundle, save_bundle
from genvision.models.vqvae import VQVAE


def _tiny(**kw):
    return VQVAE(hidden=16, res_blocks=1, res_hidden=8, code_dim=4, num_codes=16, **kw)


def test_shapes_and_decode_paths_agree():
    model = _tiny().eval()
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    out = model(x)
    assert out.z_e.shape == (2, 4, 7, 7) and out.quantized.indices.shape == (2, 7, 7)
    assert out.recon.shape == x.shape and model.latent_shape == [4, 7, 7]
    assert torch.allclose(model.decode(out.z_e), out.recon, atol=1e-5)
    assert torch.allclose(model.decode_indices(out.quantized.indices), out.recon, atol=1e-5)


def test_training_lowers_the_loss_and_spreads_codes():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    x = -torch.ones(8, 1, 28, 28)
    for i in range(8):  # bars at different positions
        x[i, :, 3 * i : 3 * i + 5, :] = 1.0
    model = _tiny(ema=True, dead_threshold=0.5, restart_every=5)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)

    def step():
        out = model(x, gen)
        return ((out.recon - x) ** 2).mean() + vq_loss(
            out.z_e, out.quantized.codes, 0.25, ema_codebook=True
        ), out

    first, _ = step()
    for _ in range(30):
        opt.zero_grad()
        loss, out = step()
        loss.backward()
        opt.step()
    last, out = step()
    assert last.item() < 0.5 * first.item()
    assert out.quantized.perplexity.item() > 2.0  # restarts keep more than a couple of codes alive


def test_bundle_round_trip_keeps_the_codebook(tmp_path):
    model = _tiny(ema=True)
    model.train()(torch.randn(4, 1, 28, 28))  # move EMA buffers away from their init
    model.eval()
    save_bundle(tmp_path / "b", "vqvae", {"vqvae": model}, {"latent_shape": model.latent_shape})
    loaded = load_bundle(tmp_path / "b", kinds=("vqvae",)).component("vqvae")
    assert torch.equal(loaded.quantizer.codebook, model.quantizer.codebook)
    x = torch.rand(2, 1, 28, 28) * 2 - 1
    assert torch.allclose(loaded(x).recon, model(x).recon, atol=1e-5)
