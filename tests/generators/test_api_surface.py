"""The diffusers-level API on tiny models: the seed / generator / latents rules, per-image and negative prompts,
`.to`, `save` for every kind, one `interpolate` signature, the inversion file's trajectory layout."""

import inspect
import json

import pytest
import torch

import genvision
from genvision.errors import GenvisionError
from genvision.generators import GAN, Autoencoder, StyleGAN
from genvision.generators.diffusion_results import DiffusionInversion
from genvision.io.tensorfile import save_tensors
from genvision.seeding import PerImageRNG, image_seed
from tests.generators.fixtures import PROMPTS, tiny_ldm, tiny_pixel_ddpm

STOCHASTIC = dict(sampler="ddim", steps=3, eta=1.0)  # draws noise at every step, so every stream matters


@pytest.fixture(scope="module")
def ddpm():
    return tiny_pixel_ddpm()


@pytest.fixture(scope="module")
def ldm():
    return tiny_ldm(classes=True, text=True)


def test_a_list_of_generators_is_the_seed_rule_with_your_generators(ddpm):
    mine = [torch.Generator().manual_seed(image_seed(4, k)) for k in range(3)]
    by_list = ddpm.sample(3, generator=mine, batch_size=2, **STOCHASTIC).images
    seeded = ddpm.sample(3, seed=4, batch_size=3, **STOCHASTIC).images
    torch.testing.assert_close(by_list, seeded, rtol=0, atol=1e-6)  # batch size: float round-off only


def test_one_generator_draws_all_initial_noise_first(ddpm):
    """Deterministic DDIM: the images are a function of x_T alone, and x_T = randn([N, *shape], generator=g)."""
    g = torch.Generator().manual_seed(11)
    by_generator = ddpm.sample(3, generator=g, sampler="ddim", steps=3, batch_size=2).images
    x_T = torch.randn((3, 1, 8, 8), generator=torch.Generator().manual_seed(11))
    assert torch.equal(by_generator, ddpm.sample(3, latents=x_T, sampler="ddim", steps=3).images)
    seeded = PerImageRNG(2, range(3)).randn(1, 8, 8)  # given latents equal to the seed rule's draw
    assert torch.equal(
        ddpm.sample(3, latents=seeded, sampler="ddim", steps=3).images,
        ddpm.sample(3, seed=2, sampler="ddim", steps=3).images,
    )


@pytest.mark.parametrize(
    "options,message",
    [
        (dict(generator="7"), "torch.Generator"),
        (dict(generator=[torch.Generator()]), "1 generators for 2 images"),
        (dict(seed=1, generator=torch.Generator()), "not both"),
        (dict(latents=torch.zeros(2, 1, 4, 4)), r"latents must be \[2, 1, 8, 8\]"),
        (dict(latents=torch.zeros(2, 1, 8, 8, dtype=torch.int64)), "float"),
        (dict(latents=torch.full((2, 1, 8, 8), float("nan"))), "NaN"),
        (dict(seed=1.5), "seed must be an integer"),
    ],
)
def test_bad_randomness_is_one_line(ddpm, options, message):
    with pytest.raises(GenvisionError, match=message) as err:
        ddpm.sample(2, steps=2, **options)
    assert "\n" not in str(err.value)


def test_per_image_prompts_and_labels_equal_one_at_a_time(ldm):
    opts = dict(sampler="ddim", steps=3, grounding=0, guidance=2.0)
    both = ldm.sample(2, prompt=PROMPTS[:2], label=["coat", 2], **opts).images
    first = ldm.sample(1, prompt=PROMPTS[0], label="coat", **opts).images
    second = ldm.sample(1, prompt=PROMPTS[1], label=2, start=1, **opts).images
    torch.testing.assert_close(both, torch.cat([first, second]), rtol=0, atol=1e-5)
    with pytest.raises(GenvisionError, match="3 prompts for 2 images"):
        ldm.sample(2, prompt=PROMPTS, **opts)


def test_negative_prompt_takes_the_null_branchs_place(ldm):
    """ε̃ = ε(neg) + s (ε(c) − ε(neg)): s = 0 samples the negative prompt itself, s = 1 ignores it."""
    opts = dict(sampler="ddim", steps=3, grounding=0, seed=3)
    plain = ldm.sample(2, prompt=PROMPTS[0], guidance=1.0, **opts).images
    s1 = ldm.sample(2, prompt=PROMPTS[0], negative_prompt=PROMPTS[2], guidance=1.0, **opts).images
    torch.testing.assert_close(s1, plain, rtol=0, atol=1e-5)
    s0 = ldm.sample(2, prompt=PROMPTS[0], negative_prompt=PROMPTS[2], guidance=0.0, **opts).images
    torch.testing.assert_close(
        s0, ldm.sample(2, prompt=PROMPTS[2], guidance=1.0, **opts).images, rtol=0, atol=1e-5
    )
    guided = ldm.sample(2, prompt=PROMPTS[0], negative_prompt=PROMPTS[2], guidance=3.0, **opts)
    null = ldm.sample(2, prompt=PROMPTS[0], guidance=3.0, **opts)
    assert (guided.images - null.images).abs().max() > 1e-3 and guided.info["negative_prompt"]
    with pytest.raises(GenvisionError, match="not text-conditional"):
        tiny_ldm(text=False).sample(1, negative_prompt="a bag", grounding=0)


