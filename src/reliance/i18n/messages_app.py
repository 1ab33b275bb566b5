"""The catalogue's texts for the app layer (reliance.app: the workspace, projects, settings, drafts): what
it says when it refuses something.

Each entry is `key: (French, English)`, French first, both sides with the same `{placeholders}`, and its key
in one of `NAMESPACES` (the part before the first dot): `reliance.i18n` merges this table with the other
areas' and refuses a key outside them or defined twice (docs/i18n.md).
"""

from __future__ import annotations

NAMESPACES = ("app", "document")

MESSAGES: dict[str, tuple[str, str]] = {
    # drafts (reliance.app.drafts)
    "app.drafts.malformed": ("brouillon mal formé ({what})", "malformed draft ({what})"),
    "app.drafts.unreadable": ("brouillon illisible : {reason}", "unreadable draft: {reason}"),
    "app.drafts.cannot_read": (
        "impossible de lire vos brouillons ({path}) : {reason}",
        "cannot read your drafts ({path}): {reason}",
    ),
    "app.drafts.damaged": (
        "votre fichier de brouillons {path} est abîmé ({reason}) : mettez-le de côté",
        "your drafts file {path} is damaged ({reason}): move it away",
    ),
    # projects (reliance.app.projects)
    "app.project.ambiguous": (
        "plusieurs projets correspondent à {ref!r} : donnez l'identifiant du projet",
        "several projects match {ref!r}: use the project id",
    ),
    "app.project.none": ("pas de projet {ref!r}", "no project {ref!r}"),
    "app.project.no_entry": (
        "pas d'écriture {id!r} dans le registre de ce projet",
        "no entry {id!r} in this project's ledger",
    ),
    "app.project.visibility": (
        "visibilité inconnue {value!r} ; choisissez members ou public",
        "unknown visibility {value!r}; use members or public",
    ),
    "app.project.name_length": (
        "un nom de projet a de 1 à {most} caractères",
        "a project name has 1 to {most} characters",
    ),
    "app.project.not_member": (
        "vous n'êtes pas membre du projet {name!r}",
        "you are not a member of project {name!r}",
    ),
    "app.project.stewards_only": (
        "seuls les responsables du projet {name!r} peuvent faire cela",
        "only stewards of project {name!r} can do this",
    ),
    "app.project.role": (
        "rôle inconnu {value!r} ; choisissez member ou steward",
        "unknown role {value!r}; use member or steward",
    ),
    "app.project.not_a_member": (
        "{peer}… n'est pas membre de ce projet",
        "{peer}… is not a member of this project",
    ),
    "app.project.last_steward": (
        "un projet garde au moins un responsable : nommez d'abord un autre responsable",
        "a project keeps at least one steward: name another steward first",
    ),
    "app.project.contribution_kind": (
        "type de contribution inconnu {value!r} ; types possibles : {known}",
        "unknown contribution kind {value!r}; use one of: {known}",
    ),
    "app.project.floor": (
        "une limite de crédit est un plancher nul ou négatif (par exemple -5000)",
        "a credit limit is a floor at or below zero (e.g. -5000)",
    ),
    "app.project.policy_object": (
        "un fichier de politique contient un objet JSON",
        "a policy file holds a JSON object",
    ),
    "app.project.pool_negative": (
        "le montant à répartir ne peut pas être négatif",
        "the pool cannot be negative",
    ),
    "app.project.no_distribution": (
        "pas de distribution {id!r} dans ce projet",
        "no distribution {id!r} in this project",
    ),
    "app.project.acknowledged": (
        "vous avez déjà reconnu l'écriture {id} à {factor} %",
        "you already acknowledged entry {id} at {factor} %",
    ),
    "app.project.spent_more": (
        "le projet a dépensé plus qu'il n'a gagné en {unit} sur cette période : donnez --pool",
        "the project spent more than it earned in {unit} over this period: give --pool",
    ),
    "app.project.floor_not_integer": ("son plancher n'est pas un entier", "its floor is not an integer"),
    # settings (reliance.app.settings)
    "app.settings.unknown": (
        "réglage inconnu {setting!r} ; réglages : {known}",
        "unknown setting {setting!r}; settings: {known}",
    ),
    "app.settings.port": ("{setting} est un nombre de 1 à 65535", "{setting} is a number from 1 to 65535"),
    "app.settings.switch": ("{setting} vaut on ou off", "{setting} is on or off"),
    "app.settings.choice": ("{setting} vaut l'un de : {known}", "{setting} is one of: {known}"),
    "app.settings.damaged": ("impossible de lire {file} : {reason}", "cannot read {file}: {reason}"),
    # the workspace (reliance.app.workspace)
    "app.workspace.unknown_document": ("document inconnu : {doc}", "unknown document: {doc}"),
    "app.workspace.no_identity": (
        "pas encore d'identité dans {home} : lancez d'abord 'reliance init --name NOM'",
        "no identity in {home} yet: run 'reliance init --name NAME' first",
    ),
    "app.workspace.own_document_missing": (
        "votre propre document n'est pas dans ce dossier (identité restaurée ?) : récupérez-le d'abord avec "
        "'reliance serve', 'reliance sync HÔTE:PORT' ou 'reliance bundle import FICHIER' ; écrire maintenant "
        "commencerait une seconde histoire que vos pairs refusent (si plus personne ne l'a : "
        "'reliance init --new-history')",
        "your own document is not in this home (restored identity?): get it back first with "
        "'reliance serve', 'reliance sync HOST:PORT' or 'reliance bundle import FILE'; "
        "writing now would start a second history that your peers refuse (if nobody has it any "
        "more: 'reliance init --new-history')",
    ),
    "app.workspace.own_document_here": (
        "votre document est là : il n'y a rien à recommencer",
        "your document is here: there is nothing to start again",
    ),
    "app.workspace.not_yours": (
        "l'annonce {id} est à quelqu'un d'autre ; seul son auteur peut la modifier",
        "item {id} belongs to someone else; only its author can change it",
    ),
    "app.workspace.no_item": ("pas d'annonce {id}", "no item {id}"),
    "app.workspace.published": (
        "l'annonce {id} est déjà publiée : elle ne peut pas redevenir un brouillon (archivez-la plutôt)",
        "item {id} is already published: it cannot become a draft again (archive it instead)",
    ),
    "app.workspace.draft": (
        "l'annonce {id} est votre brouillon : personne d'autre ne la voit (publiez-la d'abord)",
        "item {id} is your draft: nobody else sees it (publish it first)",
    ),
    "app.workspace.name_length": ("un nom a de 1 à {most} caractères", "a name has 1 to {most} characters"),
    "app.workspace.control_in_name": (
        "un nom ne peut pas contenir de caractères de contrôle ou de mise en forme (codes d'échappement, "
        "marques de direction)",
        "a name cannot contain control or formatting characters (escape codes, direction marks)",
    ),
    # what a ledger shows beside its balances (reliance.app.projects.ledger_view, verify_distribution)
    "app.ledger.entry_ignored": ("écriture {id} ignorée : {reason}", "entry {id} ignored: {reason}"),
    "app.ledger.entry_not_counted": (
        "écriture {id} non comptée : {reason}",
        "entry {id} not counted: {reason}",
    ),
    "app.ledger.ack_not_counted": (
        "reconnaissance {id} non comptée : {reason}",
        "acknowledgement {id} not counted: {reason}",
    ),
    "app.ledger.ack_ignored": (
        "reconnaissance {id} ignorée : {reason}",
        "acknowledgement {id} ignored: {reason}",
    ),
    "app.ledger.limit_ignored": (
        "limite de crédit {limit!r} ignorée : {reason}",
        "credit limit {limit!r} ignored: {reason}",
    ),
    "app.ledger.policy_unusable": (
        "la politique enregistrée est inutilisable ({reason}) ; la politique par défaut s'applique",
        "the recorded policy is unusable ({reason}); the default policy applies",
    ),
    "app.ledger.distribution_not_counted": (
        "cette distribution ne compte pas : {reason}",
        "this distribution does not count: {reason}",
    ),
    "app.ledger.bad_heads": (
        "les têtes enregistrées ne sont pas des empreintes valides",
        "the recorded heads are not valid hashes",
    ),
    "app.ledger.missing_changes": (
        "il manque à cette copie les changements d'après lesquels la distribution a été calculée : {changes}",
        "this copy lacks the changes the distribution was computed from: {changes}",
    ),
    "app.ledger.policy_version": (
        "la version {recorded} de la politique a été enregistrée, le document avait la {had}",
        "policy version {recorded} was recorded, the document had {had}",
    ),
    # the documents (reliance.doc, reliance.replication.docstore): DocumentError and StoreError keys
    "document.error.no_map": ("le document n'a pas de dictionnaire '{name}'", "document has no '{name}' map"),
    "document.error.project_no_map": (
        "le document de projet n'a pas de dictionnaire '{name}'",
        "project document has no '{name}' map",
    ),
    "document.error.no_answer": ("pas de réponse {id}", "no answer {id}"),
    "document.error.no_item": ("pas d'annonce {id}", "no item {id}"),
    "document.error.no_document": (
        "pas de document {doc} dans ce magasin",
        "no document {doc} in this store",
    ),
}
