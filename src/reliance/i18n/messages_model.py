"""The catalogue's texts for the model: what people type (dates, amounts) and the words for its values.

Each entry is `key: (French, English)`, French first, both sides with the same `{placeholders}`, and its key
in one of `NAMESPACES` (the part before the first dot): `reliance.i18n` merges this table with the other
areas' and refuses a key outside them or defined twice (docs/i18n.md).
"""

from __future__ import annotations

NAMESPACES = (
    "when",
    "day",
    "month",
    "repeat",
    "capacity",
    "rsvp",
    "amount",
    "kind",
    "kind_short",
    "item_kind",
    "answer",
    "reciprocity",
    "section",
    "section_group",
    "section_hint",
    "number",
    "removal",
    "role",
    "model",
)

WEEKDAYS = (
    ("lundi", "Monday"),
    ("mardi", "Tuesday"),
    ("mercredi", "Wednesday"),
    ("jeudi", "Thursday"),
    ("vendredi", "Friday"),
    ("samedi", "Saturday"),
    ("dimanche", "Sunday"),
)
MONTHS = (
    ("janvier", "January"),
    ("février", "February"),
    ("mars", "March"),
    ("avril", "April"),
    ("mai", "May"),
    ("juin", "June"),
    ("juillet", "July"),
    ("août", "August"),
    ("septembre", "September"),
    ("octobre", "October"),
    ("novembre", "November"),
    ("décembre", "December"),
)


