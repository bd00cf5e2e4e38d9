"""Poll a URL until it answers 200: wait_ready.py URL TIMEOUT_SECONDS (exit 1 on timeout)."""

import sys
import time
import urllib.request

url, deadline = sys.argv[1], time.monotonic() + float(sys.argv[2])
while time.monotonic() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                print(f"wait_ready: {url} is ready")
                raise SystemExit(0)
    except OSError:
        pass
    time.sleep(0.5)
print(f"wait_ready: {url} not ready after {sys.argv[2]} s", file=sys.stderr)
raise SystemExit(1)
