"""Each checker against its stub, its solution and known-wrong answers."""

import hashlib

from course_lib.checks.ch16 import q1, q2, q3, q4
from course_lib.notebook.exercises import CORRECT, INCORRECT, NOT_ATTEMPTED


def list_key(user_id, generation, page, limit):
    return f"tasks:{user_id}:{generation}:{page}:{limit}"


def test_q1_solution_stub_and_wrong_keys():
    assert q1.evaluate(None).status == NOT_ATTEMPTED
    assert q1.evaluate(list_key).status == CORRECT
    wrong = [
        lambda user_id, generation, page, limit: f"tasks:{generation}:{page}:{limit}",  # shared between users
        lambda user_id, generation, page, limit: f"tasks:{user_id}:{page}:{limit}",  # survives a write
        lambda user_id, generation, page, limit: f"tasks:{user_id}:{generation}:{limit}",
        lambda user_id, generation, page, limit: f"tasks:{user_id}:{generation}:{page}",
        lambda user_id, generation, page, limit: f"tasks:{user_id}{generation}:{page}:{limit}",  # 1|12 vs 11|2
        lambda user_id, generation, page, limit: f"tasks:{user_id + generation}:{page}:{limit}",
        lambda user_id, generation, page, limit: (user_id, generation, page, limit),
        lambda user_id, generation, page, limit: "",
        lambda user_id, generation, page, limit: 1 / 0,
        # the same in one process, different in the next (hash() of a str is salted per process)
        lambda user_id, generation, page, limit: f"tasks:{hash(f'{user_id}:{generation}:{page}:{limit}')}",
        lambda user_id, generation, page, limit: f"tasks:{hash(('tasks', user_id, generation, page, limit))}",
        lambda user_id, generation, page, limit: f"tasks:{user_id}:{hash(str(generation))}:{page}:{limit}",
    ]
    for answer in wrong:
        assert q1.evaluate(answer).status == INCORRECT, answer
    salted = q1.evaluate(wrong[-1])
    assert "salted per process" in "\n".join(salted.lines())


def test_q1_a_digest_from_hashlib_is_correct_in_every_process():
    def digest_key(user_id, generation, page, limit):
        return "tasks:" + hashlib.sha256(f"{user_id}:{generation}:{page}:{limit}".encode()).hexdigest()

    assert q1.evaluate(digest_key).status == CORRECT


def stale_keys(task_id, owner_id, cached):
    return {
        key
        for key in cached
        if key.split(":") == ["task", str(task_id)]
        or key.split(":")[:2] in (["tasks", f"user={owner_id}"], ["tasks", "all"])
    }


def test_q2_solution_stub_and_wrong_sets():
    assert q2.evaluate(None).status == NOT_ATTEMPTED
    assert q2.evaluate(stale_keys).status == CORRECT

    def only_the_task(task_id, owner_id, cached):
        return {f"task:{task_id}"}

    def forgets_all_list(task_id, owner_id, cached):
        return {k for k in stale_keys(task_id, owner_id, cached) if "all" not in k}

    def first_pages_only(task_id, owner_id, cached):
        return {k for k in stale_keys(task_id, owner_id, cached) if "page=" not in k or k.endswith("page=1")}

    def prefixes(task_id, owner_id, cached):
        return {k for k in cached if k.startswith((f"task:{task_id}", f"tasks:user={owner_id}", "tasks:all"))}

    def everything(task_id, owner_id, cached):
        return set(cached)

    def invents_keys(task_id, owner_id, cached):
        return stale_keys(task_id, owner_id, cached) | {f"tasks:user={owner_id}:page=9"}

    for answer in (
        only_the_task,
        forgets_all_list,
        first_pages_only,
        prefixes,
        everything,
        invents_keys,
        lambda task_id, owner_id, cached: None,
        lambda task_id, owner_id, cached: set(),
    ):
        assert q2.evaluate(answer).status == INCORRECT, answer


def save_title(db, cache, task_id, title):
    db.update(task_id, title)
    db.commit()
    cache.delete(f"task:{task_id}")


