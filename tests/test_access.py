"""Login throttling: repeated failed logins from one address are slowed down (the delays are
recorded through an injected sleep, never timed), and the served app has the throttle."""
from __future__ import annotations

import asyncio

import httpx

from assistant.access import LoginThrottle


def _login_app():
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def login(request):
        form = await request.form()
        ok = form.get("password") == "dung"
        return JSONResponse({"success": ok}, status_code=200 if ok else 400)

    async def page(request):
        return JSONResponse({})

    return Starlette(routes=[Route("/login", login, methods=["POST"]), Route("/", page)])


def test_failed_logins_from_one_address_wait_longer_each_time():
    slept: list[float] = []
    now = [0.0]

    async def sleep(s):
        slept.append(s)

    throttle = LoginThrottle(_login_app(), free=3, base=1.0, cap=8.0, window=900, sleep=sleep, clock=lambda: now[0])

    async def run():
        async def post(client, password):
            return (await client.post("/login", data={"username": "u", "password": password})).status_code

        t1 = httpx.ASGITransport(app=throttle, client=("10.0.0.1", 5000))
        t2 = httpx.ASGITransport(app=throttle, client=("10.0.0.2", 5000))
        async with httpx.AsyncClient(transport=t1, base_url="http://t") as a, \
                httpx.AsyncClient(transport=t2, base_url="http://t") as b:
            codes = [await post(a, "sai") for _ in range(7)]
            assert codes == [400] * 7
            assert slept == [1.0, 2.0, 4.0, 8.0]  # three free, then doubling up to the cap
            assert await post(b, "sai") == 400 and len(slept) == 4  # another address is not slowed
            assert (await a.get("/")).status_code == 200 and len(slept) == 4  # other routes never are
            # a burst from the throttled address: every attempt waits, one after another
            codes = await asyncio.gather(*(post(a, "sai") for _ in range(5)))
            assert codes == [400] * 5 and slept[4:] == [8.0] * 5
            assert await post(a, "dung") == 200  # the right password still works, after its wait
            assert len(slept) == 10
            assert await post(a, "sai") == 400 and len(slept) == 10  # success forgot the failures
            for _ in range(3):
                await post(a, "sai")
            now[0] += 1000  # a quiet window forgets them too
            assert await post(a, "sai") == 400 and len(slept) == 11

    asyncio.run(run())


def test_served_app_throttles_logins():
    import gradio as gr

    from assistant.app import launch
    from test_app import _free_port

    with gr.Blocks() as app:
        gr.Markdown("x")
    port = _free_port()
    launch(app, "127.0.0.1", port, auth=[("canbo", "m@t-khau")], block=False, quiet=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(4):
            r = httpx.post(url + "/login", data={"username": "canbo", "password": "sai"}, timeout=30)
            assert r.status_code == 400
        stack = app.server_app.middleware_stack
        while stack is not None and not isinstance(stack, LoginThrottle):
            stack = getattr(stack, "app", None)
        assert stack is not None, "LoginThrottle is not in front of the served app"
        assert stack.delay("127.0.0.1") > 0  # the next attempt from this address waits
        r = httpx.post(url + "/login", data={"username": "canbo", "password": "m@t-khau"}, timeout=60)
        assert r.status_code == 200 and stack.delay("127.0.0.1") == 0
    finally:
        app.close()
