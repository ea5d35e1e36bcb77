"""`python -m bot health`: the container HEALTHCHECK. In webhook mode, is the webhook server answering HTTP?
(It only serves POSTs from Telegram, so a GET's 405 proves it is up.) Long polling has no port to check."""
from __future__ import annotations

import sys
import urllib.error
import urllib.request

from ..settings import Settings


def health(settings: Settings) -> int:
    if not settings.webhook_url:
        print("ok: long polling (no webhook server to check)")
        return 0
    url = f"http://127.0.0.1:{settings.webhook_port}/{settings.webhook_path}"
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except OSError as exc:
        print(f"unhealthy: webhook server on port {settings.webhook_port} not answering ({exc.__class__.__name__})",
              file=sys.stderr)
        return 1
    if status >= 500:
        print(f"unhealthy: webhook server answered {status}", file=sys.stderr)
        return 1
    print(f"ok: webhook server answering on port {settings.webhook_port}")
    return 0