MESSAGES: dict[str, tuple[str, str]] = {
    # catalogue
    "reciprocity.gift": ("don", "gift"),
    "reciprocity.time": ("temps", "time"),
    "reciprocity.money": ("argent", "money"),
    "reciprocity.barter": ("troc", "barter"),
    # why a change counts for nothing (strong removal, docs/sync-protocol.md)
    "removal.removed": (
        "{who} a été retiré·e par le changement {change}, signé en même temps",
        "{who} was removed by change {change}, made concurrently",
    ),
    "removal.demoted": (
        "{who} a perdu le rôle d'intendant·e par le changement {change}, signé en même temps",
        "{who} lost the steward role by change {change}, made concurrently",
    ),
    "removal.not_member": (
        "{who} n'était pas membre à ce point de l'historique",
        "{who} was not a member at that point of the history",
    ),
    "removal.not_steward": (
        "{who} n'était pas intendant·e à ce point de l'historique",
        "{who} was not a steward at that point of the history",
    ),
    "removal.device_revoked": (
        "signé par un appareil de {who} ({change}) qui a été révoqué, et pas avant sa révocation",
        "signed by a device of {who} ({change}) that was revoked, and not before its revocation",
    ),
    "removal.cycle": (
        "fait partie d'un cycle de retraits simultanés qui ne peut être tranché",
        "part of a cycle of concurrent removals that cannot be decided",
    ),
    "role.steward": ("intendant·e", "steward"),
    "role.member": ("membre", "member"),
    # short kind labels for tables
    "kind.offer": ("Offres", "Offers"),
    "kind.need": ("Besoins", "Needs"),
    "kind.call": ("Appels à contribution", "Calls for contribution"),
    "kind.event": ("Événements", "Events"),
    "kind.seed": ("Graines de connaissance", "Knowledge seeds"),
    "kind_short.offer": ("Offre", "Offer"),
    "kind_short.need": ("Besoin", "Need"),
    "kind_short.call": ("Appel", "Call"),
    "kind_short.event": ("Événem.", "Event"),
    "kind_short.seed": ("Graine", "Seed"),
    "answer.can_help": ("Je peux aider", "I can help"),
    "answer.interested": ("Ça m'intéresse", "I'm interested"),
    # numbers: the thousands separator (a no-break space in French) and the decimal point
    "number.thousands": ("\u00a0", ","),
    "number.point": (",", "."),
    # dates
    "day.0": ("lun.", "Mon"),
    "day.1": ("mar.", "Tue"),
    "day.2": ("mer.", "Wed"),
    "day.3": ("jeu.", "Thu"),
    "day.4": ("ven.", "Fri"),
    "day.5": ("sam.", "Sat"),
    "day.6": ("dim.", "Sun"),
    "month.1": ("janv.", "Jan"),
    "month.2": ("févr.", "Feb"),
    "month.3": ("mars", "Mar"),
    "month.4": ("avr.", "Apr"),
    "month.5": ("mai", "May"),
    "month.6": ("juin", "Jun"),
    "month.7": ("juil.", "Jul"),
    "month.8": ("août", "Aug"),
    "month.9": ("sept.", "Sep"),
    "month.10": ("oct.", "Oct"),
    "month.11": ("nov.", "Nov"),
    "month.12": ("déc.", "Dec"),
    # what people type (dates, amounts), the programme and answers: the errors the model raises, the dates it
    # shows (reliance.model.messages.InputError carries one of these keys)
    **{f"when.weekday.{n}": pair for n, pair in enumerate(WEEKDAYS)},
    **{f"when.month.{n}": pair for n, pair in enumerate(MONTHS, start=1)},
    "when.first_of_month": ("1er", "1"),
    "when.date": ("{weekday} {day} {month} {year}", "{weekday} {day} {month} {year}"),
    "when.datetime": ("{date} à {time}", "{date} at {time}"),
    "when.with_offset": ("{when} (UTC{offset})", "{when} (UTC{offset})"),
    "when.same_day": ("{date}, {begins}–{ends}", "{date}, {begins}–{ends}"),
    "when.span": ("du {begins} au {ends}", "from {begins} to {ends}"),
    "when.error.empty": ("Indiquez une date.", "Give a date."),
    "when.error.too_long": (
        "C'est trop long pour une date (au plus {limit} caractères).",
        "That is too long for a date (at most {limit} characters).",
    ),
    "when.error.unknown": (
        "« {text} » : date non comprise. Par ex. 14/07/2026 10h, 14 juillet 10:00, demain 18h, samedi 14h.",
        "“{text}”: not understood as a date. E.g. 14/07/2026 10:00, 14 July 10am, tomorrow 6pm, "
        "next saturday 2pm.",
    ),
    "when.error.vague": (
        "« {text} » : précisez le jour, par ex. 14 juillet ou 14/07/2026.",
        "“{text}”: say which day, e.g. 14 July or 14/07/2026.",
    ),
    "when.error.iso": (
        "« {text} » n'est pas une date ISO 8601 (par ex. 2026-07-14 ou 2026-07-14T18:00).",
        "“{text}” is not an ISO 8601 date (e.g. 2026-07-14 or 2026-07-14T18:00).",
    ),
    "when.error.ends_before": (
        "La fin ({ends}) est avant le début ({begins}).",
        "The end ({ends}) is before the beginning ({begins}).",
    ),
    "when.error.ends_alone": (
        "Une fin sans début : indiquez aussi quand cela commence.",
        "An end without a beginning: say when it begins too.",
    ),
    "repeat.daily": ("tous les jours jusqu'au {until}", "every day until {until}"),
    "repeat.weekly": ("chaque {weekday} jusqu'au {until}", "every {weekday} until {until}"),
    "repeat.error.until_alone": (
        "Jusqu'à quand, sans répétition : ajoutez --repeat daily ou weekly.",
        "An end of repetition without one: add --repeat daily or weekly.",
    ),
    "repeat.error.freq": (
        "Répétition « {value} » inconnue : daily (tous les jours) ou weekly (chaque semaine).",
        "Unknown repetition “{value}”: daily or weekly.",
    ),
    "repeat.error.until": (
        "« {value} » : une répétition s'arrête un jour donné (AAAA-MM-JJ).",
        "“{value}”: a repetition stops on a given day (YYYY-MM-DD).",
    ),
    "repeat.error.needs_begins": (
        "Une répétition a besoin d'une date de début.",
        "A repetition needs a beginning date.",
    ),
    "repeat.error.until_before": (
        "La répétition s'arrête ({until}) avant le début ({begins}).",
        "The repetition stops ({until}) before it begins ({begins}).",
    ),
    "capacity.error": (
        "Le nombre de places est un nombre entier de 1 à {max}.",
        "The number of places is a whole number from 1 to {max}.",
    ),
    "rsvp.full": (
        "Complet : les {capacity} places de « {title} » sont prises. Vous pouvez dire que ça vous intéresse.",
        "Full: the {capacity} places of “{title}” are taken. You can say you are interested.",
    ),
    "rsvp.full_short": ("Complet", "Full"),
    "rsvp.places_left.one": ("{count} place restante", "{count} place left"),
    "rsvp.places_left.other": ("{count} places restantes", "{count} places left"),
    "rsvp.waiting.one": ("{count} en liste d'attente", "{count} on the waiting list"),
    "rsvp.waiting.other": ("{count} en liste d'attente", "{count} on the waiting list"),
    "rsvp.nothing_to_withdraw": (
        "Rien à retirer : vous n'avez pas répondu « {answer} » à cet élément.",
        "Nothing to withdraw: you have not answered “{answer}” to this item.",
    ),
    # places, answers that become conversations, withdrawing an item (command line and app)
    "rsvp.withdrawn": ("« {answer} » retiré", "withdrew “{answer}”"),
    "rsvp.reply_not_allowed": (
        "Seuls l'auteur de l'élément et l'auteur de la réponse écrivent dans cette conversation.",
        "Only the item's author and the answer's author write in this conversation.",
    ),
    "rsvp.reply_empty": (
        "Écrivez un message, ou un contact.",
        "Write a message, or a contact.",
    ),
    "rsvp.no_answer": ("Pas de réponse {answer} ici.", "No answer {answer} here."),
    "rsvp.thread_full": (
        "Cette conversation a atteint {limit} messages : continuez ailleurs (contact, rendez-vous).",
        "This conversation has reached {limit} messages: go on elsewhere (contact, meeting point).",
    ),
    "rsvp.too_long": (
        "{what} : au plus {limit} caractères (ici {length}).",
        "{what}: at most {limit} characters (here {length}).",
    ),
    "rsvp.field.message": ("Le message", "The message"),
    "rsvp.field.contact": ("Le contact", "The contact"),
    "rsvp.contact_one_line": (
        "Le contact tient sur une ligne.",
        "The contact fits on one line.",
    ),
    "rsvp.item_withdrawn": (
        "« {item} » a été retiré par son auteur.",
        "“{item}” was withdrawn by its author.",
    ),
    "amount.error.empty": ("Indiquez un montant.", "Give an amount."),
    "amount.error.too_long": (
        "C'est trop long pour un montant (au plus {limit} caractères).",
        "That is too long for an amount (at most {limit} characters).",
    ),
    "amount.error.unknown": (
        "« {text} » n'est pas un montant. Par ex. 250, 250,00 ou 1 250,50.",
        "“{text}” is not an amount. E.g. 250, 250.00 or 1,250.50.",
    ),
    "amount.error.ambiguous": (
        "« {text} » est ambigu : écrivez {whole} ou {integer},{fraction}.",
        "“{text}” is ambiguous: write {whole} or {integer}.{fraction}.",
    ),
    "amount.error.grouping": (
        "« {text} » : les milliers se groupent par trois chiffres (par ex. 1 250 000,50).",
        "“{text}”: thousands are grouped by three digits (e.g. 1,250,000.50).",
    ),
    "amount.error.decimals": (
        "« {text} » : en {unit}, au plus {digits} chiffres après la virgule.",
        "“{text}”: in {unit}, at most {digits} digits after the decimal point.",
    ),
    "amount.error.whole": (
        "« {text} » : un montant en {unit} est un nombre entier.",
        "“{text}”: an amount in {unit} is a whole number.",
    ),
    "amount.error.unit": (
        "« {text} » est en {found}, mais l'unité est {unit}.",
        "“{text}” is in {found}, but the unit is {unit}.",
    ),
    "amount.error.negative": (
        "« {text} » : un montant est positif.",
        "“{text}”: an amount is positive.",
    ),
    "amount.error.zero": (
        "« {text} » : un montant est plus grand que zéro.",
        "“{text}”: an amount is above zero.",
    ),
    "amount.error.floor": (
        "« {text} » : un plancher de crédit est zéro ou en dessous (par ex. -50).",
        "“{text}”: a credit floor is zero or below (e.g. -50).",
    ),
    "amount.error.range": (
        "« {text} » est trop grand.",
        "“{text}” is too large.",
    ),
    # the words for the model's values
    "item_kind.offer": ("Offre", "Offer"),
    "item_kind.need": ("Besoin", "Need"),
    "item_kind.call": ("Appel à contribution", "Call for contribution"),
    "item_kind.event": ("Événement", "Event"),
    "item_kind.seed": ("Graine de connaissance", "Knowledge seed"),
    "answer.coming": ("Je viens", "I'm coming"),
    # What to write in each section, one line: from the #CodeSocial's own texts (raison d'être: « décrire le
    # contexte du projet, les enjeux auxquels il entend répondre, les objectifs qu'il se fixe ainsi que les
    # missions envisagées pour atteindre ces objectifs »; « règles du jeu clairement définies »; « processus
    # de médiation, connus de tous et appropriables par chacun »; « matrices de richesses »…)
    "section_hint.histoire": (
        "D'où vient le projet : les étapes, les rencontres, les faits qui l'ont fait.",
        "Where the project comes from: the steps, the meetings, the facts that made it.",
    ),
    "section_hint.contexte": (
        "Le contexte, le territoire, la situation : quels besoins, quelles solutions existent déjà ?",
        "The context, the territory, the situation: which needs, which solutions already exist?",
    ),
    "section_hint.enjeux": (
        "Les enjeux auxquels le projet entend répondre.",
        "The stakes the project means to answer.",
    ),
    "section_hint.objectifs": (
        "Les objectifs que vous vous fixez.",
        "The objectives you set yourselves.",
    ),
    "section_hint.missions": (
        "Quelles missions vous fixez-vous afin d'atteindre vos objectifs ?",
        "Which missions do you give yourselves to reach your objectives?",
    ),
    "section_hint.valeurs": (
        "Les valeurs qui guident vos choix : confiance, transparence, réciprocité…",
        "The values that guide your choices: trust, transparency, reciprocity…",
    ),
    "section_hint.regles": (
        "Les règles du jeu, clairement définies, pour travailler ensemble.",
        "The rules of the game, clearly defined, for working together.",
    ),
    "section_hint.gouvernance": (
        "Qui décide quoi et comment ; comment chacun prend part aux décisions.",
        "Who decides what, and how; how everyone takes part in decisions.",
    ),
    "section_hint.mediation": (
        "Comment les tensions se règlent : une médiation connue de tous et appropriable par chacun.",
        "How tensions are settled: a mediation known to all and usable by everyone.",
    ),
    "section_hint.modele_social": (
        "La place des personnes : accueil, entraide, compétences, façon de travailler ensemble.",
        "The place of people: welcome, mutual help, skills, ways of working together.",
    ),
    "section_hint.modele_culturel": (
        "La création et le partage des savoirs : ce que vous faites naître et transmettez.",
        "Creation and shared knowledge: what you bring to life and pass on.",
    ),
    "section_hint.modele_ecologique": (
        "Les ressources utilisées et l'effet du projet sur le vivant et le territoire.",
        "The resources used and the project's effect on living things and the territory.",
    ),
    "section_hint.modele_economique": (
        "D'où viennent les ressources, et comment la valeur produite est partagée.",
        "Where the resources come from, and how the value produced is shared.",
    ),
    "section_hint.modele_technologique": (
        "Les outils et technologies : logiciels libres, données ouvertes, interopérabilité.",
        "Tools and technologies: free software, open data, interoperability.",
    ),
    "section_hint.modele_juridique_financier": (
        "Le statut, les licences, le financement et la tenue des comptes.",
        "The legal form, the licences, the funding and how the accounts are kept.",
    ),
    "section_hint.richesses": (
        "Les richesses reconnues : ce que chacun apporte et comment la valeur créée ensemble est répartie.",
        "Recognised wealth: what each one brings and how the value made together is shared.",
    ),
    # #CodeSocial sections and their groups (ids in reliance.model.codesocial.SECTIONS)
    "section.histoire": ("Histoire", "History"),
    "section.contexte": ("Contexte", "Context"),
    "section.enjeux": ("Enjeux", "Stakes"),
    "section.objectifs": ("Objectifs", "Objectives"),
    "section.missions": ("Missions", "Missions"),
    "section.valeurs": ("Valeurs", "Values"),
    "section.regles": ("Règles du jeu", "Rules of the game"),
    "section.gouvernance": ("Gouvernance", "Governance"),
    "section.mediation": ("Médiation", "Mediation"),
    "section.modele_social": ("Modèle social et humain", "Social and human model"),
    "section.modele_culturel": ("Modèle culturel et artistique", "Cultural and artistic model"),
    "section.modele_ecologique": ("Modèle écologique", "Ecological model"),
    "section.modele_economique": ("Modèle économique", "Economic model"),
    "section.modele_technologique": ("Modèle technologique", "Technological model"),
    "section.modele_juridique_financier": ("Modèle juridique et financier", "Legal and financial model"),
    "section.richesses": ("Richesses reconnues", "Recognised wealth"),
    "section_group.raison_d_etre": ("Raison d'être", "Purpose"),
    "section_group.modeles": ("Modèles systémiques", "Systemic models"),
    # ---- the model's refusals (reliance.model.catalogue, codesocial): InputError keys
    "model.what.title": ("le titre", "the title"),
    "model.what.description": ("la description", "the description"),
    "model.what.place": ("le lieu", "the place"),
    "model.what.reciprocity": ("la réciprocité", "the reciprocity"),
    "model.what.project": ("le projet", "the project"),
    "model.what.message": ("le message", "the message"),
    "model.what.contact": ("le contact", "the contact"),
    "model.what.tag": ("une étiquette", "a tag"),
    "model.what.section": ("la section", "the section"),
    "model.what.name": ("le nom", "the name"),
    "model.what.begins": ("le début", "begins"),
    "model.what.ends": ("la fin", "ends"),
    "model.error.unknown_kind": (
        "type inconnu {value!r} ; types possibles : {known}",
        "unknown kind {value!r}; use one of: {known}",
    ),
    "model.error.unknown_status": (
        "état inconnu {value!r} ; états possibles : {known}",
        "unknown status {value!r}; use one of: {known}",
    ),
    "model.error.unknown_answer": (
        "réponse inconnue {value!r} ; réponses possibles : {known}",
        "unknown answer {value!r}; use one of: {known}",
    ),
    "model.error.not_iso": (
        "{what} : pas une date ou une heure ISO 8601 : {value!r} (par exemple 2026-07-14T18:00)",
        "{what}: not an ISO 8601 date or time: {value!r} (e.g. 2026-07-14T18:00)",
    ),
    "model.error.too_long": ("{what} dépasse {limit} caractères", "{what} is longer than {limit} characters"),
    "model.error.nul": (
        "{what} ne peut pas contenir de caractère NUL",
        "{what} cannot contain NUL characters",
    ),
    "model.error.not_text": (
        "{what} contient des caractères qui ne sont pas du texte valide",
        "{what} contains characters that are not valid text",
    ),
    "model.error.tag_too_long": (
        "l'étiquette {tag!r}… dépasse {limit} caractères",
        "tag {tag!r}… is longer than {limit} characters",
    ),
    "model.error.too_many_tags": ("au plus {limit} étiquettes", "at most {limit} tags"),
    "model.error.no_title": ("une annonce a besoin d'un titre", "an item needs a title"),
    "model.error.ends_before": (
        "la fin ({ends}) précède le début ({begins})",
        "ends ({ends}) is before begins ({begins})",
    ),
    "model.error.unknown_section": (
        "section inconnue {name!r} ; sections connues : {known}",
        "unknown section {name!r}; known sections: {known}",
    ),
    "model.error.section_too_long": (
        "une section contient au plus {limit} caractères",
        "a section holds at most {limit} characters",
    ),
    # ---- end of the model's refusals
}
