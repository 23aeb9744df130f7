"""Networks. Each class is registered by name (see registry) so bundles can rebuild it."""
from genvision.models.registry import build_model, register_model

__all__ = ["build_model", "register_model"]
