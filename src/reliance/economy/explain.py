"""The dividend's explanations, worded in the reader's language from the data stored with a distribution
(`PayoutWhy` for each member's line, `NotesWhy` for the reserve): the document keeps numbers, never one
language's sentences, and each reader sees them in theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from reliance.economy.checks import MAX_EXPLANATION
from reliance.economy.entries import PayoutWhy, Quantity
from reliance.economy.format import format_amount, format_points
from reliance.i18n import action_label, t


@dataclass(frozen=True)
class NotesWhy:
    """What a distribution's notes say, as data: each reader words them in their own language
    (`distribution_notes`); the stored `notes` are the author's sentences, shown when this is absent."""

    reserve_bucket: tuple[str, int, int] | None  # (name, percent, amount) of the reserve bucket, if any
    kept_equal: int  # the equal bucket, kept when there is nobody to share it
    kept_contribution: int  # the contribution bucket, kept when nobody has weighted points
    total_points: Fraction


def quantity_text(q: Quantity, lang: str) -> str:
    return t(
        "dividend.quantity",
        lang,
        action=action_label(q.action, lang),
        amount=format_amount(q.amount, q.unit, lang),
    )


def line_text(
    member: str,
    amount: int,
    why: PayoutWhy,
    pool: int,
    unit: str,
    lang: str,
    names: Mapping[str, str] | None,
) -> str:
    def fmt(value: int) -> str:
        return format_amount(value, unit, lang)

    parts: list[str] = []
    if why.equal is not None:
        share, bucket, members = why.equal
        parts.append(t("dividend.equal", lang, amount=fmt(share), members=members, bucket=fmt(bucket)))
    if why.points > 0:
        details = []
        for q in why.counted:
            detail = quantity_text(q, lang)
            if q.factor != 1:
                detail = t(
                    "dividend.acknowledged",
                    lang,
                    quantity=detail,
                    percent=format_points(q.factor * 100, lang),
                )
            details.append(detail)
        parts.append(
            t(
                "dividend.by_contribution",
                lang,
                amount=fmt(why.contribution),
                points=format_points(why.points, lang),
                total=format_points(why.total_points, lang),
                details=", ".join(details),
            )
        )
    body = " + ".join(parts) or t("dividend.no_share", lang)
    if why.no_weighted:
        body += t("dividend.no_weighted", lang)
    if why.unweighted:
        body += t(
            "dividend.unweighted", lang, quantities=", ".join(quantity_text(q, lang) for q in why.unweighted)
        )
    who = (names or {}).get(member, member)
    text = t("dividend.line", lang, who=who, amount=fmt(amount), pool=fmt(pool), body=body)
    return text if len(text) <= MAX_EXPLANATION else text[: MAX_EXPLANATION - 1] + "…"


def notes_text(why: NotesWhy, pool: int, unit: str, reserve: int, version: int, lang: str) -> tuple[str, ...]:
    def fmt(amount: int) -> str:
        return format_amount(amount, unit, lang)

    parts: list[str] = []
    if why.reserve_bucket is not None:
        name, percent, amount = why.reserve_bucket
        parts.append(t("dividend.note.bucket", lang, amount=fmt(amount), name=name, percent=percent))
    if why.kept_equal:
        parts.append(t("dividend.note.kept_equal", lang, amount=fmt(why.kept_equal)))
    if why.kept_contribution:
        parts.append(t("dividend.note.kept_contribution", lang, amount=fmt(why.kept_contribution)))
    detail = " + ".join(parts) or t("dividend.note.nothing", lang)
    return (
        t("dividend.note.reserve", lang, reserve=fmt(reserve), pool=fmt(pool), detail=detail),
        t("dividend.note.policy", lang, version=version, points=format_points(why.total_points, lang)),
    )
