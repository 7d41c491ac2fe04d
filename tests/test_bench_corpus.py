"""The benchmark's corpus builder: varied names keep each transcript's interviewer findable."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import corpus_builder  # noqa: E402

FRONT = "---\ncase: Oldtown County Council\ninterviewee: Bethan Crewe\ninterviewer: {who}\n---\n\n"


def test_a_surname_label_in_capitals_follows_the_new_interviewer_name():
    text = FRONT.format(who="Joanne Halloran") + "HALLORAN: Who are you?\n\nBethan Crewe: Head of Oldtown's HR.\n"
    out = corpus_builder.varied(text, "Newplace", [("Ann", "Lee"), ("Ruth", "Marsh")])
    assert "interviewer: Ruth Marsh" in out
    assert "MARSH: Who are you?" in out and "HALLORAN" not in out
    assert "Ann Lee: Head of Newplace's HR." in out


def test_numbered_speaker_labels_are_left_alone():
    text = FRONT.format(who="Speaker 1") + "Speaker 1: Question 1 of 2?\n\nSpeaker 2: We did 1 thing.\n"
    out = corpus_builder.varied(text, "Newplace", [("Ann", "Lee"), ("Ruth", "Marsh")])
    assert "interviewer: Speaker 1" in out
    assert "Speaker 1: Question 1 of 2?" in out and "We did 1 thing." in out
