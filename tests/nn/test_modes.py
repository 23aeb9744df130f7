import pytest
import torch
from torch import nn

from genvision.nn.modes import evaluating


def test_evaluating_turns_dropout_off_and_restores_each_nets_mode_even_after_an_error():
    training, frozen = nn.Sequential(nn.Dropout(0.5)), nn.Sequential(nn.Dropout(0.5)).eval()
    x = torch.ones(1000)
    with evaluating(training, frozen):
        assert not training.training and not training[0].training and not frozen.training
        assert torch.equal(training(x), x)  # dropout off: the identity
    assert training.training and training[0].training and not frozen.training
    with pytest.raises(RuntimeError, match="inside"), evaluating(training):
        raise RuntimeError("inside")
    assert training.training and (training(x) == 0).any()  # dropout is back on
