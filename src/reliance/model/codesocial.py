"""The #CodeSocial grammar: one set of sections shared by people, organisations and projects."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from reliance.errors import ModelError
from reliance.model.catalogue import check_encodable

MAX_SECTION_CHARS = 100_000


@dataclass(frozen=True)
class Section:
    id: str
    label_fr: str
    label_en: str
    group: str  # sections of one group are shown together (raison d'être, modèles)

    def label(self, lang: str) -> str:
        return self.label_fr if lang == "fr" else self.label_en


SECTIONS: tuple[Section, ...] = (
    Section("histoire", "Histoire", "History", ""),
    Section("contexte", "Contexte", "Context", "raison_d_etre"),
    Section("enjeux", "Enjeux", "Stakes", "raison_d_etre"),
    Section("objectifs", "Objectifs", "Objectives", "raison_d_etre"),
    Section("missions", "Missions", "Missions", "raison_d_etre"),
    Section("valeurs", "Valeurs", "Values", ""),
    Section("regles", "Règles du jeu", "Rules of the game", ""),
    Section("gouvernance", "Gouvernance", "Governance", ""),
    Section("mediation", "Médiation", "Mediation", ""),
    Section("modele_social", "Modèle social et humain", "Social and human model", "modeles"),
    Section("modele_culturel", "Modèle culturel et artistique", "Cultural and artistic model", "modeles"),
    Section("modele_ecologique", "Modèle écologique", "Ecological model", "modeles"),
    Section("modele_economique", "Modèle économique", "Economic model", "modeles"),
    Section("modele_technologique", "Modèle technologique", "Technological model", "modeles"),
    Section(
        "modele_juridique_financier", "Modèle juridique et financier", "Legal and financial model", "modeles"
    ),
    Section("richesses", "Richesses reconnues", "Recognised wealth", ""),
)

SECTION_IDS: tuple[str, ...] = tuple(s.id for s in SECTIONS)
_BY_ID = {s.id: s for s in SECTIONS}
GROUP_LABELS = {
    "raison_d_etre": ("Raison d'être", "Purpose"),
    "modeles": ("Modèles systémiques", "Systemic models"),
}


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
        if folded in (_fold(section.label_fr), _fold(section.label_en)):
            return section.id
    raise ModelError(f"unknown section {name!r}; known sections: {', '.join(SECTION_IDS)}")


def section(section_id_: str) -> Section:
    return _BY_ID[section_id(section_id_)]


def validate_section_text(text: str) -> str:
    if len(text) > MAX_SECTION_CHARS:
        raise ModelError(f"a section holds at most {MAX_SECTION_CHARS} characters")
    if "\x00" in text:
        raise ModelError("a section cannot contain NUL characters")
    check_encodable(text, "the section")
    return text
