"""The #CodeSocial grammar: one set of sections shared by people, organisations and projects."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from reliance.i18n import LANGS, phrase, section_label
from reliance.model.catalogue import check_encodable
from reliance.model.messages import InputError

MAX_SECTION_CHARS = 100_000


@dataclass(frozen=True)
class Section:
    id: str
    group: str  # sections of one group are shown together (raison d'être, modèles)

    def label(self, lang: str) -> str:
        """The section's name in `lang` (the catalogue's `section.<id>`)."""
        return section_label(self.id, lang)


# Their names are in the catalogue (`section.<id>`, `section_group.<group>`).
SECTIONS: tuple[Section, ...] = (
    Section("histoire", ""),
    Section("contexte", "raison_d_etre"),
    Section("enjeux", "raison_d_etre"),
    Section("objectifs", "raison_d_etre"),
    Section("missions", "raison_d_etre"),
    Section("valeurs", ""),
    Section("regles", ""),
    Section("gouvernance", ""),
    Section("mediation", ""),
    Section("modele_social", "modeles"),
    Section("modele_culturel", "modeles"),
    Section("modele_ecologique", "modeles"),
    Section("modele_economique", "modeles"),
    Section("modele_technologique", "modeles"),
    Section("modele_juridique_financier", "modeles"),
    Section("richesses", ""),
)

SECTION_IDS: tuple[str, ...] = tuple(s.id for s in SECTIONS)
_BY_ID = {s.id: s for s in SECTIONS}
GROUPS: tuple[str, ...] = ("raison_d_etre", "modeles")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("-", "_").replace(" ", "_").replace("'", "_")


def section_id(name: str) -> str:
    """Accept an id, the dotted form `raison_d_etre.contexte`, or a French/English label."""
    folded = _fold(name)
    if "." in folded:
        group, _, rest = folded.partition(".")
        if rest in _BY_ID and _BY_ID[rest].group == group:
            return rest
    if folded in _BY_ID:
        return folded
    for section in SECTIONS:
        if folded in {_fold(section.label(lang)) for lang in LANGS}:
            return section.id
    raise InputError("model.error.unknown_section", field="section", name=name, known=", ".join(SECTION_IDS))


def section(section_id_: str) -> Section:
    return _BY_ID[section_id(section_id_)]


def validate_section_text(text: str) -> str:
    if len(text) > MAX_SECTION_CHARS:
        raise InputError("model.error.section_too_long", limit=MAX_SECTION_CHARS)
    if "\x00" in text:
        raise InputError("model.error.nul", what=phrase("model.what.section"))
    check_encodable(text, phrase("model.what.section"))
    return text
