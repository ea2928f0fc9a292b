"""Reading which names a learner's function calls."""

import hmac

from course_lib.notebook.source_rules import called_names, misses_call


def constant_time(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def plain_equals(a: bytes, b: bytes) -> bool:
    return a == b


def test_a_call_through_a_module_or_by_name_counts():
    from hmac import compare_digest

    def by_name(a, b):
        return compare_digest(a, b)

    assert "compare_digest" in called_names(constant_time)
    assert "compare_digest" in called_names(by_name)


def test_a_function_that_never_calls_it_misses_it():
    assert misses_call(plain_equals, "compare_digest")
    assert not misses_call(constant_time, "compare_digest")


def test_without_source_or_code_nothing_is_claimed():
    assert called_names(len) is None
    assert not misses_call(len, "compare_digest")


def explicit_everywhere(x):
    if x > 0:
        return "positive"
    elif x < 0:
        return None
    else:
        raise ValueError(x)


def falls_off(x):
    if x > 0:
        return "positive"


def guarded(x):
    try:
        return int(x)
    except ValueError:
        return None


def test_a_function_that_returns_on_every_path_does_not_end_without_return():
    from course_lib.notebook.source_rules import may_end_without_return

    assert not may_end_without_return(explicit_everywhere)
    assert not may_end_without_return(guarded)
    assert not may_end_without_return(constant_time)
    assert may_end_without_return(falls_off)
    assert may_end_without_return(len)  # no source: assume it may


def test_without_source_the_compiled_names_stand_in():
    namespace: dict = {}
    exec(
        "import hmac\ndef made_by_exec(a, b):\n    return hmac.compare_digest(a, b)\n"
        "def equals(a, b):\n    return a == b\n",
        namespace,
    )
    assert not misses_call(namespace["made_by_exec"], "compare_digest")
    assert misses_call(namespace["equals"], "compare_digest")
