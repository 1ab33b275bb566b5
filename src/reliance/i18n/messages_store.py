"""The catalogue's texts for the store and the automerge binding (reliance.store, reliance.automerge): a
document that cannot be read or written, why its files are not what the store writes, a change over a limit.

Each entry is `key: (French, English)`, French first, both sides with the same `{placeholders}`, and its key
in one of `NAMESPACES` (the part before the first dot): `reliance.i18n` merges this table with the other
areas' and refuses a key outside them or defined twice (docs/i18n.md).
"""

from __future__ import annotations

NAMESPACES = ("store", "crdt")

MESSAGES: dict[str, tuple[str, str]] = {
    # a document's files (reliance.store.docfiles, doclock, repository)
    "store.error.snapshot_unreadable": (
        "l'instantané du document {doc} est illisible : {reason}",
        "the snapshot of document {doc} is unreadable: {reason}",
    ),
    "store.error.log_header": (
        "le journal du document {doc} a un en-tête illisible",
        "the log of document {doc} has an unreadable header",
    ),
    "store.error.log_newer": (
        "le journal du document {doc} est de la génération {log}, son instantané de la génération "
        "{snapshot} : l'instantané manque ou est plus ancien que son journal",
        "the log of document {doc} is of generation {log}, its snapshot of {snapshot}: the "
        "snapshot is missing or older than its log",
    ),
    "store.error.write": (
        "impossible d'écrire le document {doc} : {reason}",
        "cannot write document {doc}: {reason}",
    ),
    "store.error.not_a_doc_id": (
        "{id} n'est pas un identifiant de document",
        "not a document id: {id}",
    ),
    "store.error.no_document": (
        "pas de document {doc} ici",
        "no document {doc} in this store",
    ),
    "store.error.change_too_big": (
        "cette modification fait {size} octets, au-delà de la limite de {most} octets d'une modification : "
        "rien n'a été écrit",
        "this change is {size} bytes, over the {most}-byte limit of a change: nothing was written",
    ),
    "store.error.document_too_big": (
        "le document {doc} ferait {size} octets, au-delà de sa limite de {most} octets : rien n'a été écrit",
        "document {doc} would hold {size} bytes, over its limit of {most} bytes: nothing was written",
    ),
    "store.error.moved": (
        "le document {doc} a changé pendant qu'on vérifiait un lot pour lui : rien n'a été écrit",
        "document {doc} changed while a batch for it was checked: nothing was written",
    ),
    "store.error.created_meanwhile": (
        "le document {doc} a été créé pendant qu'on vérifiait un lot pour lui : rien n'a été écrit",
        "document {doc} was created while a batch for it was checked: nothing was written",
    ),
    "store.error.kept_changing": (
        "le document {doc} n'a cessé de changer pendant qu'on vérifiait un lot pour lui : "
        "réessayez plus tard",
        "document {doc} kept changing while a batch for it was checked: try again later",
    ),
    # why a file of the store is not what the store writes (reliance.store.files.Damaged)
    "store.damaged.unpacked": (
        "ce n'est pas ce que le magasin écrit ({detail})",
        "not what the store writes ({detail})",
    ),
    "store.damaged.not_a_map": ("ce n'est pas un dictionnaire", "not a map"),
    "store.damaged.generation": (
        "sa génération n'est pas un nombre de {least} à {most}",
        "its generation is not a number from {least} to {most}",
    ),
    "store.damaged.other_document": ("il est celui d'un autre document", "it names another document"),
    "store.damaged.format": ("format d'instantané inconnu", "unknown snapshot format"),
    "store.damaged.saved_not_bytes": (
        "son document enregistré n'est pas une suite d'octets",
        "its saved document is not bytes",
    ),
    "store.damaged.saved_disagrees": (
        "son document enregistré et sa liste de modifications ne s'accordent pas",
        "its saved document and its list of changes disagree",
    ),
    "store.damaged.saved_heads": (
        "son document enregistré ne se termine pas par des modifications de sa liste",
        "its saved document does not end with changes of its list",
    ),
    "store.damaged.list": (
        "sa liste de modifications n'est pas une liste",
        "its list of changes is not a list",
    ),
    "store.damaged.pair": (
        "une entrée de sa liste de modifications n'est pas une paire",
        "an entry of its list of changes is not a pair",
    ),
    "store.damaged.hash": (
        "une empreinte de modification ne fait pas {size} octets",
        "a change hash is not {size} bytes",
    ),
    "store.damaged.signature": (
        "une signature ne fait pas {size} octets (avec le certificat de son auteur)",
        "a signature is not {size} bytes (with its author's certificate)",
    ),
    "store.damaged.twice": ("une modification y figure deux fois", "a change is listed twice"),
    # the automerge binding (reliance.automerge.crdt)
    "crdt.error.refused": (
        "automerge n'a pas pu {action} : {detail}",
        "automerge could not {action}: {detail}",
    ),
    "crdt.error.panic": (
        "automerge a échoué en voulant {action} ({kind})",
        "automerge failed to {action} ({kind})",
    ),
    "crdt.error.poisoned": (
        "ce document est inutilisable après une panne dans automerge : rechargez-le",
        "this document is unusable after a failure inside automerge; reload it",
    ),
    "crdt.error.patch": ("un changement qu'automerge décrit est illisible", "unreadable patch"),
    # what automerge was asked to do, in the two texts above (`_guard(action)`)
    "crdt.action.load": ("charger un document enregistré", "load a saved document"),
    "crdt.action.change": ("écrire une modification", "write a change"),
    "crdt.action.apply": ("appliquer des modifications", "apply changes"),
    "crdt.action.save": ("enregistrer le document", "save the document"),
    "crdt.action.fork": ("copier le document", "fork the document"),
    "crdt.action.generate_sync": ("préparer un message de synchronisation", "generate a sync message"),
    "crdt.action.receive_sync": ("recevoir un message de synchronisation", "receive a sync message"),
    "crdt.action.heads": ("lire les têtes", "read the heads"),
    "crdt.action.changes": ("lister les modifications", "list changes"),
    "crdt.action.keys": ("lire les clés", "read keys"),
    "crdt.action.length": ("lire une longueur", "read a length"),
    "crdt.action.text": ("lire un texte", "read text"),
    "crdt.action.read": ("lire le document", "read the document"),
    "crdt.action.diff": ("calculer une différence", "compute a diff"),
    "crdt.action.read_chunk": ("lire un morceau de document", "read a document chunk"),
}
