"""``wiki_search`` offline: Okapi BM25 over a local corpus of passages, returning the top passage.

The authors' tool (``src/tools/wikisearch.py`` ``wiki_search``) queries a hosted ColBERTv2 index of
Wikipedia and ``generate_themis.py`` ``wikisearch_api`` returns the text of the top-1 passage
(``wiki_search(tool_inputs, k=1)[0]``). That server is not reachable offline, so this tool ranks a local
corpus with BM25 instead. The default corpus is built from the TARA data itself: every distinct
``wiki_search`` observation recorded in the release (``corpus_from_observations``), i.e. exactly the
passages the authors' retriever returned for the benchmark's queries. It is therefore a small, closed
corpus: it can only return passages some recorded query retrieved, and how often it gives back the
recorded passage for the recorded query is measured in ``tests/test_tool_agreement.py``.

BM25 is rank_bm25's ``BM25Okapi`` (k1 = 1.5, b = 0.75, epsilon = 0.25):
``idf(t) = ln((N - n_t + 0.5) / (n_t + 0.5))``, a negative idf replaced by ``epsilon * mean(idf)``;
``score(q, d) = sum_{t in q} idf(t) * tf(t,d) (k1 + 1) / (tf(t,d) + k1 (1 - b + b |d| / avgdl))``.
Tokens: lower-cased ``\\w+`` runs. Ties go to the earlier passage in corpus order. A query with no
scoring term still returns the first passage of the highest (zero) score, as a ranker that always
answers does; ``detail.score`` records the score so a zero-score hit can be told apart.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assay.tools.registry import ToolContext, ToolResult

_TOKEN = re.compile(r"\w+")


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Hit:
    index: int
    score: float
    text: str


class BM25:
    """Okapi BM25 over ``docs`` (rank_bm25 ``BM25Okapi`` formula and defaults)."""

    def __init__(self, docs: Sequence[str], *, k1: float = 1.5, b: float = 0.75, epsilon: float = 0.25) -> None:
        if not docs:
            raise ValueError("BM25 needs a non-empty corpus")
        self.docs = list(docs)
        self.k1, self.b, self.epsilon = k1, b, epsilon
        self.tfs = [Counter(tokenize(d)) for d in self.docs]
        self.lengths = [sum(tf.values()) for tf in self.tfs]
        self.avgdl = sum(self.lengths) / len(self.docs)
        df: Counter[str] = Counter()
        for tf in self.tfs:
            df.update(tf.keys())
        n = len(self.docs)
        idf = {t: math.log(n - c + 0.5) - math.log(c + 0.5) for t, c in df.items()}
        mean_idf = sum(idf.values()) / len(idf) if idf else 0.0
        floor = self.epsilon * mean_idf
        self.idf = {t: (v if v >= 0 else floor) for t, v in idf.items()}

    def scores(self, query: str) -> list[float]:
        terms = tokenize(query)
        out = []
        for tf, dl in zip(self.tfs, self.lengths, strict=True):
            norm = self.k1 * (1 - self.b + self.b * dl / self.avgdl) if self.avgdl else self.k1
            s = 0.0
            for t in terms:
                f = tf.get(t, 0)
                if f:
                    s += self.idf.get(t, 0.0) * f * (self.k1 + 1) / (f + norm)
            out.append(s)
        return out

    def search(self, query: str, k: int = 1) -> list[Hit]:
        """The top ``k`` passages, best first (ties: earlier passage first)."""
        scores = self.scores(query)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))[:k]
        return [Hit(i, scores[i], self.docs[i]) for i in order]


def corpus_from_observations(observations: Iterable[str]) -> list[str]:
    """Distinct non-empty passages in first-seen order (the corpus built from recorded observations)."""
    seen: dict[str, None] = {}
    for text in observations:
        if isinstance(text, str) and text.strip() and text not in seen:
            seen[text] = None
    return list(seen)


class WikiSearch:
    """``wiki_search``: the top BM25 passage of the local corpus for the query."""

    name = "wiki_search"
    description = "searches Wikipedia. Input: a search query. Output: the most relevant Wikipedia passage."

    def __init__(self, corpus: Sequence[str], *, source: str = "local corpus") -> None:
        self.index = BM25(corpus)
        self.source = source

    def __call__(self, tool_input: str, ctx: ToolContext) -> ToolResult:
        hit = self.index.search(tool_input, k=1)[0]
        return ToolResult(hit.text, detail={"passage": hit.index, "score": round(hit.score, 6), "corpus": self.source})
