"""Codebooks: the codes, their definitions and the patterns the rule coder matches."""

from ._model import Code, Codebook, Pattern, codebook_from_dict, read_codebook, write_codebook

__all__ = ["Code", "Codebook", "Pattern", "codebook_from_dict", "read_codebook", "write_codebook"]
