"""The catalogue's texts for the app's first run: the welcome screen that makes an identity, the recovery
phrase shown once and two of its words asked back, and unlocking a key behind a passphrase.

Each entry is `key: (French, English)`, French first, both sides with the same `{placeholders}`, and its key
in one of `NAMESPACES` (the part before the first dot): `reliance.i18n` merges this table with the other
areas' and refuses a key outside them or defined twice (docs/i18n.md).
"""

from __future__ import annotations

NAMESPACES = ("welcome", "unlock")

MESSAGES: dict[str, tuple[str, str]] = {
    "welcome.title": ("Bienvenue dans reliance", "Welcome to reliance"),
    "welcome.intro": (
        "Ici, chacun garde sur sa machine son code social, ses offres et ses besoins, et les comptes de ses "
        "projets. Les pairs du même réseau se trouvent seuls et s'échangent tout directement, sans serveur.",
        "Here everyone keeps, on their own machine, their social code, their offers and needs, and their "
        "projects' accounts. Peers on the same network find each other and exchange everything directly, "
        "with no server.",
    ),
    "welcome.name": ("Votre nom (tel que les autres le verront)", "Your name (as others will see it)"),
    "welcome.name_hint": ("par ex. Camille ou La Fabrique", "e.g. Camille or The Fablab"),
    "welcome.passphrase": ("Phrase secrète (facultative)", "Passphrase (optional)"),
    "welcome.passphrase_hint": ("protège votre clé sur ce disque", "protects your key on this disk"),
    "welcome.passphrase_again": ("la même phrase, encore", "the same passphrase, again"),
    "welcome.language": ("Langue", "Language"),
    "welcome.create": ("Créer mon identité", "Create my identity"),
    "welcome.privacy": (
        "Votre clé ne quitte jamais cette machine. Tout ce que vous publiez est signé par elle.",
        "Your key never leaves this machine. Everything you publish is signed with it.",
    ),
    "welcome.need_name": ("Il faut un nom.", "A name is needed."),
    "welcome.passphrase_mismatch": ("Les deux phrases secrètes diffèrent.", "The two passphrases differ."),
    "welcome.done": (
        "Bienvenue, {name} ! Écrivez votre code social (2) et publiez une offre (3 puis n).",
        "Welcome, {name}! Write your social code (2) and publish an offer (3, then n).",
    ),
    "welcome.phrase_title": ("Votre phrase de récupération", "Your recovery phrase"),
    "welcome.phrase_warning": (
        "Notez ces 24 mots sur papier, dans l'ordre, et gardez-les en lieu sûr. Ils ne seront plus jamais "
        "affichés ni enregistrés nulle part ; eux seuls rebâtissent votre identité si cette machine est "
        "perdue, et qui les connaît peut se faire passer pour vous.",
        "Write these 24 words on paper, in order, and keep them safe. They will never be shown again nor "
        "stored anywhere; only they rebuild your identity if this machine is lost, and whoever knows them "
        "can act as you.",
    ),
    "welcome.phrase_written": ("Je les ai notés", "I have written them down"),
    "welcome.phrase_check_intro": (
        "Pour vérifier votre copie, recopiez deux de ses mots.",
        "To check your copy, type two of its words back.",
    ),
    "welcome.phrase_word": ("Mot n° {number}", "Word #{number}"),
    "welcome.phrase_wrong": (
        "Ce n'est pas le mot n° {number} : relisez votre feuille.",
        "That is not word #{number}: check your sheet.",
    ),
    "welcome.phrase_confirm": ("Continuer", "Continue"),
    "welcome.phrase_again": ("Revoir les mots", "Show the words again"),
    "unlock.title": ("Déverrouiller", "Unlock"),
    "unlock.intro": (
        "La clé de {home} est protégée par une phrase secrète.",
        "The key in {home} is protected by a passphrase.",
    ),
    "unlock.passphrase": ("phrase secrète", "passphrase"),
    "unlock.open": ("Ouvrir", "Open"),
}
