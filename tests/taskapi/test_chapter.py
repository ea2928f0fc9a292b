"""The chapter contract: each chapter module declares CHAPTER; a misspelt hook fails at import, not silently."""

import pytest

from course_lib.taskapi import chapter_modules
from course_lib.taskapi.chapter import Chapter


def test_a_misspelt_hook_is_an_error():
    with pytest.raises(TypeError, match="swap_seam"):
        Chapter("course_lib.taskapi.ch98_typo", previous=None, swap_seam=lambda seams: seams)  # type: ignore[call-arg]


def test_the_hooks_are_named_never_positional():
    with pytest.raises(TypeError):
        Chapter("course_lib.taskapi.ch98_typo", None)  # type: ignore[misc]


def test_every_chapter_module_declares_its_chapter_after_the_previous_one():
    modules = chapter_modules()
    numbers = list(modules)
    for before, number in zip([None, *numbers], numbers, strict=False):
        declared = modules[number].CHAPTER
        assert declared.module == modules[number].__name__ and declared.number == number
        assert declared.previous is (None if before is None else modules[before].CHAPTER)


def test_the_lineage_runs_from_the_first_chapter():
    latest = chapter_modules()[max(chapter_modules())].CHAPTER
    assert [each.number for each in latest.lineage()] == list(chapter_modules())


def test_a_chapter_module_that_declares_no_hook_adds_nothing():
    bare = Chapter("course_lib.taskapi.ch98_bare", previous=chapter_modules()[0].CHAPTER)
    assert bare.seams() == chapter_modules()[0].CHAPTER.seams()
