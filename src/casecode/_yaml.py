"""YAML reading through libyaml's C loader when PyYAML was built with it (about five times faster on a large
codebook), with the pure-Python safe loader otherwise. Both are safe loaders: no Python objects are built."""

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str):
    """Parse YAML text safely; a syntax error is reported as the pure-Python loader words it (clearer marks)."""
    try:
        return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        if _LOADER is yaml.SafeLoader:
            raise
        return yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - raises the same error, worded clearly
