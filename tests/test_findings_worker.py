"""The findings thread's posts (tui/findings_worker.py), run here on the test's own thread."""

from __future__ import annotations

from acrfence.services.analysis import find_findings
from acrfence.services.inventory import RegistriesLoaded
from acrfence.tui.findings_worker import FindingsFeed, work_out_findings
from helpers import SUB, make_inventory, make_registry


def _posts(feed: FindingsFeed, start) -> list:
    posts: list = []
    work_out_findings(feed, start, 1, posts.append, lambda: False)
    return posts


def test_a_refresh_posts_no_findings_until_the_earlier_read_is_worked_out_again() -> None:
    # Several steps' worth of registries (the worker brings 100 up to date per step).
    earlier = make_inventory([make_registry(f"registry{n:03}") for n in range(350)])
    everything = len(find_findings(earlier))
    assert everything >= 350
    feed = FindingsFeed()
    feed.end()
    posts = _posts(feed, earlier)
    assert posts and not posts[-1].pending
    # Never fewer than the earlier read's: what stays on screen meanwhile is those.
    assert [len(post.findings) for post in posts] == [everything] * len(posts)


def test_a_refresh_then_posts_the_pieces_read_again() -> None:
    earlier = make_inventory([make_registry(f"registry{n:03}") for n in range(150)])
    feed = FindingsFeed()
    opened = make_registry("registry000", default_action="Allow", public="Disabled")
    feed.put(RegistriesLoaded(SUB, (opened,)))
    feed.end()
    posts = _posts(feed, earlier)
    read_again = make_inventory([opened])
    assert len(posts[-1].findings) == len(find_findings(read_again))
    assert not posts[-1].pending


def test_a_first_read_posts_as_it_goes() -> None:
    registries = tuple(make_registry(f"registry{n:03}") for n in range(350))
    feed = FindingsFeed()
    feed.put(RegistriesLoaded(SUB, registries))
    feed.end()
    posts = _posts(feed, None)
    # Nothing was on screen before: the first findings go as soon as there are some.
    assert posts[0].pending and 0 < len(posts[0].findings) < len(posts[-1].findings)
    assert len(posts[-1].findings) == len(find_findings(make_inventory(registries)))
