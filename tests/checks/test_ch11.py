"""Each checker against its stub, its solution and known-wrong answers."""

import threading

import pytest
import redis as redis_py

from course_lib.checks.ch11 import STATES, q1, q2, q3
from course_lib.lab import nginx
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED


def upstream_block(servers, keepalive):
    lines = ["upstream api {"]
    for address, weight in servers.items():
        lines.append(f"    server {address};" if weight == 1 else f"    server {address} weight={weight};")
    lines += [f"    keepalive {keepalive};", "}"]
    return "\n".join(lines)


def test_q1_solution_stub_and_mutants():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(upstream_block).status == CORRECT
    assert q1.evaluate(lambda s, k: "# mine\n" + upstream_block(s, k).replace("\n", "  \n")).status == CORRECT

    def all_weights(servers, keepalive):
        body = "".join(f"server {a} weight={w};" for a, w in servers.items())
        return f"upstream api {{{body} keepalive {keepalive};}}"

    assert q1.evaluate(all_weights).status == CORRECT  # weight=1 said out loud is the same

    wrongs = [
        lambda s, k: upstream_block(s, k).replace("upstream api", "upstream backend"),
        lambda s, k: upstream_block(s, k).replace(" weight=", " max_fails="),
        lambda s, k: upstream_block({a: 1 for a in s}, k),
        lambda s, k: upstream_block(dict(list(s.items())[:-1]), k),
        lambda s, k: upstream_block(s, 32),
        lambda s, k: upstream_block(s, k).replace(f"    keepalive {k};\n", ""),
        lambda s, k: upstream_block(s, k).replace("upstream api {", "upstream api {\n    least_conn;"),
        lambda s, k: upstream_block(s, k).replace(";", ""),
        lambda s, k: upstream_block(s, k).removesuffix("}"),
        lambda s, k: upstream_block(s, k).replace("server ", "server", 1),
        lambda s, k: upstream_block(s, k).split("\n"),
        lambda s, k: upstream_block(s, k).replace("server", "#server", 1),
    ]
    for number, wrong in enumerate(wrongs):
        result = q1.evaluate(wrong)
        assert result.status == INCORRECT, (number, result)


@pytest.mark.skipif(nginx.find_nginx() is None, reason="nginx is not installed")
def test_q1_lets_nginx_judge_what_the_parser_accepts():
    result = q1.evaluate(lambda s, k: upstream_block(s, k).replace("keepalive", "keepalive_timeout 5s; keepalive"))
    assert result.status == CORRECT
    result = q1.evaluate(lambda s, k: upstream_block(s, k).replace("keepalive", "keepalive_timeout x; keepalive"))
    assert result.status == INCORRECT and "nginx refuses" in result.message


def test_q2_solution_stub_and_wrong_answers():
    right = {item: breaks for item, (breaks, _) in STATES.items()}
    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(dict.fromkeys(STATES)).status == NOT_ATTEMPTED
    assert q2.evaluate(right).status == CORRECT
    for item in STATES:  # every single item flipped is caught, with its reason
        result = q2.evaluate({**right, item: not right[item]})
        assert result.status == INCORRECT and item in result.message
    for wrong in (
        dict.fromkeys(STATES, True),
        dict.fromkeys(STATES, False),
        {**right, "extra": True},
        dict(list(right.items())[1:]),
        {item: int(value) for item, value in right.items()},
        list(right),
    ):
        assert q2.evaluate(wrong).status == INCORRECT, wrong


def count_visit(redis, page):
    return redis.incr(f"visits:{page}")


MEMORY: dict[str, int] = {}
LOCK = threading.Lock()


def locked_read_then_write(redis, page):
    """Safe among the threads of one process, and nothing more: replicas are processes."""
    with LOCK:
        count = int(redis.get(f"visits:{page}") or 0) + 1
        redis.set(f"visits:{page}", count)
        return count


def pipelined_read_then_write(redis, page):
    """Two pipelines: each one round trip, and another replica's write still slips between them."""
    count = int(redis.pipeline().get(f"visits:{page}").execute()[0] or 0) + 1
    redis.pipeline().set(f"visits:{page}", count).execute()
    return count


def watched(redis, page):
    """Optimistic: WATCH the key, write in MULTI/EXEC, start again when another replica wrote first."""
    key = f"visits:{page}"
    with redis.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                count = int(pipe.get(key) or 0) + 1
                pipe.multi()
                pipe.set(key, count)
                pipe.execute()
                return count
            except redis_py.WatchError:
                continue


def test_q3_replicas_are_processes_so_a_threading_lock_or_a_pipeline_does_not_pass():
    for wrong in (locked_read_then_write, pipelined_read_then_write):
        result = q3.evaluate(wrong)
        assert result.status == INCORRECT and "lost or counted twice" in result.message, (wrong, result)
    assert q3.evaluate(watched).status == CORRECT


def test_q3_says_what_failed_in_a_replica_process():
    calls = []

    def fails_under_load(redis, page):
        calls.append(page)
        if page == "/c":
            raise RuntimeError("no connection")
        return redis.incr(f"visits:{page}")

    result = q3.evaluate(fails_under_load)
    assert result.status == INCORRECT and "RuntimeError: no connection" in str(result), result


def test_q3_solution_stub_and_wrong_answers():
    assert q3.evaluate(None).status == NOT_ATTEMPTED
    assert q3.evaluate(count_visit).status == CORRECT
    assert q3.evaluate(lambda redis, page: redis.hincrby("visits", page, 1)).status == CORRECT

    def read_then_write(redis, page):
        count = int(redis.get(f"visits:{page}") or 0) + 1
        redis.set(f"visits:{page}", count)
        return count

    def in_memory(redis, page):
        MEMORY[page] = MEMORY.get(page, 0) + 1
        return MEMORY[page]

    def one_counter(redis, page):
        return redis.incr("visits")

    def as_text(redis, page):
        return str(redis.incr(f"visits:{page}"))

    def increments_then_reads(redis, page):
        redis.incr(f"visits:{page}")
        return int(redis.get(f"visits:{page}"))

    def by_two(redis, page):
        return redis.incrby(f"visits:{page}", 2)

    for wrong in (
        read_then_write,
        in_memory,
        one_counter,
        as_text,
        increments_then_reads,
        by_two,
        lambda redis, page: None,
    ):
        MEMORY.clear()
        result = q3.evaluate(wrong)
        assert result.status == INCORRECT, (wrong, result)


def test_q3_without_fork_runs_the_visits_in_threads(monkeypatch):
    monkeypatch.delattr("os.fork")  # Windows: no fork; the check still runs, in this process
    assert q3.evaluate(count_visit).status == CORRECT

    def read_then_write(redis, page):
        count = int(redis.get(f"visits:{page}") or 0) + 1
        redis.set(f"visits:{page}", count)
        return count

    assert q3.evaluate(read_then_write).status == INCORRECT