def test_inpainting_takes_generators_and_per_image_prompts(ldm):
    x = torch.rand(2, 1, 16, 16, generator=torch.Generator().manual_seed(0)) * 2 - 1
    fill = torch.zeros(1, 16, 16)
    fill[:, 4:12, 4:12] = 1
    gens = [torch.Generator().manual_seed(k) for k in range(2)]
    a = ldm.inpaint(x, fill, generator=gens, prompt=PROMPTS[:2], steps=3, trajectory=3)
    gens = [torch.Generator().manual_seed(k) for k in range(2)]
    b = ldm.inpaint(x, fill, generator=gens, prompt=PROMPTS[:2], steps=3, batch_size=1)
    # another batch size changes only float round-off
    torch.testing.assert_close(a.composite, b.composite, rtol=0, atol=1e-5)
    assert a.trajectory.shape == (2, 3, 1, 16, 16) and b.trajectory is None
    torch.testing.assert_close(a.trajectory[:, -1], a.inpainted)


def test_to_sets_the_compute_dtype_as_precision_does(ddpm):
    assert ddpm.to("cpu") is ddpm and ddpm.device == torch.device("cpu")
    try:
        assert ddpm.to(dtype=torch.bfloat16).autocast_dtype == torch.bfloat16
        assert ddpm.sample(1, steps=2).info["precision"] == "bfloat16"
        assert next(ddpm.unet.parameters()).dtype == torch.float32  # fp32 master weights, as precision="bf16"
    finally:
        ddpm.to(dtype=torch.float32)
    assert ddpm.autocast_dtype is None and ddpm.to(dtype="bf16").autocast_dtype == torch.bfloat16
    ddpm.to(dtype="fp32")
    with pytest.raises(GenvisionError, match="torch.float32 or torch.bfloat16"):
        ddpm.to(dtype=torch.int8)
    with pytest.raises(GenvisionError, match="unknown device"):
        ddpm.to("gpu7")


@pytest.mark.parametrize("name", ["fashion-vae", "fashion-classifier", "fashion-ddpm", "fashion-stylegan"])
def test_every_kind_saves_and_loads_to_the_same_outputs(name, tmp_path):
    model = genvision.load(name, device="cpu")
    again = genvision.load(model.save(tmp_path / name))
    if name == "fashion-classifier":
        x = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
        assert torch.equal(again.features(x), model.features(x))
    else:
        options = dict(steps=2) if name == "fashion-ddpm" else {}
        assert torch.equal(
            again.sample(2, seed=1, **options).images, model.sample(2, seed=1, **options).images
        )
    written = json.loads((tmp_path / name / "config.json").read_text())
    assert written["kind"] == model.kind and sorted(written["components"]) == sorted(model.spec.components)
    model.save(tmp_path / name)  # over a bundle: replaced, not refused


def test_an_in_memory_gan_saves(tmp_path):
    trained = genvision.load("fashion-dcgan").generator
    model = GAN.wrap(trained, "dcgan", z_dim=trained.z_dim, shape=(1, 28, 28))
    again = genvision.load(model.save(tmp_path / "g"))
    assert torch.equal(again.sample(2, seed=0).images, model.sample(2, seed=0).images)


def test_one_interpolate_signature():
    shared = ["a", "b", "steps", "method", "seed", "label"]
    for cls in (GAN, StyleGAN, Autoencoder):
        params = list(inspect.signature(cls.interpolate).parameters)[1:]
        assert params[: len(shared)] == shared, cls
    vae = genvision.load("fashion-vae")
    path = vae.interpolate(steps=4, seed=3).images  # no ends: prior samples 0 and 1 of the seed
    assert path.shape == (4, 1, 28, 28)
    ends = vae.sample(2, seed=3).images
    torch.testing.assert_close(path[[0, -1]], ends, rtol=0, atol=1e-5)


def test_inversion_files_of_the_old_layout_still_load(tmp_path):
    trajectory = torch.randn(2, 5, 4, 7, 7)  # [N, levels, ...]
    inv = DiffusionInversion(
        trajectory, torch.zeros(2, 1, 28, 28), torch.zeros(2, 1, 28, 28), [], "ddim", 4, "trailing", 1.0
    )
    assert torch.equal(DiffusionInversion.load(inv.save(tmp_path / "new.safetensors")).trajectory, trajectory)
    meta = {"method": "ddim", "steps": 4, "spacing": "trailing", "guidance": 1.0, "conditions": []}
    old = {
        "trajectory": trajectory.transpose(0, 1).contiguous(),
        "original": inv.original,
        "images": inv.images,
    }
    save_tensors(tmp_path / "old.safetensors", old, {"genvision": json.dumps(meta)})
    loaded = DiffusionInversion.load(tmp_path / "old.safetensors")
    assert torch.equal(loaded.trajectory, trajectory) and len(loaded) == 2
