"""The catalogue's texts for the command line, the exports, bundles and one-shot sync.

Each entry is `key: (French, English)`, French first, both sides with the same `{placeholders}`, and its key
in one of `NAMESPACES` (the part before the first dot): `reliance.i18n` merges this table with the other
areas' and refuses a key outside them or defined twice (docs/i18n.md).
"""

from __future__ import annotations

NAMESPACES = ("cli", "export", "bundle", "sync")

MESSAGES: dict[str, tuple[str, str]] = {
    # command line
    "cli.unreadable_skipped": (
        "document {doc} laissé de côté, illisible : {reason}",
        "left out document {doc}, which cannot be read: {reason}",
    ),
    "cli.error": ("reliance : erreur : {text}", "reliance: error: {text}"),
    "cli.unexpected": (
        "reliance : erreur inattendue : {kind} : {text}",
        "reliance: unexpected error: {kind}: {text}",
    ),
    "cli.aborted": ("reliance : abandon", "reliance: aborted"),
    "cli.interrupted": ("reliance : interrompu", "reliance: interrupted"),
    "cli.cannot_read": ("impossible de lire {file} : {reason}", "cannot read {file}: {reason}"),
    "cli.cannot_write": ("impossible d'écrire {file} : {reason}", "cannot write {file}: {reason}"),
    "cli.not_json": ("{file} n'est pas du JSON : {reason}", "{file} is not JSON: {reason}"),
    "cli.arrived.nothing": ("rien de nouveau", "nothing new"),
    "cli.arrived.marked": ("tout est marqué lu", "everything is marked read"),
    "cli.wrote": ("{file} écrit", "wrote {file}"),
    "cli.no_home": (
        "pas de dossier reliance dans {home} : lancez d'abord 'reliance init --name NOM'",
        "no home at {home}: run 'reliance init --name NAME' first",
    ),
    "cli.passphrase.unreadable": (
        "impossible de lire le fichier de la phrase secrète : {reason}",
        "cannot read the passphrase file: {reason}",
    ),
    "cli.passphrase.new_prompt": ("Nouvelle phrase secrète", "New passphrase"),
    "cli.passphrase.new_needed": (
        "sans terminal, donnez la nouvelle phrase secrète avec --new-passphrase-file FICHIER (ou --remove)",
        "without a terminal, give the new passphrase with --new-passphrase-file FILE (or --remove)",
    ),
    "cli.passphrase.remove_or_new": (
        "--remove ou --new-passphrase-file, pas les deux",
        "--remove or --new-passphrase-file, not both",
    ),
    "cli.passphrase.changed": (
        "phrase secrète changée ; votre identifiant reste le même",
        "passphrase changed; your peer id stays the same",
    ),
    "cli.passphrase.removed": (
        "la clé n'a plus de phrase secrète : protégez ce dossier",
        "the key has no passphrase any more: keep this folder safe",
    ),
    "cli.passphrase.empty": ("le fichier de la phrase secrète est vide", "the passphrase file is empty"),
    "cli.passphrase.needed": (
        "la clé est protégée par une phrase secrète : donnez --passphrase-file FICHIER",
        "the key is protected by a passphrase: give --passphrase-file FILE",
    ),
    "cli.bundle.not_yours": (
        "le projet {name} est réservé à ses membres et vous n'en êtes pas : "
        "ce n'est pas à vous de le transmettre",
        "project {name} is for its members only and you are not one of them: it is not yours to hand on",
    ),
    "cli.bundle.no_document": ("pas de document {doc} ici", "no document {doc} in this store"),
    "export.csv_needs_project": (
        "--format csv exporte le grand livre d'un projet : donnez --project P",
        "--format csv exports a project's ledger: give --project P",
    ),
    "export.unknown_format": ("format d'export {format} inconnu", "unknown export format {format}"),
    "cli.init.name_required": (
        "--name NOM est obligatoire : le nom que les autres verront",
        "--name NAME is required: the name others will see",
    ),
    "cli.init.created": ("identité créée pour {name}", "created identity for {name}"),
    "cli.init.peer_id": ("identifiant : {peer_id}", "peer id:     {peer_id}"),
    "cli.init.fingerprint": ("empreinte :   {fingerprint}", "fingerprint: {fingerprint}"),
    "cli.init.new_history": (
        "nouvel historique de votre document commencé ({peer}…) ; "
        "les pairs qui gardent l'ancien refuseront celui-ci",
        "started a new history of your document ({peer}…); peers still holding the old one will refuse it",
    ),
    "cli.code.text_or_file": (
        "donnez le texte, ou --file FICHIER (l'un des deux)",
        "give the text, or --file FILE (one of them)",
    ),
    "cli.code.saved": ("{section} : enregistrée", "{section}: saved"),
    "cli.code.unchanged": ("{section} : inchangée", "{section}: unchanged"),
    "cli.code.editor_failed": (
        "impossible de lancer l'éditeur {editor} : {reason}",
        "cannot start the editor {editor}: {reason}",
    ),
    "cli.code.editor_status": (
        "l'éditeur s'est arrêté avec le code {status} ; rien n'est enregistré",
        "the editor exited with status {status}; nothing saved",
    ),
    "cli.code.no_amendment": ("pas encore de modification", "no amendment yet"),
    "cli.item.needs_title": ("un élément a besoin d'un titre (--title)", "an item needs a title (--title)"),
    "cli.item.nothing_found": ("rien trouvé", "nothing found"),
    "cli.when.understood": ("reliance : compris : {when}", "reliance: understood: {when}"),
    "cli.when.repeating": ("{when}, {repeat}", "{when}, {repeat}"),
    "cli.programme.empty": ("Rien au programme.", "Nothing on the programme."),
    "cli.programme.empty_day": ("Rien au programme ce jour-là.", "Nothing on the programme that day."),
    "cli.programme.with_kind": ("{title} ({kind})", "{title} ({kind})"),
    "cli.option_error": ("{option} : {text}", "{option}: {text}"),
    "cli.item.nothing_to_update": (
        "rien à modifier : donnez au moins une option (par ex. --title)",
        "nothing to update: give at least one option (e.g. --title)",
    ),
    "cli.serve.started": (
        "nœud reliance {name} ({peer}) — Ctrl+C pour l'arrêter",
        "reliance node {name} ({peer}) — stop with Ctrl+C",
    ),
    "cli.serve.cannot_listen": (
        "impossible d'écouter sur {address} : {reason}",
        "cannot listen on {address}: {reason}",
    ),
    "cli.peers.no_node": (
        "aucun nœud ne tourne sur ce dossier (lancez-en un avec 'reliance serve') ; pairs connus :",
        "no node is running on this home (start one with 'reliance serve'); known peers:",
    ),
    "cli.peers.listening": ("nœud en écoute sur {address}", "node listening on {address}"),
    "cli.peers.none": (
        "pas encore de pair — 'reliance doctor' explique pourquoi personne n'est trouvé",
        "no peer yet — 'reliance doctor' explains why nobody is found",
    ),
    "cli.peers.never": ("jamais", "never"),
    "cli.peers.in_sync": ("{synced}/{total} documents à jour", "{synced}/{total} docs in sync"),
    "cli.peers.row": (
        "{state} {name} {address} vu {seen} {sync}  {peer}",
        "{state} {name} {address} seen {seen} {sync}  {peer}",
    ),
    "cli.sync.done": (
        "synchronisé avec {name} ({peer}…) : {received} changements reçus dans {documents} documents, "
        "{sent} changements envoyés, {seconds} s",
        "synced with {name} ({peer}…): received {received} changes in {documents} documents, "
        "sent {sent} changes, {seconds} s",
    ),
    "cli.peer.added": (
        "{address} ajoutée ; un nœud lancé l'appelle dans la seconde ('reliance sync {address}' synchronise "
        "une fois tout de suite)",
        "added {address}; a running node dials it within a second ('reliance sync {address}' syncs once now)",
    ),
    "cli.peer.accepted": ("{peer} accepté", "accepted {peer}"),
    "cli.project.visibility.members": ("réservé aux membres", "members only"),
    "cli.project.visibility.public": ("public", "public"),
    "cli.project.visibility_now": ("{name} est maintenant {visibility}", "{name} is now {visibility}"),
    "cli.project.none": ("pas encore de projet", "no project yet"),
    "cli.project.row": (
        "{id}  {name}  — {visibility}, {members} membre(s){role}",
        "{id}  {name}  — {visibility}, {members} members{role}",
    ),
    "cli.project.created": ("créé le {at} par {by}", "created {at} by {by}"),
    "cli.project.public": (
        "visibilité : public (son document va à quiconque se synchronise)",
        "visibility: public (its document goes to anyone who syncs)",
    ),
    "cli.project.members_only": (
        "visibilité : réservé aux membres (son document ne va qu'aux appareils de ses membres)",
        "visibility: members only (its document goes only to its members' devices)",
    ),
    "cli.project.role_now": ("{peer}… est maintenant {role}", "{peer}… is now {role}"),
    "cli.project.removed": ("{peer}… retiré·e", "{peer}… removed"),
    "cli.project.bad_dimension": (
        "--dim attend NOM=ENTIER, pas {text}",
        "--dim takes NAME=INTEGER, not {text}",
    ),
    "cli.project.transfer_needs_to": (
        "un transfert a besoin de --to IDENTIFIANT (ou --to @project)",
        "a transfer needs --to PEER_ID (or --to @project)",
    ),
    "cli.project.no_entry": ("pas encore d'écriture", "no entry yet"),
    "cli.project.reversed": ("  (annulée)", "  (reversed)"),
    "cli.project.not_counted": ("  (non comptée : {reason})", "  (not counted: {reason})"),
    "cli.project.no_balance": ("pas encore de solde", "no balance yet"),
    "cli.project.account": ("projet", "project"),
    "cli.project.limit_set": (
        "plancher de crédit de {member} en {unit} : {floor}",
        "credit floor of {member} in {unit}: {floor}",
    ),
    "cli.project.no_dimension": (
        "aucune richesse enregistrée (ajoutez-en avec 'project contribute ... --dim joie=3')",
        "no dimension recorded yet (record some with 'project contribute ... --dim joy=3')",
    ),
    "cli.policy.saved": ("politique version {version} enregistrée", "policy version {version} saved"),
    "cli.policy.version": ("politique version {version}", "policy version {version}"),
    "cli.policy.default": (
        "politique version {version} (politique par défaut)",
        "policy version {version} (default policy)",
    ),
    "cli.policy.weight": ("  poids : {weight}", "  weight: {weight}"),
    "cli.policy.factors": (
        "  facteurs de reconnaissance {min}–{max} %",
        "  acknowledgement factors {min}–{max} %",
    ),
    "cli.dividend.head": (
        "somme {pool}, réserve {reserve}, politique v{version}",
        "pool {pool}, reserve {reserve}, policy v{version}",
    ),
    "cli.dividend.note": ("  note : {note}", "  note: {note}"),
    "cli.dividend.recorded": ("enregistrée sous {id}", "recorded as {id}"),
    "cli.dividend.empty_pool": (
        "rien à partager ({pool}) : ajoutez --yes pour enregistrer quand même une distribution vide",
        "nothing to share ({pool}): add --yes to record an empty distribution all the same",
    ),
    "cli.dividend.confirmed": (
        "✓ confirmée : le recalcul donne les mêmes versements",
        "✓ confirmed: recomputing gives the same payouts",
    ),
    "cli.block.done": ("bloqué", "blocked"),
    "cli.block.already": ("déjà bloqué", "already blocked"),
    "cli.unblock.done": ("débloqué", "unblocked"),
    "cli.unblock.not_blocked": ("n'était pas bloqué", "was not blocked"),
    "cli.blocks.none": ("personne n'est bloqué", "nobody is blocked"),
    "cli.blocks.row": ("{peer}  depuis {since}{reason}", "{peer}  since {since}{reason}"),
    "cli.bundle.wrote": (
        "{changes} changements de {documents} documents écrits dans {file}",
        "wrote {changes} changes of {documents} documents to {file}",
    ),
    "cli.bundle.waiting": (
        ", {count} en attente de changements antérieurs",
        ", {count} waiting for earlier changes",
    ),
    "cli.bundle.not_kept.one": (
        ", {count} changement en attente non gardé",
        ", {count} waiting change not kept",
    ),
    "cli.bundle.not_kept.other": (
        ", {count} changements en attente non gardés",
        ", {count} waiting changes not kept",
    ),
    "cli.bundle.added": ("{doc} : {count} changements ajoutés{extra}", "{doc}: {count} changes added{extra}"),
    "cli.bundle.imported": ("{count} nouveaux changements importés", "imported {count} new changes"),
    # bundle import: refusal, interruption, and what the next open did with an interrupted import
    "bundle.refused": (
        "paquet refusé, rien n'a été importé : {reason}",
        "bundle refused, nothing imported: {reason}",
    ),
    "bundle.interrupted": (
        "import du paquet interrompu après {done} documents sur {total} ({reason}) ; le reste sera importé "
        "à la prochaine ouverture de ce profil",
        "bundle import stopped after {done} of {total} documents ({reason}); the rest will be imported the "
        "next time this home is opened",
    ),
    "bundle.journal.completed": (
        "un import de paquet interrompu ({source}, {started}) a été terminé : ses {total} documents sont "
        "importés en entier ({changes} changements manquaient encore)",
        "an interrupted bundle import ({source}, {started}) was completed: all its {total} documents are "
        "imported ({changes} changes were still missing)",
    ),
    "bundle.journal.incomplete": (
        "un import de paquet interrompu ({source}, {started}) n'a pas pu être terminé : {failed} refusé "
        "({reason}) ; {done} documents sur {total} sont importés",
        "an interrupted bundle import ({source}, {started}) could not be completed: {failed} refused "
        "({reason}); {done} of {total} documents are imported",
    ),
    "bundle.journal.retry": (
        "un import de paquet interrompu ({source}) n'a pas encore pu être terminé ({reason}) ; {done} "
        "documents sur {total} sont importés, le reste le sera à la prochaine ouverture",
        "an interrupted bundle import ({source}) could not be completed yet ({reason}); {done} of {total} "
        "documents are imported, the rest will be at the next open",
    ),
    "bundle.journal.damaged": (
        "le journal d'un import de paquet interrompu était illisible et a été supprimé ({reason}) : "
        "importez à nouveau le paquet pour être sûr d'avoir tous ses documents",
        "the journal of an interrupted bundle import was unreadable and was removed ({reason}): import the "
        "bundle again to be sure all its documents are in",
    ),
    "cli.warning": ("reliance : attention : {text}", "reliance: warning: {text}"),
    # settings
    "export.json": ("JSON (tout)", "JSON (everything)"),
    "export.markdown": ("Markdown (mon code et mes éléments)", "Markdown (my code and items)"),
    "export.markdown_catalogue": (
        "Markdown : le catalogue, à imprimer",
        "Markdown: the catalogue, for printing",
    ),
    "export.markdown_programme": (
        "Markdown : le programme, à imprimer",
        "Markdown: the programme, for printing",
    ),
    "export.jsonld": ("JSON-LD (ValueFlows)", "JSON-LD (ValueFlows)"),
    "export.csv": ("CSV (grand livre d'un projet)", "CSV (a project's ledger)"),
    "export.ics": ("iCalendar (le programme)", "iCalendar (the programme)"),
    # the Markdown export
    "export.md.code_title": ("Code social de {name}", "Social code of {name}"),
    "export.md.catalogue": ("Catalogue contributif", "Contributive catalogue"),
    "export.md.fact": ("- **{label}** : {value}", "- **{label}**: {value}"),
    "export.md.place": ("Lieu", "Place"),
    "export.md.begins": ("Début", "Begins"),
    "export.md.ends": ("Fin", "Ends"),
    "export.md.reciprocity": ("Réciprocité", "Reciprocity"),
    "export.md.tags": ("Étiquettes", "Tags"),
    "export.md.when": ("Quand", "When"),
    "export.md.repeat": ("Répétition", "Repeats"),
    "export.md.byline": ("*{kind} — {status} — {author}*", "*{kind} — {status} — {author}*"),
    "export.md.programme": ("Programme", "Programme"),
    "export.md.programme_empty": ("Rien au programme.", "Nothing on the programme."),
    "export.md.continued": ("suite", "continued"),
    "export.md.entry": ("- **{when}** {what}", "- **{when}** {what}"),
    "export.md.undated_entry": ("- {what}", "- {what}"),
    "export.md.title_at": ("{title} — {place}", "{title} — {place}"),
    # the CSV export
    "export.csv.delimiter": (";", ","),
    "export.csv.project_account": ("le projet", "the project"),
    "export.csv.bad_delimiter": (
        "séparateur {delimiter} impossible : donnez un seul signe (par ex. ; , | ou tab)",
        "cannot separate fields with {delimiter}: give one sign (e.g. ; , | or tab)",
    ),
    "export.delimiter_only_csv": (
        "--delimiter ne sert qu'à --format csv",
        "--delimiter is only for --format csv",
    ),
    "export.content_only_markdown": (
        "--content ne sert qu'à --format markdown",
        "--content is only for --format markdown",
    ),
    # places, answers that become conversations, withdrawing an item (command line and app)
    "cli.item.places": ("places :     {places}", "places:      {places}"),
    "cli.item.waiting_position": ("liste d'attente n° {position}", "waiting list #{position}"),
    "cli.item.contact": ("contact / rendez-vous : {contact}", "contact / meeting point: {contact}"),
    "cli.item.withdraw_question": (
        "Retirer « {title} » pour tout le monde ?",
        "Withdraw “{title}” for everyone?",
    ),
    "cli.item.withdraw_needs_yes": (
        "retirer « {title} » pour tout le monde : confirmez avec --yes",
        "withdrawing “{title}” for everyone: confirm with --yes",
    ),
    "cli.item.withdrawn": ("« {title} » retiré pour tout le monde", "withdrew “{title}” for everyone"),
    "cli.item.kept": ("rien n'est retiré", "nothing withdrawn"),
    "cli.item.withdraw_needs_kind": (
        "--withdraw retire une réponse : dites laquelle avec --kind",
        "--withdraw takes back one answer: say which with --kind",
    ),
    # one-shot sync (reliance sync)
    "sync.unreachable": (
        "impossible de joindre {address} : {reason}",
        "could not reach {address}: {reason}",
    ),
    "sync.unfinished": (
        "synchronisation avec {peer} inachevée ({why}) : {count} document(s) pas encore à jour{docs}",
        "sync with {peer} unfinished ({why}): {count} document(s) not in sync{docs}",
    ),
    "sync.unfinished_timeout": ("délai de {seconds} s dépassé", "no end within {seconds} s"),
    "sync.unfinished_closed": ("le pair a fermé la connexion", "the peer closed the connection"),
    "sync.unfinished_not_started": (
        "le pair n'a pas comparé ses documents aux nôtres",
        "the peer never compared its documents with ours",
    ),
    "sync.refused": ("synchronisation refusée : {reason}", "sync refused: {reason}"),
    "sync.blocked": ("ce pair est bloqué", "that peer is blocked"),
    # ---- a JSON export refused on import (reliance.export.importer): ImportRefused keys
    "export.import.at": ("{place} : {reason}", "{place}: {reason}"),
    "export.import.plain": ("{reason}", "{reason}"),
    "export.import.missing": ("il manque le champ {name!r}", "missing field {name!r}"),
    "export.import.type": ("doit être {wanted}, pas {got}", "must be {wanted}, not {got}"),
    "export.import.bad_id": ("{value!r} n'est pas un identifiant valide", "{value!r} is not a valid id"),
    "export.import.bad_time": ("pas une heure ISO 8601 : {value!r}", "not an ISO 8601 time: {value!r}"),
    "export.import.item_author": (
        "n'est pas le participant sous lequel l'annonce est rangée",
        "is not the participant the item is listed under",
    ),
    "export.import.answer_author": (
        "n'est pas le participant sous lequel la réponse est rangée",
        "is not the participant the answer is listed under",
    ),
    "export.import.unknown_kind": ("type inconnu {value!r}", "unknown kind {value!r}"),
    "export.import.unknown_status": ("état inconnu {value!r}", "unknown status {value!r}"),
    "export.import.unknown_answer": ("type de réponse inconnu {value!r}", "unknown answer kind {value!r}"),
    "export.import.bad_item_id": (
        "{value!r} n'est pas un identifiant d'annonce valide",
        "{value!r} is not a valid item id",
    ),
    "export.import.too_large": ("{file} dépasse {mib} Mio", "{file} is larger than {mib} MiB"),
    "export.import.cannot_read": ("impossible de lire {file} : {reason}", "cannot read {file}: {reason}"),
    "export.import.not_utf8": (
        "{file} n'est pas du texte UTF-8, donc pas un export JSON de reliance",
        "{file} is not UTF-8 text, so not a reliance JSON export",
    ),
    "export.import.not_json": (
        "{file} n'est pas du JSON ({reason}) : donnez un fichier fait par 'reliance export --format json'",
        "{file} is not JSON ({reason}): give a 'reliance export --format json' file",
    ),
    "export.import.not_object": (
        "{file} contient en JSON {got}, pas un objet d'export reliance",
        "{file} holds a JSON {got}, not a reliance export object",
    ),
    "export.import.format": (
        "{file} n'est pas un export JSON de reliance ({got} ; {wanted!r} attendu) : "
        "faites-en un avec 'reliance export --format json'",
        "{file} is not a reliance JSON export ({got}; {wanted!r} expected): "
        "make one with 'reliance export --format json'",
    ),
    "export.import.no_format": ("pas de champ 'format'", "no 'format' field"),
    "export.import.format_named": ("format {value!r}", "format {value!r}"),
    "export.import.kind.text": ("du texte", "text"),
    "export.import.kind.list": ("une liste", "a list"),
    "export.import.kind.object": ("un objet", "an object"),
    "export.import.kind.whole": ("un nombre entier", "a whole number"),
    "export.import.kind.boolean": ("vrai ou faux", "true or false"),
    "export.import.kind.number": ("un nombre", "a number"),
    "export.import.kind.null": ("null", "null"),
    "export.import.kind.other": ("une autre valeur", "another value"),
    "export.import.participant_twice": (
        "le participant {peer} apparaît deux fois dans {file}",
        "participant {peer} appears twice in {file}",
    ),
    "export.import.item_twice": (
        "l'identifiant d'annonce {id} apparaît deux fois parmi vos annonces dans {file}",
        "item id {id} appears twice among your items in {file}",
    ),
    "export.import.answer_twice": (
        "l'identifiant de réponse {id} apparaît deux fois parmi vos réponses dans {file}",
        "answer id {id} appears twice among your answers in {file}",
    ),
    # ---- end of the import's refusals
    # ---- a bundle that cannot be read (reliance.replication.bundle): BundleError keys
    "bundle.error.format": (
        "{file} n'est pas un paquet reliance (format {wanted} attendu)",
        "{file} is not a reliance bundle (format {wanted} expected)",
    ),
    "bundle.error.too_large": ("{file} dépasse {mib} Mio", "{file} is larger than {mib} MiB"),
    "bundle.error.unreadable": (
        "{file} n'est pas un paquet reliance ({reason})",
        "{file} is not a reliance bundle ({reason})",
    ),
    "bundle.error.entry": ("paquet : entrée de document mal formée", "bundle: malformed document entry"),
    "bundle.error.change_list": (
        "paquet : liste de changements mal formée dans le document {doc}",
        "bundle: malformed change list in document {doc}",
    ),
    "bundle.error.other": ("paquet : {reason}", "bundle: {reason}"),
    "bundle.error.change": (
        "paquet : changement mal formé dans le document {doc}",
        "bundle: malformed change in document {doc}",
    ),
    "bundle.error.damaged_change": (
        "paquet : changement abîmé dans le document {doc} : {reason}",
        "bundle: damaged change in document {doc}: {reason}",
    ),
    # ---- end of the bundle's refusals
}
