"""CPU-bound work for the performance chapter, in a module of its own so worker processes can import it cheaply."""


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
