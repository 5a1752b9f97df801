"""redact() searches a text only for what it could contain: skipping a pattern never changes
what is masked (compared with every pattern applied to every text)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from aiops.core import redact as r

PIECES = ["http://", "https://", "u5er:pa55@", "@", "=", ":", ": ", "?", "&", ";", "/", " ", "\"", "'",
          "token", "TOKEN", "api_key", "ApiKey", "apikey", "access-key", "secret", "Password", "passwd", "pwd",
          "Bearer ", "basic ", "Authorization: ", "abc123", "x", "host-00001:8000", "/health", "\n",
          "\u212aey", "\u017fecret", "bas\u0131c ", "tok\u0130n", "é", "0123456789abcdef"]


def everything(text: str) -> str:
    """Each pattern applied whenever a hint is present: what redact did before it skipped any."""
    if any(hint in text for hint in r._HINTS):
        text = r._USERINFO.sub(lambda m: m.group(1) + r.MASK + "@", text)
        text = r._PARAM.sub(lambda m: m.group(1) + r.MASK, text)
        text = r._CREDENTIAL.sub(r._credential, text)
        text = r._SCHEME.sub(lambda m: m.group(1) + m.group(2) + r.MASK, text)
    return text


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=4), max_size=12).map("".join))
def test_skipping_what_cannot_match_masks_the_same(text):
    assert r.redact(text) == everything(text)


def test_the_non_ascii_spellings_the_patterns_fold_are_still_masked():
    assert r.redact("api\u212aey=hunter22") == "api\u212aey=****"  # the Kelvin sign folds to k
    assert r.redact("\u017fecret=hunter22") == "\u017fecret=****"  # the long s folds to s
    assert r.redact("http://host-1:8000/health") == "http://host-1:8000/health"
