"""The blog's seed posts: reviews and reading lists written for the bookstore.

Book links are site paths (`/books/<id>`), the web app's book pages, so they work on whatever
host serves the site. Titles come from the catalog itself, and `seed_posts` fails loudly if a
post names a book the catalog does not have, so the blog cannot drift from the shop.
"""

from __future__ import annotations

import json
import re
from html import escape
from pathlib import Path
from typing import Any

CATALOG = Path(__file__).resolve().parents[2] / "functions" / "catalog" / "books.json"

# {book-id} in a body becomes a link to that book, titled as in the catalog.
_POSTS: list[dict[str, Any]] = [
    {
        "slug": "review-dune",
        "title": "Review: Dune, sixty years on",
        "date_gmt": "2026-09-02 08:00:00",
        "categories": ["Reviews"],
        "tags": ["science fiction", "classics of the genre"],
        "excerpt": "Ecology, religion and empire on a desert planet still read as current.",
        "body": [
            "{dune} is often sold as a space adventure, and it is one, but what stays with you "
            "is the ecology: water as currency, a planet whose every custom follows from its "
            "climate. Herbert wrote a book about systems long before the word was fashionable.",
            "The appendices are worth the detour, and readers who finish wanting more politics "
            "than sand should go straight on to {foundation}, which treats history itself as "
            "the machine.",
            "Verdict: five stars, and the best place to start a science-fiction shelf.",
        ],
    },
    {
        "slug": "reading-list-first-steps-in-science",
        "title": "Reading list: first steps in popular science",
        "date_gmt": "2026-09-10 08:00:00",
        "categories": ["Reading lists"],
        "tags": ["science", "beginners"],
        "excerpt": "Five books that explain big ideas without asking for equations.",
        "body": [
            "Start with {a-brief-history-of-time}: short, playful and still the clearest "
            "account of why time has a direction.",
            "Then {cosmos}, for the sense of wonder, and {the-selfish-gene}, for the idea that "
            "changed how biologists talk about evolution.",
            "{the-double-helix} is the story of a discovery told by one of its rivals, gossip "
            "and all, and {what-is-life} is the little lecture series that sent a generation "
            "of physicists into biology.",
        ],
    },
    {
        "slug": "review-the-left-hand-of-darkness",
        "title": "Review: The Left Hand of Darkness",
        "date_gmt": "2026-09-18 08:00:00",
        "categories": ["Reviews"],
        "tags": ["science fiction", "le guin"],
        "excerpt": "Le Guin's winter planet is a thought experiment with a beating heart.",
        "body": [
            "An envoy arrives on a frozen world whose people have no fixed sex, and the novel "
            "follows him across a glacier with the one person who trusts him.",
            "{the-left-hand-of-darkness} is remembered for its ideas, but the crossing of the "
            "ice is as tense as any thriller. If you love it, Le Guin's {a-wizard-of-earthsea} "
            "shows the same mind at work in fantasy.",
        ],
    },
    {
        "slug": "reading-list-detectives-for-long-evenings",
        "title": "Reading list: detectives for long evenings",
        "date_gmt": "2026-09-26 08:00:00",
        "categories": ["Reading lists"],
        "tags": ["mystery", "crime"],
        "excerpt": "From the country house to the mean streets, five mysteries that hold up.",
        "body": [
            "Begin with the perfect puzzle, {and-then-there-were-none}, then walk onto the "
            "moor with Holmes in {the-hound-of-the-baskervilles}.",
            "For the hard-boiled school, read {the-maltese-falcon} and {the-big-sleep} back to "
            "back and notice how much Chandler learned from Hammett.",
            "Finish in a medieval abbey with {the-name-of-the-rose}, a murder mystery that is "
            "also a novel about reading.",
        ],
    },
    {
        "slug": "review-thinking-fast-and-slow",
        "title": "Review: Thinking, Fast and Slow",
        "date_gmt": "2026-10-04 08:00:00",
        "categories": ["Reviews"],
        "tags": ["business", "psychology"],
        "excerpt": "The book every planning meeting should have read first.",
        "body": [
            "{thinking-fast-and-slow} explains, experiment by experiment, why confident "
            "estimates are so often wrong. It is long, and worth every chapter.",
            "Pair it with {the-mythical-man-month}, whose essays on late software projects are "
            "the same lesson learned the hard way, fifty years ago and still true.",
        ],
    },
    {
        "slug": "reading-list-running-a-team",
        "title": "Reading list: for your first year running a team",
        "date_gmt": "2026-10-12 08:00:00",
        "categories": ["Reading lists"],
        "tags": ["business", "management"],
        "excerpt": "Four books our staff hand to every new manager.",
        "body": [
            "{high-output-management} is the manual: meetings, one-to-ones, and why a "
            "manager's output is the output of the team.",
            "{the-goal} teaches bottlenecks through a novel about a failing factory, and "
            "{good-to-great} asks what the lasting companies did differently.",
            "Keep {the-innovators-dilemma} for the day your team's success starts to look like "
            "a trap.",
        ],
    },
    {
        "slug": "review-the-fifth-season",
        "title": "Review: The Fifth Season",
        "date_gmt": "2026-10-20 08:00:00",
        "categories": ["Reviews"],
        "tags": ["fantasy", "award winners"],
        "excerpt": "A world that ends every few centuries, and the people who survive it.",
        "body": [
            "{the-fifth-season} opens with the end of the world and then earns it. Jemisin "
            "braids three stories together and the way they meet is one of the great reveals "
            "of modern fantasy.",
            "Readers who like their magic with consequences should try {the-lies-of-locke-lamora} "
            "next, then go back to where it started with {the-hobbit}.",
        ],
    },
    {
        "slug": "reading-list-history-that-reads-like-a-novel",
        "title": "Reading list: history that reads like a novel",
        "date_gmt": "2026-10-28 08:00:00",
        "categories": ["Reading lists"],
        "tags": ["history"],
        "excerpt": "Narrative history for readers who think they do not like history.",
        "body": [
            "{the-guns-of-august} turns the first month of the Great War into a tragedy of "
            "timetables. {1776} does the same for a single year of the American Revolution.",
            "For the long view, {spqr} retells a thousand years of Rome and {the-silk-roads} "
            "moves the centre of world history east. {salt-a-world-history} proves that one "
            "ordinary thing can carry a whole history of trade.",
        ],
    },
    {
        "slug": "review-the-martian",
        "title": "Review: The Martian",
        "date_gmt": "2026-11-05 08:00:00",
        "categories": ["Reviews"],
        "tags": ["science fiction", "survival"],
        "excerpt": "Problem solving as a page-turner, and a good lesson in redundancy.",
        "body": [
            "An astronaut is left behind on Mars and survives by doing the arithmetic. "
            "{the-martian} is funny, precise and impossible to put down.",
            "It is also, quietly, a book about failover: every system has a backup, and every "
            "backup gets used. We recommend it to the engineers who run this bookstore in two "
            "regions.",
        ],
    },
]


