"""Readers' fast paths give what the general path gives: simple front matter as YAML reads it, and whether a
transcript holds a time as the regex it replaced says."""

import random
import re

import pytest

from casecode._yaml import load_yaml
from casecode.corpus._stamped import _has_time
from casecode.corpus._text import _plain_value, _simple_front_matter, split_front_matter

_KEYS = ["case", "date", "on", "yes", "x_1", "Null", "role"]
_VALUES = ["true", "True", "no", "OFF", "null", "~", "", "2026-03-12", "2026-02-30", "2026-3-12", "12", "0123",
           "Ann Lee", "O'Brien, Jo", "a: b", "x #c", "St. Mary (Ward)", "y", "a  b ", "é", "1.5", "e5", "-a",
           "a - b", "&x", "a & b", ".inf", "a/b;c"]


def _yaml_metadata(block: str):
    data = load_yaml(block) or {}
    return {str(key).strip(): _plain_value(value) for key, value in data.items()}


def test_simple_front_matter_reads_as_yaml_does():
    rng = random.Random(14)
    taken = 0
    for _ in range(3000):
        count = rng.randint(1, 4)
        lines = [f"{rng.choice(_KEYS)}:{' ' * rng.randint(0, 2)}{rng.choice(_VALUES)}" for _ in range(count)]
        block = "\n".join(lines) + "\n"
        fast = _simple_front_matter(block)
        if fast is not None:
            taken += 1
            assert fast == _yaml_metadata(block), block
    assert taken > 100  # the fast path is taken for many of them


@pytest.mark.parametrize("block", ["case: Ann\n  continued\n", "case:Ann\n", "case: Ann # note\n", "on: x\n",
                                   "date: 2026-02-30\n", "n: 0123\n", "case: Zoë\n", "\ncase: Ann\n"])
def test_simple_front_matter_leaves_the_rest_to_yaml(block):
    assert _simple_front_matter(block) is None


def test_split_front_matter_of_a_transcript():
    text = ("---\ncase: Ashton Borough Council\nrole: Service Manager, Waste and Street Scene\ndate: 2026-03-12\n"
            "fictional: true\n---\n\nAnn: We did.\n")
    metadata, body = split_front_matter(text, "a.txt")
    assert metadata == {"case": "Ashton Borough Council", "role": "Service Manager, Waste and Street Scene",
                        "date": "2026-03-12", "fictional": True}
    assert text[body:] == "\nAnn: We did.\n"


def test_has_time_equals_the_regex():
    regex = re.compile(r"\d:\d\d|\d[ \t\u00a0]*-->")
    rng = random.Random(14)
    alphabet = ["1", "٣", ":", " ", "\t", "\u00a0", "-", ">", "a", "\n", "²"]
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert _has_time(text) == (regex.search(text) is not None), repr(text)
