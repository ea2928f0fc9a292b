"""CPU-bound work for the performance chapter, in a module of its own so worker processes can import it cheaply."""

import time


def count_primes(limit: int) -> int:
    """How many primes are below `limit`, by trial division: pure Python, holds the GIL the whole time."""
    count = 0
    for candidate in range(2, limit):
        divisor = 2
        while divisor * divisor <= candidate:
            if candidate % divisor == 0:
                break
            divisor += 1
        else:
            count += 1
    return count


def timed_count_primes(limit: int) -> dict[str, float]:
    """count_primes(limit), and the CPU seconds this thread spent on it (not wall time: waiting for the GIL or for a
    core costs none)."""
    started = time.thread_time()
    primes = count_primes(limit)
    return {"primes": primes, "cpu_seconds": time.thread_time() - started}
