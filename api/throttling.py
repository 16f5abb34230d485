"""Per-token rate limit: one cache counter per token and minute (Redis in production)."""
import time

from rest_framework.throttling import BaseThrottle

from servicedesk.ratelimit import over_limit

WINDOW = 60


class TokenRateThrottle(BaseThrottle):
    def allow_request(self, request, view):
        token = request.auth
        if token is None:
            return True  # unauthenticated requests never get this far (401 first)
        return not over_limit(scope="api", ident=str(token.pk), limit=token.rate_limit_per_minute, window=WINDOW)

    def wait(self):
        return WINDOW - (time.time() % WINDOW)
