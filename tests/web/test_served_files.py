"""`courtside serve` serves the web client, the SDK and /docs from the package, offline."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from courtside import web

# The static imports of an ES module: `import ... from "x";` at the start of a line.
IMPORT = re.compile(r"""^import\s[^;]*?from\s*["']([^"']+)["'];""", re.MULTILINE)


async def test_the_client_page_loads_its_modules_from_the_server(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert '<script type="module" src="/app/main.js">' in page.text
    style = await client.get("/app/app.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")


async def test_every_module_the_client_imports_is_served_as_javascript(client: httpx.AsyncClient) -> None:
    seen, pending = set(), ["/app/main.js"]
    while pending:
        path = pending.pop()
        seen.add(path)
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/javascript"), path
        for target in IMPORT.findall(response.text):
            assert target.startswith(("/", "./")), f"{path} imports {target} from elsewhere"
            absolute = target if target.startswith("/") else str(Path(path).parent / target[2:])
            if absolute not in seen:
                pending.append(absolute)
    assert {"/sdk/courtside.js", "/sdk/msgpack.js", "/app/game.js", "/app/field.js"} <= seen


# Anything a page would load: a script or style, an import, a CSS url().
REMOTE_LOAD = re.compile(r"""(?:src=|href=|url\(|from\s|import\()\s*["']?(?:https?:)?//""")


def test_no_static_file_loads_anything_from_elsewhere() -> None:
    files = [file for file in web.STATIC.rglob("*") if file.is_file()]
    assert len(files) >= 10
    for file in files:
        assert not REMOTE_LOAD.search(file.read_text()), f"{file} loads from another host"


async def test_the_sdk_and_its_declarations_are_served(client: httpx.AsyncClient) -> None:
    sdk = await client.get("/sdk/courtside.js")
    assert sdk.status_code == 200
    assert sdk.headers["content-type"].startswith("text/javascript")
    assert "export class Courtside" in sdk.text
    types = await client.get("/sdk/courtside.d.ts")
    assert types.status_code == 200
    assert types.headers["content-type"].startswith("application/typescript")
    assert "export class Courtside" in types.text


async def test_paths_outside_the_static_folders_are_not_found(client: httpx.AsyncClient) -> None:
    for path in ("/app/../__init__.py", "/sdk/%2e%2e/%2e%2e/__init__.py", "/app/missing.js",
                 "/docs/assets/index.html"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.json()["code"] == "not_found"


async def test_docs_load_swagger_ui_from_the_server(client: httpx.AsyncClient) -> None:
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "https://" not in docs.text
    for asset in re.findall(r'(?:src|href)="([^"]+)"', docs.text):
        response = await client.get(asset)
        assert response.status_code == 200, asset
    assert "/docs/assets/swagger-ui-bundle.js" in docs.text
