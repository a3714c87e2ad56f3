"""A bare aiohttp app that serves one JSON body: the ceiling a gateway is compared with.

`python -m bench.bare PORT FILE` serves the bytes of FILE at every path.
"""

import sys
from pathlib import Path

from aiohttp import web

from cromwes import runtime


def main() -> None:
    body = Path(sys.argv[2]).read_bytes()

    async def answer(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/{tail:.*}", answer)
    runtime.tune_collector()
    web.run_app(
        app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None,
        loop=runtime.new_loop(),
    )  # fmt: skip


if __name__ == "__main__":
    main()
