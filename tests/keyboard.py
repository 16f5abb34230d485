"""Keyboard-only helpers for browser tests (issue 19): sign in and move focus the way a keyboard user does."""


def sign_in_by_keyboard(page, live_server, username, password="pw"):
    page.goto(live_server.url + "/login/")
    page.locator("input[name=username]").focus()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/login/" not in page.url


def tab_to(page, selector, limit=150):
    """Press Tab until ``selector`` has the focus; fail if it never does."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


def focused(page, selector) -> bool:
    return page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector)
