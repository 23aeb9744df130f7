"""`genvision.load`'s typed overloads name every shipped bundle under the class it really returns."""

import typing

from genvision import generators
from genvision.models.bundle import load_bundle, shipped_bundles

TYPED = {
    generators.DiffusionName: generators.DiffusionModel,
    generators.AutoencoderName: generators.Autoencoder,
    generators.GANName: generators.GAN,
    typing.Literal["fashion-stylegan"]: generators.StyleGAN,
    generators.ClassifierName: generators.Classifier,
}


def test_overload_names_are_the_shipped_bundles_by_kind():
    named = {name: cls for literal, cls in TYPED.items() for name in typing.get_args(literal)}
    shipped = {name: load_bundle(name).kind for name in shipped_bundles()}
    assert set(named) == set(shipped)
    loaders = {kind: generators.LOADERS[kind] for kind in shipped.values()}
    returns = {
        generators.load_diffusion: generators.DiffusionModel,
        generators.load_autoencoder: generators.Autoencoder,
        generators.load_gan: generators.GAN,
        generators.load_stylegan: generators.StyleGAN,
        generators.load_classifier: generators.Classifier,
    }
    assert {name: returns[loaders[kind]] for name, kind in shipped.items()} == named
