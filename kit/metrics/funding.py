"""Can they pay for it, and when does it reach earnings: operating cash flow against capex,
free cash flow after capex on both capex measures, depreciation against capex, and the
backlog (remaining performance obligations). Frames in, frames out.

The kit's free cash flow is operating cash flow minus capex, on each capex measure, named as
such. A company's own free cash flow, where it states one, is by its own definition
(`free_cash_flow_definitions`): `identity` checks the stated figure against that definition
quarter by quarter, and the two are never compared with the kit's as if alike.
"""

from __future__ import annotations

import pandas as pd

from kit.metrics.measures import ttm, yoy
from kit.schema import COMPARABLE

OCF, DA, FCF, RPO = ("operating_cash_flow", "depreciation_and_amortization", "free_cash_flow",
                     "remaining_performance_obligations")
TOLERANCE_USD = 1e6  # figures in whole millions: the stated figure's rounding
LABELS = ["period_end_date", "quarter_label", "fiscal_year", "fiscal_quarter", "calendar_year",
          "calendar_quarter"]


def funding(quarters: pd.DataFrame, capex_metric: str) -> pd.DataFrame:
    """Per quarter of `quarters` (measures): operating cash flow (ocf_usd); free cash flow
    after capex as reported (fcf_capex_usd: ocf minus `capex_metric`) and after comparable
    capex (fcf_comparable_usd); each capex as a share of operating cash flow; trailing four
    quarters of operating cash flow and of both free cash flows (_ttm_usd, never a partial
    sum); depreciation and amortization (da_usd), its growth and its share of capex as
    reported; the backlog (rpo_usd), a balance at the quarter's end, never summed; the
    company's stated free cash flow (stated_fcf_usd, on its own definition); <name>_source,
    each figure's source in a few words. A figure that cannot be computed is NaN."""
    q = quarters.sort_values("period_end_date").reset_index(drop=True)
    index = q["fiscal_year"] * 4 + q["fiscal_quarter"]
    out = q[LABELS].copy()
    out["ocf_usd"] = q[f"{OCF}_usd"]
    out["capex_usd"], out["comparable_usd"] = q[f"{capex_metric}_usd"], q[f"{COMPARABLE}_usd"]
    for name in ("capex", "comparable"):
        out[f"fcf_{name}_usd"] = out["ocf_usd"] - out[f"{name}_usd"]
        out[f"{name}_to_ocf_pct"] = out[f"{name}_usd"] / out["ocf_usd"] * 100
    for name in ("ocf", "fcf_capex", "fcf_comparable"):
        out[f"{name}_ttm_usd"] = ttm(out[f"{name}_usd"], index)
    out["da_usd"] = q[f"{DA}_usd"]
    out["da_yoy_pct"] = yoy(out["da_usd"], index)
    out["da_to_capex_pct"] = out["da_usd"] / out["capex_usd"] * 100
    out["rpo_usd"] = q[f"{RPO}_usd"]
    out["stated_fcf_usd"] = q[f"{FCF}_usd"]
    for name, metric in (("ocf", OCF), ("capex", capex_metric), ("da", DA), ("rpo", RPO),
                         ("stated_fcf", FCF)):
        out[f"{name}_source"] = q[f"{metric}_brief"]  # in a few words (measures)
    return out


def identity(quarters: pd.DataFrame, subtracts: list[str]) -> pd.DataFrame:
    """The company's stated free cash flow against its own definition, quarter by quarter
    where it states one: operating cash flow minus each metric in `subtracts`.

    Columns: the quarter (LABELS), stated_usd, by_definition_usd (NaN where a part is
    missing), difference_usd (stated minus by definition) and status: holds (within
    TOLERANCE_USD), differs, missing (a part is not in the sources), or circular (a part was
    itself derived from this identity, so it cannot check it)."""
    q = quarters[quarters[f"{FCF}_usd"].notna()].sort_values("period_end_date")
    parts = [OCF, *subtracts]
    by_definition = q[f"{OCF}_usd"] - sum(q[f"{m}_usd"] for m in subtracts)
    circular = pd.concat([q[f"{m}_derivation"].eq("identity") for m in parts], axis=1).any(axis=1)
    missing = q[[f"{m}_usd" for m in parts]].isna().any(axis=1)
    out = q[LABELS].assign(stated_usd=q[f"{FCF}_usd"], by_definition_usd=by_definition)
    out["difference_usd"] = out["stated_usd"] - out["by_definition_usd"]
    out["status"] = ["missing" if m else "circular" if c
                     else "holds" if abs(d) <= TOLERANCE_USD else "differs"
                     for m, c, d in zip(missing, circular, out["difference_usd"])]
    return out.reset_index(drop=True)
