"""YAML reading through libyaml's C loader when PyYAML was built with it (about five times faster on a large
codebook), with the pure-Python safe loader otherwise. Both are safe loaders: no Python objects are built.

Aliases (`&name` ... `*name`) are refused: a few hundred bytes of nested aliases expand to gigabytes when the
data is walked (the "billion laughs"), and neither front matter nor a codebook needs them.
"""

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YAMLAliasError(yaml.YAMLError):
    """The YAML uses an alias (`*name`), which casecode refuses."""

    problem = "aliases (&name / *name) are not allowed; write the values out in full"
    problem_mark = None

    def __init__(self):
        super().__init__(self.problem)


def load_yaml(text: str):
    """Parse YAML text safely; a syntax error is reported as the pure-Python loader words it (clearer marks).

    Raises YAMLAliasError (a yaml.YAMLError) when the text reuses a node through an alias.
    """
    try:
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader
    except RecursionError:
        raise yaml.YAMLError("nested too deeply; flatten the structure") from None
    except yaml.YAMLError:
        if _LOADER is yaml.SafeLoader:
            raise
        return load_yaml_plain(text)
    _refuse_shared(data)
    return data


def load_yaml_plain(text: str):
    """The pure-Python safe loader (its errors carry clearer marks)."""
    try:
        data = yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - a safe loader
    except RecursionError:
        raise yaml.YAMLError("nested too deeply; flatten the structure") from None
    _refuse_shared(data)
    return data


def _refuse_shared(data) -> None:
    """Raise YAMLAliasError if a list or mapping appears twice in `data`: only an alias makes the loader share one.

    The walk visits each distinct container once, so it is linear in the size of the text, whatever the aliases.
    """
    seen: set[int] = set()
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            children = list(item.values()) + list(item.keys())
        elif isinstance(item, list):
            children = item
        else:
            continue
        if id(item) in seen:
            raise YAMLAliasError()
        seen.add(id(item))
        stack.extend(child for child in children if isinstance(child, (dict, list)))
