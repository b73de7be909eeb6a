"""The offline tools against every observation recorded in the TARA release.

Measured on the shared slice (``../shared/data/themis_tara``):

* calculator: 305 of 308 recorded observations (99.0%). The three others are data-construction artifacts
  the released ``calculation_api`` cannot produce: ``calculator_test_75`` (pos and neg) record the answer
  "#### 9.00" as "predicted answer 900.0" (the released regex reads 9.0), and ``calculator_test_19`` pos
  records the final answer 10 for the input ``<<2*5=10>>10, <<40/10=4>>4`` (the released loop ends on 4.0).
* Calendar: 500 of 500 (212 calendar steps, 288 multi_tools ``target_day`` steps).
* history_weather and translate replay: 604 of 604 and 600 of 600.
* wiki_search (BM25 over the corpus of recorded passages): 544 of 568 (95.8%).
* code_run (slow, sandbox): the pass rate and counts agree on 377 of 378; the full text on 325 of 378,
  the rest being Python 3.11's wording of SyntaxError/TypeError messages (the data has Python 3.8's) and
  one set order; the one pass-rate difference, ``code_train_201`` pos, compares floats from libm exactly.
"""

from __future__ import annotations

import re

import pytest

from assay.benchmarks import tara
from assay.benchmarks.registry import LoadOptions
from assay.samples import Item
from conftest import shared_data

KNOWN_CALCULATOR_ARTIFACTS = {
    "calculator:calculator_test_19:pos",
    "calculator:calculator_test_75:pos",
    "calculator:calculator_test_75:neg",
}


def _agreement(subsets: tuple[str, ...], only: tuple[str, ...]) -> dict:
    from assay.tools.agreement import agreement

    root = shared_data("themis_tara")
    res = tara.load_items(LoadOptions(data=str(root), subsets=subsets))
    items = [s for s in res.samples if isinstance(s, Item)]
    stats = agreement(tara.recorded_calls(items), tara.toolbox(tara.data_root(items)), only=only)
    for name, st in stats.items():
        print(f"{name}: {st['agree']}/{st['n']} = {st['rate']:.4f}")
        for m in st["mismatches"][:10]:
            print(f"  {m['key']} input={m['input']!r:.80}")
            print(f"    recorded: {m['recorded']!r:.160}\n    tool:     {m['tool']!r:.160}")
    return stats


def test_calculator_and_calendar_agree_with_recorded_observations() -> None:
    stats = _agreement(("calculator", "calendar", "multi_tools"), ("calculator", "Calendar"))
    calc, cal = stats["calculator"], stats["Calendar"]
    assert calc["n"] == 308 and cal["n"] == 500
    assert cal["agree"] == cal["n"]  # every recorded calendar observation reproduced
    assert {m["key"] for m in calc["mismatches"]} <= KNOWN_CALCULATOR_ARTIFACTS
    assert calc["rate"] >= 305 / 308


def test_replayed_tools_and_bm25_wiki_search() -> None:
    stats = _agreement(
        ("weather", "translator", "multi_tools", "wikisearch"), ("history_weather", "translate", "wiki_search")
    )
    assert stats["history_weather"]["agree"] == stats["history_weather"]["n"] == 604
    assert stats["translate"]["agree"] == stats["translate"]["n"] == 600
    wiki = stats["wiki_search"]
    assert wiki["n"] == 568 and wiki["rate"] >= 0.95  # measured 544/568


@pytest.mark.slow
def test_code_run_pass_rates_agree_with_recorded_observations() -> None:
    pytest.importorskip("assay.sandbox")
    code = _agreement(("code",), ("code_run",))["code_run"]

    def head(text: str) -> str:  # the pass rate and the passed/failed counts, without the failure reasons
        return re.sub(r" Failed reason: .*", "", text, flags=re.S)

    rate_mismatch = [m for m in code["mismatches"] if head(m["recorded"]) != head(m["tool"])]
    print(f"code_run pass rate and counts: {code['n'] - len(rate_mismatch)}/{code['n']}")
    assert code["n"] == 378
    assert {m["key"] for m in rate_mismatch} <= {"code:code_train_201:pos"}
    assert code["agree"] >= 320  # measured 325 exact texts
