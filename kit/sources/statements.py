"""statements.json and additions/statements.csv: sourced sentences; additions/guidance.csv:
the outlooks they carry."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kit import paths
from kit.schema import DataError
from kit.sources.common import parse_day, read_csv, read_json

_STATEMENT_FIELDS = ["ticker", "event_date", "event_date_source", "fiscal_period", "kind",
                     "speaker", "source_type", "source_title", "source_url", "text", "text_lang",
                     "text_en", "note", "conflict", "conflict_settled"]


_GUIDANCE_FIELDS = ["guidance_low_usd_bn", "guidance_high_usd_bn", "guidance_usd_bn",
                    "prior_low_usd_bn", "prior_high_usd_bn", "prior_usd_bn"]


def statements(src: Path, tickers: list[str], corrections: pd.DataFrame,
                log) -> pd.DataFrame:
    doc = read_json(src / "statements.json")
    items = [dict(item, source_url=item.get("url"), source_id="statements",
                  note="; ".join(x for x in (item.get("note"), item.get("check")) if x))
             for item in doc["items"]]
    for _, fix in corrections[corrections["source_id"] == "statements"].iterrows():
        hits = [i for i in items if i["source_url"] == fix["key"]]
        if len(hits) != 1:
            raise DataError(f"additions/corrections.csv: {fix['key']} matches "
                            f"{len(hits)} statements; it must match exactly one")
        hits[0][fix["field"]] = fix["value"]
        if fix["field"] == "event_date":
            hits[0]["event_date_source"] = (f"corrected by the kit: {fix['note']} "
                                            f"({fix['source_url']})")
    added = read_csv(paths.additions_dir() / "statements.csv").to_dict("records")
    _check_seed_quotes(src, added)
    items += [dict(a, source_id="additions") for a in added]
    rows = []
    for item in items:
        if item["ticker"] not in tickers:
            continue
        row = {f: item.get(f) or None for f in _STATEMENT_FIELDS}
        row["source_id"] = item["source_id"]
        row["text_lang"] = row["text_lang"] or "en"
        row["event_date"] = parse_day(row["event_date"]) if row["event_date"] else None
        for f in _GUIDANCE_FIELDS:
            row["_" + f] = float(item[f]) if item.get(f) not in (None, "") else None
        rows.append(row)
    df = pd.DataFrame(rows)
    order = df["event_date"].map(lambda d: d.isoformat() if d else "undated")
    df["statement_id"] = (df["ticker"] + "-" + order + "-"
                          + (df.groupby([df["ticker"], order]).cumcount() + 1)
                          .map("{:02d}".format))
    undated = df[df["event_date"].isna()]
    for _, r in undated.iterrows():
        log(f"note: statement {r['statement_id']} has no date and is shown only undated")
    return df


def translations(found: pd.DataFrame) -> pd.DataFrame:
    """additions/statement_translations.csv: each row must name a statement whose text
    begins with its `original_start` (so that a renumbered statement is caught), in another
    language than the statement's own."""
    path = paths.additions_dir() / "statement_translations.csv"
    rows = read_csv(path)
    by_id = found.set_index("statement_id")
    out = []
    for i, row in enumerate(rows.to_dict("records"), start=2):
        sid = row["statement_id"]
        where = f"{path.name}, line {i}"
        if sid not in by_id.index:
            raise DataError(f"{where}: statement_id {sid!r} is not a statement; use an id "
                            "from data/statements.csv")
        statement = by_id.loc[sid]
        if not " ".join(statement["text"].split()).startswith(
                " ".join(str(row["original_start"]).split())):
            raise DataError(f"{where}: statement {sid} does not begin with "
                            f"{row['original_start']!r}; the ids moved, match it again")
        if row["lang"] == statement["text_lang"]:
            raise DataError(f"{where}: statement {sid} is already in {row['lang']!r}")
        out.append(dict(statement_id=sid, ticker=statement["ticker"], lang=row["lang"],
                        text=row["text"], reviewed_date=parse_day(row["reviewed_date"]),
                        note=row.get("note") or None, source_id="additions"))
    return pd.DataFrame(out, columns=["statement_id", "ticker", "lang", "text",
                                      "reviewed_date", "note", "source_id"])


