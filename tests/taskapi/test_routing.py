from fastapi import FastAPI

from course_lib.notebook.server import serve
from course_lib.taskapi.routing import remove_routes


def test_remove_routes_by_path_method_and_prefix():
    app = FastAPI()
    app.get("/a")(lambda: 1)
    app.post("/a")(lambda: 2)
    app.get("/demo/x")(lambda: 3)
    app.get("/demo/y")(lambda: 4)
    assert remove_routes(app, "/a", methods={"POST"}) == 1
    assert remove_routes(app, "/demo", prefix=True) == 2
    api = serve(app)
    assert api.get("/a").status_code == 200
    assert api.post("/a").status_code == 405
    assert api.get("/demo/x").status_code == 404
    assert "/demo/x" not in api.get("/openapi.json").json()["paths"]
