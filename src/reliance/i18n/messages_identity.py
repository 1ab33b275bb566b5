"""The catalogue's texts for identities and devices: recovery phrases, certificates, grants, the device list.

Each entry is `key: (French, English)`, French first, both sides with the same `{placeholders}`, and its key
in one of `NAMESPACES` (docs/i18n.md).
"""

from __future__ import annotations

NAMESPACES = ("device", "identity")

MESSAGES: dict[str, tuple[str, str]] = {
    # certificates and keys
    "device.bad_name": (
        "un nom d'appareil a de 1 à 80 caractères, sans caractère de contrôle",
        "a device name has 1 to 80 characters, with no control characters",
    ),
    "device.bad_key": ("ce n'est pas une clé d'appareil utilisable", "this is not a usable device key"),
    "device.bad_certificate": (
        "certificat d'appareil mal formé ou dont la signature ne tient pas",
        "device certificate malformed, or its signature does not hold",
    ),
    "device.bad_revocation": (
        "révocation d'appareil mal formée ou dont la signature ne tient pas",
        "device revocation malformed, or its signature does not hold",
    ),
    "device.bad_grant": (
        "ce que l'appareil invitant a envoyé n'est pas une autorisation valable",
        "what the inviting device sent is not a valid grant",
    ),
    "device.grant_not_ours": (
        "l'autorisation reçue certifie une autre clé que celle de cet appareil",
        "the grant received certifies another key than this device's",
    ),
    "device.no_join_started": (
        "aucun rattachement commencé dans ce dossier (ou phrase de passe erronée)",
        "no join was started in this home (or the passphrase is wrong)",
    ),
    "device.home_has_identity": (
        "{home} a déjà une identité : un appareil se rattache depuis un dossier vide",
        "{home} has an identity already: a device joins from an empty home",
    ),
    "device.no_participant_key": (
        "cet appareil ne garde pas la clé de participant : faites-le depuis votre premier appareil, "
        "ou après 'reliance init --recover'",
        "this device does not keep the participant key: do this from your first device, "
        "or after 'reliance init --recover'",
    ),
    "device.already_certified": ("cet appareil est déjà certifié", "this device is certified already"),
    "device.too_many": (
        "vous avez déjà {most} appareils : révoquez-en un d'abord",
        "you have {most} devices already: revoke one first",
    ),
    "device.grant_too_large": (
        "vos documents dépassent {most} Mio : trop pour un rattachement (device_grant_bytes)",
        "your documents exceed {most} MiB: too much for one link (device_grant_bytes)",
    ),
    "device.unknown": ("appareil inconnu : {device}", "unknown device: {device}"),
    "device.not_found": ("aucun appareil « {ref} »", "no device {ref!r}"),
    "device.ambiguous": (
        "plusieurs appareils correspondent à « {ref} » : donnez l'empreinte",
        "several devices match {ref!r}: give the fingerprint",
    ),
    "device.revoke_self": (
        "on ne révoque pas l'appareil sur lequel on est",
        "you cannot revoke the device you are using",
    ),
    "device.revocation_too_wide": (
        "cet appareil a écrit dans plus de {most} documents : une révocation ne peut tous les nommer",
        "this device wrote in more than {most} documents: a revocation cannot name them all",
    ),
    "device.already_revoked": ("{name} est déjà révoqué", "{name} is revoked already"),
    "device.revoked": (
        "{name} est révoqué : aucun nœud qui le sait n'accepte plus ce qu'il signe",
        "{name} is revoked: no node that knows it accepts what it signs any more",
    ),
    "device.renamed": ("{old} s'appelle maintenant {new}", "{old} is now called {new}"),
    "device.list.header": (
        "NOM                  EMPREINTE        CRÉÉ        VU          ÉTAT",
        "NAME                 FINGERPRINT      CREATED     LAST SEEN   STATE",
    ),
    "device.list.this": ("cet appareil", "this one"),
    "device.list.revoked": ("révoqué", "revoked"),
    "device.list.never": ("jamais", "never"),
    "device.list.active": ("actif", "active"),
    "device.cloned": (
        "la clé de cet appareil sert déjà sur un autre appareil (dossier identity/ copié ?) : ce dossier "
        "n'écrit plus. Rattachez cette machine comme nouvel appareil avec 'reliance device join'",
        "this device's key is already used by another device (identity/ copied?): this home writes no "
        "more. Link this machine as a new device with 'reliance device join'",
    ),
    # recovery phrase, recovery and key backups
    "identity.phrase_words": (
        "une phrase de récupération a {count} mots",
        "a recovery phrase has {count} words",
    ),
    "identity.phrase_unknown_word": (
        "« {word} » n'est pas un mot de phrase de récupération (BIP-39, anglais)",
        "{word!r} is not a recovery phrase word (BIP-39, English)",
    ),
    "identity.phrase_checksum": (
        "les mots sont connus mais leur somme de contrôle est fausse : un mot est mal recopié ou déplacé",
        "the words are known but their checksum fails: a word is miscopied or out of place",
    ),
    "identity.phrase_shown": (
        "Phrase de récupération (24 mots) — notez-la sur papier et gardez-la en lieu sûr. Elle ne sera "
        "plus jamais affichée ; qui la connaît peut se faire passer pour vous :",
        "Recovery phrase (24 words) — write it on paper and keep it safe. It will never be shown again; "
        "whoever knows it can act as you:",
    ),
    "identity.phrase_prompt": ("Phrase de récupération (24 mots)", "Recovery phrase (24 words)"),
    "identity.recovered": (
        "identité de {name} retrouvée sur un nouvel appareil, {device} ; votre document reviendra par "
        "'reliance sync' ou 'reliance bundle import' ; ensuite, révoquez l'appareil perdu avec "
        "'reliance device revoke NOM'",
        "identity of {name} recovered on a new device, {device}; your document comes back with "
        "'reliance sync' or 'reliance bundle import'; then revoke the lost device with "
        "'reliance device revoke NAME'",
    ),
    "identity.recover_name": (
        "--recover a besoin de --name APPAREIL (le nom de ce nouvel appareil)",
        "--recover needs --name DEVICE (this new device's name)",
    ),
    "identity.no_phrase_single_key": (
        "ce dossier date d'avant les phrases de récupération : sa clé unique ne peut pas devenir une phrase. "
        "Gardez-en une sauvegarde chiffrée avec 'reliance identity backup FICHIER'",
        "this home predates recovery phrases: its single key cannot become a phrase. Keep an encrypted "
        "backup of it with 'reliance identity backup FILE'",
    ),
    "identity.backup_written": (
        "sauvegarde chiffrée de vos clés écrite dans {file} ; sans la phrase de passe elle ne sert à rien",
        "encrypted backup of your keys written to {file}; without the passphrase it is useless",
    ),
    "identity.backup_passphrase": ("Phrase de passe de la sauvegarde", "Backup passphrase"),
    "identity.backup_bad": (
        "{file} n'est pas une sauvegarde d'identité reliance",
        "{file} is not a reliance identity backup",
    ),
    "identity.backup_wrong": (
        "phrase de passe erronée, ou sauvegarde abîmée",
        "wrong passphrase, or a damaged backup",
    ),
    "identity.backup_short": (
        "une phrase de passe de sauvegarde a au moins 8 caractères",
        "a backup passphrase has at least 8 characters",
    ),
    "identity.restored": (
        "identité de {name} restaurée depuis {file} ; votre document reviendra par 'reliance sync' ou "
        "'reliance bundle import'",
        "identity of {name} restored from {file}; your document comes back with 'reliance sync' or "
        "'reliance bundle import'",
    ),
    # ---- the identity's refusals (reliance.identity): IdentityError and PeerIdError keys
    "identity.error.key_length": ("une clé de pair a 32 octets", "a peer key has 32 bytes"),
    "identity.error.prefix": (
        "pas un identifiant de pair (il commence par '{prefix}') : {text!r}",
        "not a peer id (it should start with '{prefix}'): {text!r}",
    ),
    "identity.error.characters": (
        "pas un identifiant de pair (caractères invalides) : {text!r}",
        "not a peer id (bad characters): {text!r}",
    ),
    "identity.error.length": (
        "pas un identifiant de pair (mauvaise longueur) : {text!r}",
        "not a peer id (wrong length): {text!r}",
    ),
    "identity.error.check": (
        "la vérification de l'identifiant de pair a échoué, sans doute une faute de frappe : {text!r}",
        "peer id check failed, probably a typo: {text!r}",
    ),
    "identity.error.no_name": ("il faut un nom (--name)", "a name is needed (--name)"),
    "identity.error.name_length": (
        "le nom dépasse {most} caractères",
        "the name is longer than {most} characters",
    ),
    "identity.error.name_text": (
        "le nom contient des caractères qui ne sont pas du texte valide",
        "the name contains characters that are not valid text",
    ),
    "identity.error.exists": (
        "une identité existe déjà dans {home} ; elle n'est jamais remplacée",
        "an identity already exists in {home}; it is never replaced",
    ),
    "identity.error.cannot_read": (
        "impossible de lire l'identité dans {directory} : {reason}",
        "cannot read the identity in {directory}: {reason}",
    ),
    "identity.error.damaged": (
        "le profil dans {directory} est abîmé",
        "the profile in {directory} is damaged",
    ),
    "identity.error.cannot_write": (
        "impossible d'écrire le profil dans {directory} : {reason}",
        "cannot write the profile in {directory}: {reason}",
    ),
    "identity.error.not_protected": (
        "cette clé n'est pas protégée par une phrase secrète",
        "this key is not protected by a passphrase",
    ),
    "identity.error.protected": (
        "la clé est protégée par une phrase secrète : donnez --passphrase ou --passphrase-file",
        "the key is protected by a passphrase: give --passphrase or --passphrase-file",
    ),
    "identity.error.wrong_passphrase": (
        "mauvaise phrase secrète, ou le fichier de clé est abîmé",
        "wrong passphrase, or the key file is damaged",
    ),
    "identity.error.not_ed25519": (
        "le fichier de clé ne contient pas de clé Ed25519",
        "the key file does not hold an Ed25519 key",
    ),
    "identity.error.not_this_device": (
        "le certificat dans {directory} n'est pas celui de cet appareil",
        "the certificate in {directory} is not this device's",
    ),
    "identity.error.not_this_identity": (
        "la clé de participant dans {directory} n'est pas celle de cette identité",
        "the participant key in {directory} is not this identity's",
    ),
    "identity.error.locked": (
        "la clé est protégée par une phrase secrète : donnez --passphrase ou --passphrase-file pour écrire",
        "the key is protected by a passphrase: give --passphrase or --passphrase-file to write",
    ),
    # ---- end of the identity's refusals
}
