"""The catalogue's texts for linking a device (`reliance device invite` / `join`, and Settings → Devices in
the app): codes, the exchange's outcomes, the screens' words.

Each entry is `key: (French, English)`, French first, both sides with the same `{placeholders}`, and its key
in one of `NAMESPACES` (the part before the first dot): `reliance.i18n` merges this table with the other
areas' and refuses a key outside them or defined twice (docs/i18n.md).
"""

from __future__ import annotations

NAMESPACES = ("link",)

MESSAGES: dict[str, tuple[str, str]] = {
    # codes as typed
    "link.code.shape": (
        "un code d'invitation est un nombre et deux mots, par exemple 7-guitar-ocean",
        "an invitation code is a number and two words, e.g. 7-guitar-ocean",
    ),
    "link.code.number": (
        "le code doit commencer par le numéro de l'invitation (1 à 99)",
        "the code must start with the invitation's number (1 to 99)",
    ),
    "link.code.unknown_word": (
        "un mot du code n'est pas dans la liste : vérifiez-le",
        "a word of the code is not in the list: check it",
    ),
    "link.code.too_long": ("ce code est bien trop long", "this code is far too long"),
    # why a link ended (the inviter's side, the joiner's side)
    "link.why.wrong-code": (
        "mauvais code : l'invitation est épuisée (un seul essai) ; demandez-en une nouvelle",
        "wrong code: the invitation is spent (one try only); ask for a new one",
    ),
    "link.why.wrong-code.inviter": (
        "quelqu'un a essayé un mauvais code : l'invitation est épuisée ; relancez 'reliance device invite'",
        "someone tried a wrong code: the invitation is spent; run 'reliance device invite' again",
    ),
    "link.why.expired": (
        "cette invitation a expiré : demandez un nouveau code",
        "this invitation has expired: ask for a new code",
    ),
    "link.why.expired.inviter": (
        "l'invitation a expiré sans que personne ne la rejoigne",
        "the invitation expired and nobody joined",
    ),
    "link.why.spent": (
        "cette invitation a déjà été utilisée (ou essayée avec un mauvais code) : demandez un nouveau code",
        "this invitation was already used (or tried with a wrong code): ask for a new code",
    ),
    "link.why.unknown-number": (
        "l'appareil joint n'a pas d'invitation avec ce numéro : vérifiez le code",
        "the device reached has no invitation with this number: check the code",
    ),
    "link.why.version": (
        "l'autre appareil parle une autre version de reliance : mettez les deux à jour",
        "the other device speaks another version of reliance: update both",
    ),
    "link.why.malformed": (
        "l'autre appareil a envoyé un message invalide ; le lien est abandonné",
        "the other device sent an invalid message; the link was given up",
    ),
    "link.why.too-large": (
        "l'autre appareil a envoyé un message trop grand ; le lien est abandonné",
        "the other device sent a message that is too large; the link was given up",
    ),
    "link.why.closed": (
        "la connexion avec l'autre appareil s'est fermée avant la fin",
        "the connection with the other device closed before the end",
    ),
    "link.why.timeout": (
        "l'autre appareil n'a pas répondu à temps",
        "the other device did not answer in time",
    ),
    "link.why.refused": (
        "l'autre appareil n'a pas pu terminer le lien",
        "the other device could not finish the link",
    ),
    # the inviter
    "link.invite.code": ("code : {code}", "code: {code}"),
    "link.invite.addresses": ("adresse : {addresses}", "address: {addresses}"),
    "link.invite.waiting": (
        "Sur le nouvel appareil : reliance device join {code} --name NOM (expire dans {minutes} min)",
        "On the new device: reliance device join {code} --name NAME (expires in {minutes} min)",
    ),
    "link.invite.linked": (
        "appareil « {name} » lié : il écrit pour vous dès maintenant",
        "device '{name}' linked: it writes for you from now on",
    ),
    "link.invite.grant_failed": (
        "l'appareil « {name} » a le bon code, mais cet appareil ne peut pas le certifier : {reason}",
        "device '{name}' has the right code, but this device cannot certify it: {reason}",
    ),
    "link.invite.late.expired": (
        "un appareil a essayé de rejoindre après l'expiration de l'invitation : il lui a été dit "
        "de demander un nouveau code",
        "a device tried to join after the invitation expired: it was told to ask for a new code",
    ),
    "link.invite.late.spent": (
        "un appareil a essayé de rejoindre une invitation déjà utilisée : il lui a été dit "
        "de demander un nouveau code",
        "a device tried to join after the invitation was already used: it was told to ask for a new code",
    ),
    "link.invite.listen_failed": (
        "impossible d'écouter sur {address} : {reason}",
        "cannot listen on {address}: {reason}",
    ),
    # the joiner
    "link.join.has_identity": (
        "ce dossier a déjà une identité ({home}) : rejoignez depuis un dossier neuf (--home DOSSIER)",
        "this home already has an identity ({home}): join from a new one (--home DIR)",
    ),
    "link.join.bad_name": (
        "nom d'appareil invalide : 1 à {most} caractères, sans caractère de contrôle",
        "invalid device name: 1 to {most} characters, no control characters",
    ),
    "link.join.bad_address": (
        "adresse invalide {address} : attendu HÔTE:PORT",
        "invalid address {address}: expected HOST:PORT",
    ),
    "link.join.searching": (
        "recherche de l'invitation {number} sur le réseau local…",
        "looking for invitation {number} on the local network…",
    ),
    "link.join.not_found": (
        "aucune invitation {number} trouvée sur le réseau local : donnez --address HÔTE:PORT",
        "no invitation {number} found on the local network: give --address HOST:PORT",
    ),
    "link.join.several": (
        "plusieurs invitations {number} sur le réseau : donnez --address HÔTE:PORT",
        "several invitations {number} on the network: give --address HOST:PORT",
    ),
    "link.join.unreachable": (
        "l'invitation ne répond pas à {addresses} : elle a peut-être expiré ou servi ; "
        "demandez-en une nouvelle",
        "the invitation does not answer at {addresses}: it may have expired or been used; ask for a new one",
    ),
    "link.join.grant_refused": (
        "l'invitation reçue ne peut pas être utilisée : {reason}",
        "the grant received cannot be used: {reason}",
    ),
    "link.join.joined": (
        "cet appareil « {device} » écrit désormais pour {name} ({peer_id})",
        "this device '{device}' now writes for {name} ({peer_id})",
    ),
    # the app: Settings → Devices
    "link.tui.title": ("Appareils", "Devices"),
    "link.tui.intro": (
        "Les appareils qui écrivent pour vous. Révoquez celui que vous avez perdu.",
        "The devices that write for you. Revoke one you lost.",
    ),
    "link.tui.col.name": ("Nom", "Name"),
    "link.tui.col.fingerprint": ("Empreinte", "Fingerprint"),
    "link.tui.col.created": ("Créé", "Created"),
    "link.tui.col.state": ("État", "State"),
    "link.tui.this_one": ("cet appareil", "this one"),
    "link.tui.revoked": ("révoqué", "revoked"),
    "link.tui.active": ("actif", "active"),
    "link.tui.invite": ("Inviter un appareil", "Invite a device"),
    "link.tui.join": ("Rejoindre avec un code", "Join with a code"),
    "link.tui.rename": ("Renommer", "Rename"),
    "link.tui.revoke": ("Révoquer", "Revoke"),
    "link.tui.close": ("Fermer", "Close"),
    "link.tui.cancel": ("Annuler", "Cancel"),
    "link.tui.none": ("Aucun appareil enregistré.", "No device recorded."),
    "link.tui.rename_prompt": ("Nouveau nom de « {name} »", "New name for '{name}'"),
    "link.tui.renamed": ("« {old} » s'appelle maintenant « {new} »", "'{old}' is now called '{new}'"),
    "link.tui.revoke_confirm": (
        "Révoquer « {name} » ? Ce qu'il signera ensuite sera refusé partout. C'est définitif.",
        "Revoke '{name}'? What it signs from now on is refused everywhere. This cannot be undone.",
    ),
    "link.tui.revoked_done": ("« {name} » est révoqué", "'{name}' is revoked"),
    "link.tui.cannot_revoke_self": (
        "Impossible de révoquer cet appareil depuis lui-même.",
        "This device cannot revoke itself.",
    ),
    "link.tui.invite_waiting": (
        "Sur le nouvel appareil, choisissez « Rejoindre avec un code » et tapez :",
        "On the new device, choose 'Join with a code' and type:",
    ),
    "link.tui.invite_expires": (
        "L'invitation expire dans {minutes} min.",
        "The invitation expires in {minutes} min.",
    ),
    "link.tui.join_prompt": ("Code affiché sur l'autre appareil", "Code shown on the other device"),
    "link.tui.join_name": ("Nom de cet appareil", "This device's name"),
    "link.tui.join_address": ("Adresse (facultative) HÔTE:PORT", "Address (optional) HOST:PORT"),
    "link.tui.join_running": ("Connexion à l'invitation…", "Reaching the invitation…"),
    "link.tui.join_needs_new_home": (
        "Cet appareil a déjà une identité : rejoignez depuis un dossier reliance neuf "
        "(reliance --home DOSSIER).",
        "This device already has an identity: join from a new reliance home (reliance --home DIR).",
    ),
}
