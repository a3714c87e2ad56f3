"""The dashboard's files as the gateway serves them: only the shipped ones, relative links only,
public like the API docs, with a policy that keeps every script and call on this origin."""

import re
from pathlib import Path

import pytest
from yarl import URL

from cromwes.api.ui import FILES, STATIC
from tests.api.basic import BASIC_AUTH
from tests.api.conftest import MakeStack, Stack

CONTENT_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css",
                 ".svg": "image/svg+xml"}  # fmt: skip
IMPORT = re.compile(r'^import .* from "(?P<path>[^"]+)";$', re.MULTILINE)


def test_every_shipped_file_is_served_and_no_other() -> None:
    assert {path.name for path in STATIC.iterdir()} == FILES


async def test_ui_leads_to_the_dashboard_by_a_relative_redirect(stack: Stack) -> None:
    async with stack.wes.client.get("/ui", allow_redirects=False) as response:
        assert response.status == 302
        assert response.headers["Location"] == "ui/"


async def test_the_page_loads_every_file_it_names_and_each_script_its_imports(stack: Stack) -> None:
    page = await stack.wes.get("/ui/", expect=200)
    assert page.headers["Content-Type"].startswith("text/html")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    names = re.findall(r'(?:href|src)="([^"]+)"', page.body.decode())
    scripts = [name for name in names if name.endswith(".js")]
    seen: set[str] = set()
    while scripts:
        name = scripts.pop()
        seen.add(name)
        script = await stack.wes.get(f"/ui/{name}", expect=200)
        scripts += [m["path"].removeprefix("./") for m in IMPORT.finditer(script.body.decode())
                    if m["path"].removeprefix("./") not in seen]  # fmt: skip
    for name in names:
        # Relative links keep working under a proxy's path prefix.
        assert not name.startswith("/"), name
        assert "://" not in name, name
        if Path(name).suffix in CONTENT_TYPES:
            reply = await stack.wes.get(f"/ui/{name}", expect=200)
            assert reply.headers["Content-Type"].startswith(CONTENT_TYPES[Path(name).suffix])
    assert seen == {name for name in FILES if name.endswith(".js")}


@pytest.mark.parametrize(
    "path",
    ["/ui/app.py", "/ui/..%2Fui.py", "/ui/%2e%2e/ui.py", "/ui/ui_static/app.js", "/ui/.js"],
)
async def test_nothing_but_the_shipped_files_is_served(stack: Stack, path: str) -> None:
    async with stack.wes.client.get(URL(path, encoded=True)) as response:
        assert response.status == 404
        assert (await response.json())["status_code"] == 404


async def test_the_pages_need_no_credentials_but_the_api_does(make_stack: MakeStack) -> None:
    stack = await make_stack(settings=BASIC_AUTH)
    await stack.wes.get("/ui/", expect=200)
    await stack.wes.get("/ui/app.js", expect=200)
    await stack.wes.get("runs", expect=401)
    await stack.wes.get("events", expect=401)


async def test_the_dashboard_can_be_turned_off(make_stack: MakeStack) -> None:
    stack = await make_stack(settings={"ui": {"enabled": False}})
    await stack.wes.get("/ui/", expect=404)
    await stack.wes.get("/ui/app.js", expect=404)
