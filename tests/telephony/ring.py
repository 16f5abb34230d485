"""The phone system's two reports, sent as the exchange sends them: HTTP POSTs to the live server's API
with a calls:write token (browser tests)."""
import json
import urllib.request


def exchange_token(created_by) -> str:
    from api.services import token_create

    return token_create(name="Phone exchange", scopes=["calls:write"], created_by=created_by).secret


def _post(base_url: str, path: str, token: str, body: dict) -> dict:
    request = urllib.request.Request(base_url + path, data=json.dumps(body).encode(), method="POST", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201), response.status
        return json.loads(response.read())


def ring(base_url: str, token: str, *, call_id: str, caller: str, extension: str) -> dict:
    return _post(base_url, "/api/v1/calls/ringing/", token, {"call_id": call_id, "from": caller, "extension": extension})


def hang_up(base_url: str, token: str, *, call_id: str, at, duration: int) -> dict:
    return _post(base_url, "/api/v1/calls/ended/", token,
                 {"call_id": call_id, "at": at.isoformat(), "duration_seconds": duration})
