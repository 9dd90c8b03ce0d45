"""The prefilter may only save work, never change a result: every text a pattern matches must
contain one of the literals the prefilter derived from it. Checked with texts Hypothesis
generates from each catalogue pattern (and a few of the shapes operators write)."""

import importlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnosis.prefilter import required_literals

CATALOGUE = importlib.import_module("diagnosis.migrations.0003_fault_catalogue").CATALOGUE
PATTERNS = [p for entry in CATALOGUE for p in entry["patterns"]] + [
    r"(Connection|Socket) (reset|closed) by peer",
    r"exit(ed)? with (code|status) -?\d+",
    r"(?:GC|gc) overhead (limit )?exceeded",
    r"Unable to (load|find) (native-hadoop|snappy) library",
]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_match_contains_a_required_literal(pattern):
    literals = required_literals(pattern)
    if literals is None:  # no prefilter: the regex alone decides, nothing to check
        return

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.from_regex(pattern))
    def check(text):
        assert re.search(pattern, text)
        assert any(literal in text for literal in literals), (text, literals)

    check()
