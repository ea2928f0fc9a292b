"""Chapter 00 — the smallest backend: an app that answers GET /health."""

from fastapi import FastAPI

from course_lib.services.settings import Settings, get_settings
from course_lib.web.api_docs import install_offline_docs


def create_app(settings: Settings | None = None) -> FastAPI:
    """A FastAPI app with one endpoint that says the service is up."""
    app = FastAPI(title="Task API", version="0.0.0", docs_url=None, redoc_url=None)
    install_offline_docs(app)
    app.state.settings = settings or get_settings()

    @app.get("/health")
    def health() -> dict[str, str]:
        """Answer 200 while the process can serve requests."""
        return {"status": "ok"}

    return app
