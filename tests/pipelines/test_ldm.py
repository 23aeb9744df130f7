import itertools

import pytest
import torch

from genvision.errors import GenvisionError
from genvision.pipelines.ldm import Condition
from tests.pipelines.ldm_fixtures import tiny_ldm


@pytest.mark.parametrize("classes,text,mask", list(itertools.product([False, True], repeat=3)))
def test_shapes_for_every_combination_of_conditions(classes, text, mask):
    model = tiny_ldm(classes, text, mask_parts=5 if mask else 0)
    label_map = torch.randint(0, 5, (16, 16))
    full = model.condition(class_label=1 if classes else None, prompt="here is a coat" if text else None,
                           label_map=label_map if mask else None)
    conditions = [full, Condition()]  # a conditioned and an unconditional (null) request
    images = model.sample(conditions, guidance=3.0, steps=2, seed=0)
    assert images.shape == (2, 1, 16, 16)
    assert images.min() >= -1 and images.max() <= 1 and torch.isfinite(images).all()
    latents = model.sample(conditions, guidance=3.0, steps=2, seed=0, return_latents=True)
    assert latents.shape == (2, 2, 4, 4)


def test_guidance_arithmetic_matches_separate_passes():
    model = tiny_ldm()
    conds = [model.condition(class_label="coat", prompt="a bag"), model.condition(class_label=0)]
    x, t = torch.randn(2, 2, 4, 4), torch.tensor([10, 70])
    cond_out = model.model_fn(conds, 1.0)(x, t)
    null_out = model.model_fn([Condition(), Condition()], 1.0)(x, t)
    for scale in (0.0, 3.0, 7.5):
        guided = model.model_fn(conds, scale)(x, t)
        assert torch.allclose(guided, null_out + scale * (cond_out - null_out), atol=1e-5)
    assert torch.allclose(model.model_fn(conds, 0.0)(x, t), null_out, atol=1e-5)


def test_unconditional_request_to_conditional_model_uses_null_condition():
    model = tiny_ldm(mask_parts=3)
    inputs = model.unet_inputs([Condition()])
    assert inputs.class_labels.tolist() == [3]  # the null class
    assert torch.equal(inputs.context[0], model.unet.null_context_like(1, 4)[0].detach())
    assert inputs.extra.abs().sum() == 0
    out = model.sample([Condition()], guidance=5.0, steps=2, seed=1)  # guidance without a condition: no CFG
    assert torch.equal(out, model.sample([Condition()], guidance=1.0, steps=2, seed=1))


def test_each_condition_changes_the_output():
    model = tiny_ldm(mask_parts=3)
    base = model.sample([Condition()], guidance=1.0, steps=3, seed=0, return_latents=True)
    hair = torch.zeros(16, 16, dtype=torch.long)
    hair[:8] = 2
    for cond in (Condition(class_label=2), Condition(prompt="a bag"), Condition(label_map=hair)):
        out = model.sample([cond], guidance=1.0, steps=3, seed=0, return_latents=True)
        assert not torch.allclose(out, base, atol=1e-4)


def test_per_image_seeding_is_batch_independent():
    model = tiny_ldm()
    conds = [model.condition(class_label=k % 3) for k in range(5)]
    whole = model.sample(conds, guidance=2.0, steps=2, seed=4)
    parts = model.sample(conds, guidance=2.0, steps=2, seed=4, batch_size=2)
    single = model.sample(conds[3:4], guidance=2.0, steps=2, seed=4, start_index=3)
    assert torch.allclose(whole, parts, atol=1e-5) and torch.allclose(whole[3:4], single, atol=1e-5)


def test_condition_validation():
    model = tiny_ldm(classes=False, text=False)
    with pytest.raises(GenvisionError, match="not class-conditional"):
        model.condition(class_label="coat")
    with pytest.raises(GenvisionError, match="not text-conditional"):
        model.condition(prompt="a coat")
    with pytest.raises(GenvisionError, match="no mask condition"):
        model.condition(label_map=torch.zeros(16, 16))
    with pytest.raises(GenvisionError, match="unknown class"):
        tiny_ldm().condition(class_label="hat")
    with pytest.raises(GenvisionError, match="not in"):
        tiny_ldm().unet_inputs([Condition(prompt="a prompt nobody cached")])


def test_vq_latents_are_snapped_before_decoding():
    model = tiny_ldm(variant="vq")
    z = torch.randn(2, 2, 4, 4)
    snapped = model.autoencoder.quantizer.snap(z / model.latent_scale)
    expected = model.autoencoder.decoder(model.autoencoder.post_quant_conv(snapped)).clamp(-1, 1)
    assert torch.allclose(model.decode(z), expected, atol=1e-6)
    model.decode_quantize = False
    assert not torch.allclose(model.decode(z), expected, atol=1e-4)


def test_conditions_from_request(tmp_path):
    import numpy as np
    from PIL import Image

    from genvision.pipelines.ldm import conditions_from_request

    model = tiny_ldm(mask_parts=19)
    labels = np.zeros((32, 32), np.uint8)
    labels[:16] = 13
    Image.fromarray(labels).save(tmp_path / "hair.png")
    conds = conditions_from_request(model, {"class": "bag", "prompt": "a bag", "mask": str(tmp_path / "hair.png")}, 3)
    assert len(conds) == 3 and conds[0].class_label == 2 and conds[0].prompt == "a bag"
    assert conds[0].label_map.shape == (16, 16) and (conds[0].label_map[:8] == 13).all()
    assert conditions_from_request(model, {}, 2)[0].empty
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "rgb.png")
    with pytest.raises(GenvisionError, match="single-channel"):
        conditions_from_request(model, {"mask": str(tmp_path / "rgb.png")}, 1)
    with pytest.raises(GenvisionError, match="not both"):
        conditions_from_request(model, {"mask": "a.png", "mask_from": "celebamask-hq:test:1"}, 1)
