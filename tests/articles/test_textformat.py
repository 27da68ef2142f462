from __future__ import annotations

from datetime import date

import pytest

from forum.articles.textformat import (
    ArticleFormatError,
    ParsedFigure,
    decode_article_bytes,
    escape_markdown,
    figures_from_lines,
    parse_article_text,
    plain_markdown,
    render_body,
    split_caption,
)
from forum.core.text import render_markdown
from tests.articles.conftest import SAMPLE, TITLE


def test_sample_is_split_into_its_parts():
    article = parse_article_text(SAMPLE)

    assert article.publication == "Harbour Review"
    assert article.title == TITLE
    assert article.published_on is None
    assert [(f.caption, f.credit, f.after_paragraph) for f in article.figures] == [
        ("Keepers wave from the old light at Port Ellery.", "HARBOUR PRESS/Anna Lind", 0),
        ("A map of the eleven lights from Port Ellery to Cape Mor.", "Jonas Berg/Coastal Atlas", 2),
        ("A keeper climbs the stairs of the Cape Mor light.", "Coast Photo/Ivo Sand", 3),
    ]  # fmt: skip
    assert article.paragraphs == [
        "The northern coast keeps eleven working lighthouses, most older than their towns.",
        "Their keepers are fewer each year: automation arrived late and stayed.",
        "Some of the lights are museums now, and two are guest houses booked a year ahead.",
        "The last keeper of Cape Mor retires next spring.",
    ]
    assert [(r.text, r.url) for r in article.readings] == [
        ("Mara Quist, The Last Keepers. Coastal Quarterly. (June 1, 2020)", None),
        (
            "Tom Reyes, Lights Out? Harbour Weekly. (July 8, 2020)",
            "https://example.org/lights-out",
        ),
    ]
    assert article.author_name == "Edda Morn"
    assert article.author_bio == (
        "Edda Morn writes about the sea and the people who work on it.\n\nShe lives in Port Ellery."
    )
    assert article.group_names == ["Coastal Walkers Discussion group"]


def test_a_date_line_after_the_publication_is_the_publication_date():
    text = SAMPLE.replace("Harbour Review\n", "Harbour Review\n\nJune 14, 2016\n", 1)
    article = parse_article_text(text)
    assert article.published_on == date(2016, 6, 14)
    assert article.title == TITLE


def test_without_references_or_group_the_author_still_ends_the_body():
    text = "Harbour Review\n\nA Short Piece\n\nOne paragraph.\n\nAnna Lind\n\nAnna Lind sails.\n"
    article = parse_article_text(text)
    assert article.paragraphs == ["One paragraph."]
    assert article.author_name == "Anna Lind"
    assert article.author_bio == "Anna Lind sails."
    assert article.readings == [] and article.group_names == []


def test_a_short_closing_paragraph_is_not_mistaken_for_an_author():
    text = "Harbour Review\n\nA Short Piece\n\nFirst paragraph.\n\nThe Border\n\nIt runs far.\n"
    article = parse_article_text(text)
    assert article.author_name == ""
    assert article.paragraphs == ["First paragraph.", "The Border", "It runs far."]


@pytest.mark.parametrize(
    ("block", "caption", "credit"),
    [
        ("Boats at rest. (AP Photo/Ana Ruiz)", "Boats at rest.", "AP Photo/Ana Ruiz"),
        ("Boats at rest, in this photo. REUTERS/Ana Ruiz", "Boats at rest, in this photo.",
         "REUTERS/Ana Ruiz"),
        ("Boats at rest. Photo: Ana Ruiz", "Boats at rest.", "Ana Ruiz"),
    ],
)  # fmt: skip
def test_captions_are_recognised_by_their_credit(block, caption, credit):
    assert split_caption(block) == ParsedFigure(caption=caption, credit=credit)


