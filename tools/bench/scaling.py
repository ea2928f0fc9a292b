"""Scaling: 1 vs 2 vs 3 replicas of the task API behind nginx (or the course's proxy), the same load on each."""

from __future__ import annotations

from tools.bench.core import Context, Goal, Skip, benchmark, measured

USERS, SECONDS, TASKS = 16, 2.0, 20


@benchmark("scaling", "2 replicas behind nginx", "3 replicas behind nginx")
def scaling(context: Context):
    """Throughput of GET /tasks (API key, 20 tasks) through the balancer with 2 and 3 replicas vs with one."""
    import httpx

    from course_lib.lab import nginx
    from course_lib.lab.balancer import load_balancer
    from course_lib.lab.load import measure
    from course_lib.lab.replicas import shared_backends, start_replicas

    if not nginx.find_nginx():
        raise Skip("nginx is not installed (apt-get install nginx); the course's proxy is no fair balancer")
    backends = shared_backends()
    replicas = start_replicas(3, backends)
    fronts = {count: load_balancer(replicas.urls[:count]) for count in (1, 2, 3)}
    try:
        with httpx.Client(base_url=fronts[3].url, timeout=30) as client:
            user = client.post(
                "/users", json={"name": "Bench", "email": "bench@example.org", "password": "violet harbor lantern 42"}
            )
            if user.status_code != 201:
                raise RuntimeError(f"sign-up through the balancer: {user.status_code} {user.text[:300]}")
            key = {"X-API-Key": user.json()["api_key"]}
            for number in range(TASKS):
                client.post("/tasks", json={"title": f"task {number}"}, headers=key)
        runs: dict[int, list[float]] = {1: [], 2: [], 3: []}
        for _ in range(max(1, min(3, context.repeats))):  # 3 rounds: each is 3 load runs
            for count in (1, 2, 3):
                result = measure(f"{fronts[count].url}/tasks", users=USERS, seconds=SECONDS, headers=key)
                if result.failures:
                    raise RuntimeError(f"{result.failures} of {result.requests} requests failed with {count} replicas")
                runs[count].append(result.throughput)
    finally:
        for front in fronts.values():
            front.stop()
        replicas.stop()
        backends.stop()
    for count, goal in ((2, Goal(">=", 1.4)), (3, None)):
        yield measured(
            f"{count} replicas behind nginx",
            runs[count],
            runs[1],
            unit="req/s",
            baseline_name="1 replica",
            goal=goal,
            note=f"{USERS} users, {SECONDS:g} s per run, GET /tasks with an API key; the load "
            "generator and the replicas share this machine's cores",
        )