def _check_seed_quotes(src: Path, added: list[dict]) -> None:
    """Rows citing the seed article must quote it exactly."""
    seed_dir = src.parent / "seed"
    if not seed_dir.is_dir():
        return
    text = " ".join(" ".join(p.read_text().split()) for p in seed_dir.glob("*.txt"))
    for i, row in enumerate(added, start=2):
        if row["source_title"] and " ".join(row["text"].split()) not in text:
            raise DataError(f"additions/statements.csv, line {i}, column text: not found in "
                            f"the article in {seed_dir}; quote it exactly")


def guidance(statements: pd.DataFrame, companies: pd.DataFrame) -> pd.DataFrame:
    """Capex outlooks: from the numeric fields of statements.json, and from
    additions/guidance.csv, whose rows name the statement (by URL) and quote the words that
    carry the figure; the build checks the quote against the statement's text and the
    figures against any the statement already has. One statement may carry several outlooks
    (for several years). Each outlook's basis is its row's, else the company's
    `guidance_basis`."""
    extra: dict[str, list[tuple[int, dict]]] = {}
    added = read_csv(paths.additions_dir() / "guidance.csv").to_dict("records")
    for i, r in enumerate(added, start=2):
        extra.setdefault(r["source_url"], []).append((i, r))
    basis = dict(zip(companies["ticker"], companies["guidance_basis"]))
    rows = []
    for s in statements.to_dict("records"):
        bn = {f: None if pd.isna(s["_" + f]) else s["_" + f] for f in _GUIDANCE_FIELDS}
        low, high = bn["guidance_low_usd_bn"], bn["guidance_high_usd_bn"]
        kind = "range"
        if low is None and bn["guidance_usd_bn"] is not None:
            low = high = bn["guidance_usd_bn"]
            kind = "point"
        year = int(s["kind"][-4:]) if str(s["kind"])[-4:].isdigit() else None
        prior_low, prior_high = bn["prior_low_usd_bn"], bn["prior_high_usd_bn"]
        if prior_low is None:
            prior_low = prior_high = bn["prior_usd_bn"]
        own = dict(fiscal_year=year, fiscal_quarter=None, per="year", guidance_kind=kind,
                   low=low, high=high, basis=basis.get(s["ticker"]) or "unstated")
        outlooks = [own] if low is not None and year is not None else []
        for line, add in extra.pop(s["source_url"], []):
            where = f"additions/guidance.csv, line {line}"
            if " ".join(add["quote"].split()) not in " ".join(str(s["text"]).split()):
                raise DataError(f"{where}, column quote: not found in the text of the statement "
                                "at that URL; quote it exactly")
            new = dict(fiscal_year=int(add["fiscal_year"]),
                       fiscal_quarter=int(add["fiscal_quarter"]) if add["fiscal_quarter"]
                       else None, per=add["per"], guidance_kind=add["guidance_kind"],
                       low=float(add["low_usd_bn"]) if add["low_usd_bn"] else None,
                       high=float(add["high_usd_bn"]) if add["high_usd_bn"] else None,
                       basis=add["basis"] or own["basis"])
            same = [o for o in outlooks if o is own and o["fiscal_year"] == new["fiscal_year"]]
            if same and (new["low"], new["high"] if add["high_usd_bn"] else own["high"]) \
                    != (own["low"], own["high"]):
                raise DataError(f"{where}: {new['low']}, {new['high']} disagrees with the "
                                f"statement's own figures ({own['low']}, {own['high']})")
            outlooks = [o for o in outlooks if not same or o is not own] + [new]
        if pd.isna(s["event_date"]):
            continue  # shown with the statements as undated; the tracker needs a date
        for o in outlooks:
            prior = (prior_low, prior_high) if o is own or o["fiscal_year"] == year \
                else (None, None)
            rows.append(dict(
                ticker=s["ticker"], fiscal_year=o["fiscal_year"],
                fiscal_quarter=o["fiscal_quarter"], per=o["per"],
                guidance_kind=o["guidance_kind"], basis=o["basis"], low_usd=_usd(o["low"]),
                high_usd=_usd(o["high"]),
                given_date=s["event_date"],
                prior_low_usd=_usd(prior[0]), prior_high_usd=_usd(prior[1]),
                source_id=s["source_id"], source_type=s["source_type"],
                source_url=s["source_url"]))
    if extra:
        url, [(line, _), *_] = next(iter(extra.items()))
        raise DataError(f"additions/guidance.csv, line {line}, column source_url: {url} is not "
                        "the URL of any statement")
    return pd.DataFrame(rows)


def _usd(billions: float | None) -> float | None:
    return None if billions is None or pd.isna(billions) else billions * 1e9
