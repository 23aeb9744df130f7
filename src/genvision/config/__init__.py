"""Typed configs: YAML presets validated against dataclass schemas, with `key.sub=value` overrides."""

from genvision.config.run import DataConfig, RunConfig, TrainConfig, read_run_config
from genvision.config.schema import from_dict, to_dict

__all__ = ["DataConfig", "RunConfig", "TrainConfig", "from_dict", "read_run_config", "to_dict"]
