"""``python -m demosite``: serve the demo site until Ctrl-C (manual checks)."""

from __future__ import annotations

import contextlib
import time

from demosite.news import serve_demo


def main() -> None:
    """``python -m demosite``: serve the demo site until Ctrl-C (manual checks)."""
    with serve_demo() as site:
        print(f"Serving {site.name} at {site.base_url}/ (Ctrl-C to stop)")
        for url in site.expected_articles():
            print(" ", url)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
