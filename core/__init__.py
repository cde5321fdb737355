"""The crawl core below ``spiders/`` and ``flows/``: site configuration, URL and time rules, record
building, profile storage, run ids, progress listeners and process hygiene. It imports nothing from
``dateline/`` (the CLI and service shell), ``flows/`` or ``spiders/`` at module level."""

__version__ = "0.1.0"
