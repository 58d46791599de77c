"""GAN families, each in its own module, all behind the GanFamily contract."""
from __future__ import annotations

from trainers.errors import UserFacingError

FAMILIES = {
    "infogan": ("trainers.families.infogan", "InfoGan"),
    "stackedgan": ("trainers.families.stackedgan", "StackedGan"),
}


def family_class(name: str):
    """The GanFamily subclass for a name; imported lazily because TensorFlow is slow to import."""
    if name not in FAMILIES:
        raise UserFacingError(f"Unknown model '{name}'; choose one of: {', '.join(FAMILIES)}.")
    import importlib

    module_name, class_name = FAMILIES[name]
    return getattr(importlib.import_module(module_name), class_name)
