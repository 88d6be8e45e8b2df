"""`/docs`: Swagger UI for the JSON API, served entirely by this app so it works offline.

FastAPI's default docs page loads Swagger UI from a CDN and starts it with an inline script,
which a machine without internet cannot load and the page's Content-Security-Policy forbids.
The assets come from the `fastapi-offline` wheel (Swagger UI's own bundle, MIT/Apache-2.0),
mounted at `/docs/assets`; a small script in our static folder starts it with the OpenAPI URL
read from a `data-` attribute. ReDoc is not offered: one documentation page is enough.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

DOCS_PATH = "/docs"
ASSETS_PATH = f"{DOCS_PATH}/assets"


def swagger_assets() -> Path:
    """The folder holding `swagger-ui-bundle.js` and `swagger-ui.css`."""
    return Path(str(files("fastapi_offline") / "static"))


def install(app: FastAPI) -> None:
    """Mount the assets and add the page (left out of the OpenAPI document)."""
    app.mount(ASSETS_PATH, StaticFiles(directory=swagger_assets()), name="docs-assets")

    @app.get(DOCS_PATH, include_in_schema=False)
    async def docs(request: Request) -> Response:
        templates = request.app.state.web.templates
        context = {"openapi_url": app.openapi_url, "assets": ASSETS_PATH, "title": app.title}
        return templates.TemplateResponse(request, "docs.html", context)