def load_catalog(path: Path = CATALOG) -> dict[str, str]:
    """Book id -> title."""
    books: list[dict[str, Any]] = json.loads(path.read_text())
    return {str(book["id"]): str(book["title"]) for book in books}


def _render(paragraphs: list[str], titles: dict[str, str]) -> str:
    def link(match: re.Match[str]) -> str:
        book_id = match.group(1)
        if book_id not in titles:
            raise KeyError(f"seed post links to {book_id!r}, which is not in the catalog")
        return f'<a href="/books/{book_id}"><em>{escape(titles[book_id])}</em></a>'

    rendered = []
    for paragraph in paragraphs:
        html = re.sub(r"\{([a-z0-9-]+)\}", link, escape(paragraph, quote=False))
        rendered.append(f"<!-- wp:paragraph -->\n<p>{html}</p>\n<!-- /wp:paragraph -->")
    return "\n\n".join(rendered)


def seed_posts(catalog: Path = CATALOG) -> list[dict[str, Any]]:
    """The posts as the install tool takes them (title, slug, content, dates, terms)."""
    titles = load_catalog(catalog)
    posts = []
    for post in _POSTS:
        item = {k: v for k, v in post.items() if k != "body"}
        item["content"] = _render(post["body"], titles)
        item["status"] = "publish"
        posts.append(item)
    return posts


def linked_books(post: dict[str, Any]) -> list[str]:
    """The catalog ids a seed post links to (for tests)."""
    return re.findall(r'href="/books/([a-z0-9-]+)"', str(post["content"]))
