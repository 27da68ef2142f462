"""The demo's discussions: who says what, and to whom, under each demo article.

Written for the demo; every post goes through the same service a reader's reply does.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Say:
    """A post by the demo account ``author`` (a key of ``ACCOUNTS``) and the replies to it."""

    author: str
    body: str
    replies: tuple[Say, ...] = field(default=())


def say(author: str, body: str, *replies: Say) -> Say:
    return Say(author, body, replies)


# Keyed by the article file's name in forum/demo/articles.
CONVERSATIONS: dict[str, tuple[Say, ...]] = {
    "01_climate_migration.txt": (
        say(
            "reader",
            "The point that most people never cross a border surprised me. I had always "
            "pictured climate migration as an international problem first.",
            say(
                "organiser",
                "It surprised our group last season too. Maybe that is a question for "
                "Thursday: if most movement is internal, whose problem is it to plan for?",
                say(
                    "reader2",
                    "Whoever pays for the schools in the receiving town, in practice. The "
                    "article says the budget rarely follows the people, and I believe it.",
                    say(
                        "reader",
                        "Could national governments tie transfers to population counts "
                        "that are updated every year instead of every census? That would "
                        "at least make the money follow.",
                        say(
                            "organiser",
                            "Some countries already do something like that for school "
                            "funding. I'll bring an example to the session.",
                        ),
                    ),
                    say(
                        "moderator",
                        "A gentle reminder to keep it about policies rather than the "
                        "people moving. So far this is a model thread, thank you all.",
                    ),
                ),
            ),
            say(
                "admin",
                "For anyone new: the reading list at the end of each article is a good "
                "place to start before the session.",
            ),
        ),
        say(
            "reader2",
            "Planned relocation sounds sensible on paper, but the paragraph about graves "
            "and fishing rights is the real story. People are not furniture.",
            say(
                "reader",
                "Agreed. The article's line that it worked where residents chose the site "
                "and the timetable seems like the whole lesson.",
                say(
                    "reader2",
                    "And that takes years, which is exactly what a government facing an "
                    "election does not have.",
                ),
            ),
        ),
        say(
            "organiser",
            "Question for everyone before we meet: is labour migration a fair way to "
            "frame climate adaptation, or does it turn people into a workforce first?",
            say(
                "reader",
                "A bit of both. A visa that lets someone send money home can do more than "
                "most aid, but only if it comes with rights.",
            ),
        ),
    ),
    "02_arctic.txt": (
        say(
            "reader2",
            "I did not know the northern route mostly carries energy cargo. The shorter "
            "distance sounded like it would change everything for container ships.",
            say(
                "organiser",
                "The short and unpredictable season is the catch. Shipping lines care more "
                "about arriving on the day they promised than about arriving early.",
            ),
        ),
        say(
            "reader",
            "The part about Indigenous organisations having a seat at the table was new "
            "to me. Is that arrangement really unusual?",
            say(
                "admin",
                "Quite unusual for an intergovernmental body, as far as I know. Worth "
                "raising in the session.",
            ),
        ),
    ),
    "03_critical_minerals.txt": (
        say(
            "organiser",
            "For Thursday: is requiring local processing before export fair, or does it "
            "just scare away the investment those countries need?",
            say(
                "reader",
                "It seems fair if the rules are stable. Investors can live with conditions; "
                "what they hate is conditions that change every election.",
                say(
                    "reader2",
                    "That cuts both ways. Stable rules that lock in a bad deal for thirty "
                    "years are not much better.",
                ),
            ),
        ),
        say(
            "moderator",
            "Links to sources are welcome in this thread; please say what a link is about "
            "rather than posting it bare.",
        ),
    ),
    "04_nato.txt": (
        say(
            "reader",
            "The observation that spending totals say little about what the money buys "
            "deserves more attention than the percentage debates get.",
            say(
                "organiser",
                "Good one for the ballot after the session: should the target count "
                "spending, or things delivered?",
            ),
        ),
    ),
}
