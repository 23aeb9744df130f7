import torch

from genvision.diffusion.guidance import cfg_combine, classifier_free_guidance


class LabelModel:
    """out = x + label (per sample); counts forward passes."""

    def __init__(self):
        self.calls = 0

    def __call__(self, x, t, class_labels):
        self.calls += 1
        return x + class_labels.float()[:, None]


def test_guidance_combines_in_one_batched_pass():
    model = LabelModel()
    y = torch.tensor([2, 5])
    fn = classifier_free_guidance(model, {"class_labels": y}, {"class_labels": torch.full_like(y, 10)}, 3.0)
    x, t = torch.zeros(2, 4), torch.tensor([7, 7])
    out = fn(x, t)
    assert model.calls == 1
    # ε_u + s(ε_c - ε_u) with ε_u = 10, ε_c = y
    torch.testing.assert_close(out, (10 + 3.0 * (y - 10)).float()[:, None].expand(2, 4))
    torch.testing.assert_close(cfg_combine(torch.ones(1), torch.full((1,), 3.0), 0.0), torch.ones(1))


def test_scale_one_is_plain_conditional_sampling():
    model = LabelModel()
    y = torch.tensor([1])
    fn = classifier_free_guidance(model, {"class_labels": y}, {"class_labels": torch.tensor([9])}, 1.0)
    torch.testing.assert_close(fn(torch.zeros(1, 2), torch.tensor([0])), torch.ones(1, 2))
    assert model.calls == 1
