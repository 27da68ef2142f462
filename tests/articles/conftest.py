"""Articles in the seed's plain-text shape, written for these tests."""

from __future__ import annotations

import pytest

NBSP = "\u00a0"

# Two captions for one photo (the wire's, then the cleaned one), a stray copy of the title,
# references, the author with a two-paragraph bio, and the group line: the seed's shape.
SAMPLE = f"""Harbour Review

Lighthouses Along the Northern Coast

Keepers wave from the old light at Port Ellery, in this 2019 file photo. HARBOUR PRESS/Anna Lind

Keepers wave from the old light at Port Ellery. (HARBOUR PRESS/Anna Lind)

The northern coast keeps eleven{NBSP}working lighthouses, most older than their towns.

Their keepers are fewer{NBSP} each year: automation arrived late and stayed.

Lighthouses Along the Northern Coast

A map of the eleven lights from Port Ellery to Cape Mor. (Jonas Berg/Coastal Atlas)

Some of the lights are museums now, and two are guest houses booked a year ahead.

A keeper climbs the stairs of the Cape Mor light, Tuesday Jan. 5, 2021. (Coast Photo/Ivo Sand)

A keeper climbs the stairs of the Cape Mor light. (Coast Photo/Ivo Sand)

The last keeper of Cape Mor retires next spring.

To read more on this topic:

Mara Quist, The Last Keepers. Coastal Quarterly. (June 1, 2020)

Tom Reyes, Lights Out? Harbour Weekly. (July 8, 2020) https://example.org/lights-out



Edda Morn

Edda Morn writes about the sea and the people who work on it.

She lives in Port{NBSP}Ellery.

Coastal Walkers Discussion group
"""

TITLE = "Lighthouses Along the Northern Coast"
SLUG = "lighthouses-along-the-northern-coast"


@pytest.fixture
def sample_text() -> str:
    return SAMPLE


@pytest.fixture
def sample_file(tmp_path):
    path = tmp_path / "lighthouses.txt"
    path.write_text(SAMPLE, encoding="utf-8")
    return path