@pytest.mark.parametrize(
    "block",
    [
        "The sanctions (Resolution 2270) had an effect.",
        "Between 1,000-2,000 people cross each year, and/or more.",
        "He said so (and meant it).",
    ],
)
def test_ordinary_paragraphs_are_not_captions(block):
    assert split_caption(block) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n\n \n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"Harbour Review\n\nCaf\xe9 culture\n", "not valid UTF-8"),
    ],
)
def test_bad_bytes_are_refused_with_a_reason(data, message):
    with pytest.raises(ArticleFormatError, match=message):
        decode_article_bytes(data)


def test_a_byte_order_mark_is_not_part_of_the_publication():
    text = decode_article_bytes("\ufeffHarbour Review\n\nTitle\n".encode())
    assert parse_article_text(text).publication == "Harbour Review"


@pytest.mark.parametrize("text", ["Harbour Review\n", "Harbour Review\n\n\u00a0\n", "\u00a0\n"])
def test_text_without_a_title_is_refused(text):
    with pytest.raises(ArticleFormatError, match="no title|empty"):
        parse_article_text(text)


@pytest.mark.parametrize(
    "paragraph",
    [
        "*Not emphasis* and _not either_ and `not code`",
        "<b>not bold</b> and <script>alert(1)</script>",
        "[not a link](https://example.org) and ![no image](x.png)",
        "1. not a list item",
        "- not a bullet",
        "# not a heading",
        "> not a quote",
        "Fish &amp; chips, a \\ backslash, ~~not struck~~",
    ],
)
def test_imported_text_is_never_read_as_markdown(paragraph):
    html = render_markdown(escape_markdown(paragraph))
    assert html.startswith("<p>") and html.rstrip().endswith("</p>")
    assert "<em>" not in html and "<a " not in html and "<script" not in html
    assert "<b>" not in html and "<del>" not in html and "<h1>" not in html
    # What the reader sees is exactly the text of the file.
    from markupsafe import Markup

    assert Markup(html.strip()[3:-4]).unescape() == paragraph


def test_figures_follow_their_paragraph_and_are_escaped():
    body = plain_markdown(["First.", "Second.", "Third."])
    figures = [
        ParsedFigure("Lead <photo>", "A & B/Agency", after_paragraph=0),
        ParsedFigure("Middle", "", after_paragraph=2),
        ParsedFigure("Far", "X/Y", after_paragraph=9),
    ]
    html = render_body(body, figures)
    assert html.split("\n") == [
        '<figure><figcaption>Lead &lt;photo&gt; <small class="credit">A &amp; B/Agency</small>'
        "</figcaption></figure>",
        "<p>First.</p>",
        "<p>Second.</p>",
        "<figure><figcaption>Middle</figcaption></figure>",
        "<p>Third.</p>",
        '<figure><figcaption>Far <small class="credit">X/Y</small></figcaption></figure>',
    ]


def test_markdown_bodies_count_lists_and_quotes_as_one_paragraph_each():
    body = "Intro.\n\n- one\n- two\n\n> quoted\n\nEnd with a [link](https://example.org)."
    html = render_body(body, [ParsedFigure("After the quote", after_paragraph=3)])
    assert html.index("</blockquote>") < html.index("After the quote") < html.index("End with")
    assert 'rel="nofollow ugc noopener"' in html


def test_figure_lines_from_the_editor():
    figures = figures_from_lines("Boats | Ana Ruiz | 2\n\nNets at dawn\nGulls | Ivo | 4\n")
    assert [(f.caption, f.credit, f.after_paragraph) for f in figures] == [
        ("Boats", "Ana Ruiz", 2),
        ("Nets at dawn", "", 2),
        ("Gulls", "Ivo", 4),
    ]
    with pytest.raises(ArticleFormatError, match="Line 1: .*whole number"):
        figures_from_lines("Boats | Ana | two")
    with pytest.raises(ArticleFormatError, match="Line 2"):
        figures_from_lines("Boats\n | credit without caption")
