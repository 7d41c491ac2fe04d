"""Studies composed from the rooms upstream: the 2015 reproduction and the replication recipe."""

from ._paths import study_paths
from .solace2015 import Reproduction, load_study, reproduce

__all__ = ["Reproduction", "load_study", "reproduce", "study_paths"]