def test_q3_solution_stub_and_wrong_orders():
    assert q3.evaluate(None).status == NOT_ATTEMPTED
    assert q3.evaluate(save_title).status == CORRECT

    def invalidate_then_commit(db, cache, task_id, title):
        cache.delete(f"task:{task_id}")
        db.update(task_id, title)
        db.commit()

    def invalidate_before_commit(db, cache, task_id, title):
        db.update(task_id, title)
        cache.delete(f"task:{task_id}")
        db.commit()

    def never_invalidates(db, cache, task_id, title):
        db.update(task_id, title)
        db.commit()

    def never_commits(db, cache, task_id, title):
        db.update(task_id, title)
        cache.delete(f"task:{task_id}")

    def writes_the_cache_then_commits(db, cache, task_id, title):
        cache.set(f"task:{task_id}", title)
        db.update(task_id, title)
        db.commit()

    for answer in (
        invalidate_then_commit,
        invalidate_before_commit,
        never_invalidates,
        never_commits,
        writes_the_cache_then_commits,
    ):
        result = q3.evaluate(answer)
        assert result.status == INCORRECT, answer
    assert "between your cache.delete and your db.commit" in "\n".join(q3.evaluate(invalidate_then_commit).lines())


def cached_title(db, cache, task_id):
    key = f"task:{task_id}"
    title = cache.get(key)
    if title is None:
        title = db.title(task_id)
        if title is not None:
            cache.set(key, title, ex=60)
    return title


def test_q4_solution_stub_and_wrong_reads():
    assert q4.evaluate(None).status == NOT_ATTEMPTED
    assert q4.evaluate(cached_title).status == CORRECT

    def no_ttl(db, cache, task_id):
        title = cache.get(f"task:{task_id}")
        if title is None:
            title = db.title(task_id)
            if title is not None:
                cache.set(f"task:{task_id}", title)
        return title

    def keeps_not_found_for_ever(db, cache, task_id):  # a cached copy served for a 404, for ever
        if f"task:{task_id}" in cache.copies:
            return cache.get(f"task:{task_id}")
        title = db.title(task_id)
        cache.set(f"task:{task_id}", title, ex=60)
        return title

    def keeps_not_found_as_a_marker(db, cache, task_id):
        title = cache.get(f"task:{task_id}")
        if title is None:
            title = db.title(task_id) or ""
            cache.set(f"task:{task_id}", title, ex=60)
        return title or None

    def always_the_database(db, cache, task_id):
        title = db.title(task_id)
        if title is not None:
            cache.set(f"task:{task_id}", title, ex=60)
        return title

    def never_stores(db, cache, task_id):
        return cache.get(f"task:{task_id}") or db.title(task_id)

    def salted_key(db, cache, task_id):
        key = f"task:{hash(str(task_id))}"
        title = cache.get(key)
        if title is None:
            title = db.title(task_id)
            if title is not None:
                cache.set(key, title, ex=60)
        return title

    def another_ttl(db, cache, task_id):
        title = cache.get(f"task:{task_id}")
        if title is None and (title := db.title(task_id)) is not None:
            cache.set(f"task:{task_id}", title, ex=3600)
        return title

    def ttl_in_milliseconds_as_seconds(db, cache, task_id):
        title = cache.get(f"task:{task_id}")
        if title is None and (title := db.title(task_id)) is not None:
            cache.set(f"task:{task_id}", title, ex=60_000)
        return title

    for answer in (
        no_ttl,
        keeps_not_found_for_ever,
        keeps_not_found_as_a_marker,
        always_the_database,
        never_stores,
        salted_key,
        another_ttl,
        ttl_in_milliseconds_as_seconds,
        lambda db, cache, task_id: None,
        lambda db, cache, task_id: db.title(task_id),
    ):
        assert q4.evaluate(answer).status == INCORRECT, answer
    assert "never keep 'not found'" in "\n".join(q4.evaluate(keeps_not_found_for_ever).lines())
