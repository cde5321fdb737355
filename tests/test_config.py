from pathlib import Path

import pytest

from core.config import ConfigError, load_sites, parse_sites


def test_bundled_sites_file_is_valid() -> None:
    cfg = load_sites()
    assert len(cfg.sites) >= 5
    for site in cfg.sites:
        assert site.start_urls or site.feeds or site.sitemaps
        assert site.allowed_domains


def test_defaults_are_layered_under_site_limits() -> None:
    cfg = parse_sites(
        {
            "defaults": {"max_pages": 50, "timeout": 5},
            "sites": [
                {"name": "a", "feeds": ["https://a.example/rss"], "limits": {"max_pages": 7}},
                {"name": "b", "feeds": ["https://www.b.example/rss"]},
            ],
        }
    )
    a, b = cfg.sites
    assert (a.limits.max_pages, a.limits.timeout) == (7, 5)
    assert (b.limits.max_pages, b.limits.timeout) == (50, 5)
    assert b.allowed_domains == ["b.example"]


@pytest.mark.parametrize(
    "site, message",
    [
        ({"name": "Bad Name", "feeds": ["https://x.example/rss"]}, "slug"),
        ({"name": "x"}, "at least one of"),
        ({"name": "x", "feeds": ["ftp://x.example/rss"]}, "http"),
        (
            {"name": "x", "feeds": ["https://x.example/"], "article_patterns": ["(unclosed"]},
            "regular expression",
        ),
        ({"name": "x", "feeds": ["https://x.example/"], "limits": {"max_pages": 0}}, "max_pages"),
        ({"name": "x", "feeds": ["https://x.example/"], "typo_field": 1}, "typo_field"),
    ],
)
def test_bad_configuration_is_a_clear_error(site: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_sites({"sites": [site]})


def test_duplicate_and_unknown_sites(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="duplicate"):
        parse_sites(
            {"sites": [{"name": "a", "feeds": ["https://a/"]}, {"name": "a", "feeds": ["https://a/"]}]}
        )
    cfg = parse_sites({"sites": [{"name": "a", "feeds": ["https://a.example/"]}]})
    with pytest.raises(ConfigError, match="unknown site"):
        cfg.select(["nope"])


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_sites(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("sites: [unclosed", encoding="utf-8")
    with pytest.raises(ConfigError, match="YAML"):
        load_sites(broken)
