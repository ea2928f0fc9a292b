"""The lab's inline reminders: done inside the request, and sent again by every request (nothing recorded)."""

from course_lib.lab.inline_reminders import lab_app
from course_lib.notebook.server import serve
from course_lib.services.settings import Settings
from course_lib.taskapi.api_keys import sign_up
from course_lib.taskapi.reminders import outbox


def test_inline_reminders_answer_when_sent_and_duplicate_on_a_retry():
    app = lab_app(Settings(mail_latency=0))
    api = serve(app, name="test-inline-reminders")
    try:
        ada = sign_up(api, "Ada")
        for n in range(3):
            api.post("/tasks", json={"title": f"t{n}"}, headers=ada)
        assert api.post("/lab/reminders/inline", headers=ada).json() == {"sent": 3}
        assert api.post("/lab/reminders/inline", headers=ada).json() == {"sent": 3}
        assert len(outbox(app.context.storage.database.engine)) == 6
        assert api.get("/lab/ping").json() == {"pong": "yes"}
    finally:
        api.stop()
