"""The task API's contract as chapter 05 writes it: every failure mode a client meets, one Case a row."""

from course_lib.lab.contract import Case

PASSWORD = "violet harbor lantern 42"  # ignored until users have passwords; then the same contract still holds
ADA = {"name": "Ada", "email": "ada@example.org", "password": PASSWORD}
BOB = {"name": "Bob", "email": "bob@example.org", "password": PASSWORD}

CONTRACT = [
    Case("sign up Ada", "POST", "/users", 201, json=ADA, must_have=("location",),
         save={"ada_key": "api_key", "ada": "id"}),
    Case("sign up Bob", "POST", "/users", 201, json=BOB, save={"bob_key": "api_key"}),
    Case("email already taken", "POST", "/users", 409, json={**BOB, "name": "Bob again"}),
    Case("user without an email", "POST", "/users", 422, json={"name": "Nobody", "password": PASSWORD}),
    Case("list users without a key", "GET", "/users", 401, must_have=("www-authenticate",)),
    Case("list users", "GET", "/users", 200, key="bob_key"),
    Case("read a user", "GET", "/users/{ada}", 200, key="bob_key"),
    Case("unknown user", "GET", "/users/999", 404, key="bob_key"),
    Case("create a task without a key", "POST", "/tasks", 401, json={"title": "t"}, must_have=("www-authenticate",)),
    Case("create a task with a wrong key", "POST", "/tasks", 401, json={"title": "t"},
         headers={"X-API-Key": "tk_not-a-real-key"}, must_have=("www-authenticate",)),
    Case("create a task", "POST", "/tasks", 201, json={"title": "write the contract"}, key="ada_key",
         must_have=("location",), save={"task": "id"}),
    Case("create a task without a title", "POST", "/tasks", 422, json={"done": True}, key="ada_key"),
    Case("list tasks (public)", "GET", "/tasks", 200),
    Case("read a task (public)", "GET", "/tasks/{task}", 200),
    Case("unknown task", "GET", "/tasks/999", 404),
    Case("replace own task", "PUT", "/tasks/{task}", 200, json={"title": "write the whole contract"}, key="ada_key"),
    Case("replace someone else's task", "PUT", "/tasks/{task}", 403, json={"title": "mine now"}, key="bob_key"),
    Case("change own task", "PATCH", "/tasks/{task}", 200, json={"description": "every failure mode"},
         key="ada_key"),
    Case("change someone else's task", "PATCH", "/tasks/{task}", 403, json={"done": True}, key="bob_key"),
    Case("change a title to null", "PATCH", "/tasks/{task}", 422, json={"title": None}, key="ada_key"),
    Case("change an unknown task", "PATCH", "/tasks/999", 404, json={"done": True}, key="ada_key"),
    Case("complete someone else's task", "POST", "/tasks/{task}/complete", 403, key="bob_key"),
    Case("complete own task", "POST", "/tasks/{task}/complete", 200, key="ada_key"),
    Case("complete an unknown task", "POST", "/tasks/999/complete", 404, key="ada_key"),
    Case("list a user's tasks", "GET", "/users/{ada}/tasks", 200),
    Case("add to own list", "POST", "/users/{ada}/tasks", 201, json={"title": "review"}, key="ada_key",
         must_have=("location",)),
    Case("add to someone else's list", "POST", "/users/{ada}/tasks", 403, json={"title": "spam"}, key="bob_key"),
    Case("a method the collection lacks", "DELETE", "/tasks", 405, must_have=("allow",)),
    Case("delete without a key", "DELETE", "/tasks/{task}", 401),
    Case("delete someone else's task", "DELETE", "/tasks/{task}", 403, key="bob_key"),
    Case("delete own task", "DELETE", "/tasks/{task}", 204, key="ada_key"),
    Case("delete it again", "DELETE", "/tasks/{task}", 404, key="ada_key"),
]
