"""The catalogue: every user-visible text of the app, in French and English, and the one function that
looks them up.

`t(key, lang, **params)` returns the text for `key` in `lang` ("fr" or "en") with `{params}` filled in; a
parameter that has a `describe(lang)` method (a date, an answer's kind, a structured explanation) is shown
in the same language. `tn` adds a plural. An unknown key is returned as is (a test checks that every key
the code uses exists in both languages, with the same placeholders). French is the users' language; the
default follows the locale (French when it says fr, else English).

This module is the only place that knows which language is which: the rest of the code passes `lang`
through and never compares it (tests/test_catalogue.py scans the sources for that). It imports nothing
from the rest of reliance, so any layer may use it. To add a text: one entry below, French first, both
sides with the same `{placeholders}`; see docs/i18n.md.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

LANGS = ("fr", "en")

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

# key: (French, English)
MESSAGES: dict[str, tuple[str, str]] = {
    # navigation
    "nav.home": ("Accueil", "Home"),
    "nav.code": ("Code social", "Social code"),
    "nav.catalogue": ("Catalogue", "Catalogue"),
    "nav.programme": ("Programme", "Programme"),
    "nav.projects": ("Projets", "Projects"),
    "nav.peers": ("Pairs", "Peers"),
    "nav.settings": ("Réglages", "Settings"),
    # keys (footer, key panel, command palette)
    "key.quit": ("Quitter", "Quit"),
    "key.keys": ("Touches", "Keys"),
    "key.cancel": ("Annuler", "Cancel"),
    "key.save": ("Enregistrer", "Save"),
    "key.yes": ("Oui", "Yes"),
    "key.close": ("Fermer", "Close"),
    "key.create": ("Créer", "Create"),
    "key.qr": ("QR code", "QR code"),
    "key.copy_id": ("Copier l'identifiant", "Copy peer id"),
    "key.new_offer": ("Nouvelle offre", "New offer"),
    "key.new_item": ("Nouveau", "New"),
    "key.new_event": ("Nouvel événement", "New event"),
    "key.edit": ("Modifier", "Edit"),
    "key.archive": ("Archiver", "Archive"),
    "key.can_help": ("Je peux aider", "I can help"),
    "key.interested": ("Ça m'intéresse", "I'm interested"),
    "key.search": ("Chercher", "Search"),
    "key.mine": ("Les miens", "Mine"),
    "key.clear_filters": ("Effacer les filtres", "Clear filters"),
    "key.prev_day": ("Jour précédent", "Previous day"),
    "key.next_day": ("Jour suivant", "Next day"),
    "key.edit_section": ("Écrire la section", "Edit section"),
    "key.sections": ("Sections", "Sections"),
    "key.history": ("Historique", "History"),
    "key.compare": ("Comparer", "Compare"),
    "key.whose": ("Choisir le code", "Choose code"),
    "key.follow": ("Suivre", "Follow"),
    "key.new_project": ("Nouveau projet", "New project"),
    "key.visibility": ("Visibilité", "Visibility"),
    "key.contribute": ("Contribuer", "Contribute"),
    "key.add_member": ("Ajouter un membre", "Add member"),
    "key.remove_member": ("Retirer le membre", "Remove member"),
    "key.reverse": ("Annuler l'écriture", "Reverse entry"),
    "key.acknowledge": ("Reconnaître", "Acknowledge"),
    "key.dividend": ("Dividende", "Dividend"),
    "key.record_distribution": ("Enregistrer la distribution", "Record distribution"),
    "key.project_code": ("Code du projet", "Project code"),
    "key.ledger": ("Grand livre", "Ledger"),
    "key.members": ("Membres", "Members"),
    "key.balances": ("Soldes", "Balances"),
    "key.accept": ("Accepter", "Accept"),
    "key.block": ("Bloquer", "Block"),
    "key.unblock": ("Débloquer", "Unblock"),
    "key.add_address": ("Ajouter une adresse", "Add address"),
    "key.doctor": ("Diagnostic", "Diagnose"),
    "key.peer_code": ("Son code social", "Their social code"),
    "key.export": ("Exporter", "Export"),
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
    "cli.wrote": ("{file} écrit", "wrote {file}"),
    "cli.no_home": (
        "pas de dossier reliance dans {home} : lancez d'abord 'reliance init --name NOM'",
        "no home at {home}: run 'reliance init --name NAME' first",
    ),
    "cli.passphrase.unreadable": (
        "impossible de lire le fichier de la phrase secrète : {reason}",
        "cannot read the passphrase file: {reason}",
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
    "error.no_identity": ("aucune identité n'est encore ouverte", "no identity is open yet"),
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
    "cli.policy.weight": ("  poids {action}/{unit} : {weight}", "  weight {action}/{unit}: {weight}"),
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
    # command palette
    "cmd.go": ("Aller à : {screen}", "Go to: {screen}"),
    "cmd.go_help": ("Touche {keys}", "Key {keys}"),
    "cmd.key_help": ("Touche {keys} sur cet écran", "Key {keys} on this screen"),
    "cmd.theme": ("Basculer thème clair / sombre", "Toggle light / dark theme"),
    "cmd.theme_help": ("Aussi dans les réglages (7)", "Also in the settings (7)"),
    "cmd.lang": ("Switch to English / Passer en français", "Passer en français / Switch to English"),
    "cmd.lang_help": ("Aussi dans les réglages (7)", "Also in the settings (7)"),
    "cmd.keys": ("Afficher les touches", "Show the keys"),
    "cmd.keys_help": ("Toutes les touches de l'écran (F1)", "Every key of this screen (F1)"),
    "cmd.screenshot": ("Capture d'écran", "Screenshot"),
    "cmd.screenshot_help": ("Enregistre une image SVG de l'écran", "Save an SVG picture of the screen"),
    "cmd.quit": ("Quitter", "Quit"),
    "cmd.quit_help": ("Arrête proprement le nœud réseau et quitte", "Stop the network node cleanly and quit"),
    # buttons
    "button.ok": ("Valider", "OK"),
    "button.cancel": ("Annuler", "Cancel"),
    "button.save": ("Enregistrer", "Save"),
    "button.send": ("Envoyer", "Send"),
    "button.yes": ("Oui", "Yes"),
    "button.close": ("Fermer", "Close"),
    "button.connect": ("Se connecter", "Connect"),
    # welcome and unlock
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
    "unlock.title": ("Déverrouiller", "Unlock"),
    "unlock.intro": (
        "La clé de {home} est protégée par une phrase secrète.",
        "The key in {home} is protected by a passphrase.",
    ),
    "unlock.passphrase": ("phrase secrète", "passphrase"),
    "unlock.open": ("Ouvrir", "Open"),
    # home
    "home.me": ("Moi", "Me"),
    "home.peer_id": ("Identifiant de pair", "Peer id"),
    "home.fingerprint": ("Empreinte (à comparer de vive voix)", "Fingerprint (compare it face to face)"),
    "home.qr_caption": (
        "Montrez ce code pour être ajouté·e (w : en grand)",
        "Show this code to be added (w: full size)",
    ),
    "home.network": ("Réseau", "Network"),
    "home.activity": ("Ce qui est arrivé", "What arrived"),
    "home.feed_empty": (
        "Rien de nouveau pour l'instant : les offres, réponses et écritures des autres apparaîtront ici.",
        "Nothing new yet: other people's offers, answers and ledger entries will appear here.",
    ),
    "home.loading": ("Chargement du catalogue…", "Loading the catalogue…"),
    "home.next_steps": ("Pour commencer", "To get started"),
    "home.step_code": (
        "2 — écrivez votre code social (e pour écrire une section)",
        "2 — write your social code (e edits a section)",
    ),
    "home.step_offer": (
        "3 puis n — publiez une offre ou un besoin",
        "3, then n — publish an offer or a need",
    ),
    "home.step_peers": ("6 — voyez qui est sur le réseau", "6 — see who is on the network"),
    # network
    "net.offline": ("Hors ligne : pas de nœud réseau", "Offline: no network node"),
    "net.offline_short": ("hors ligne", "offline"),
    "net.offline_hint": (
        "Tout fonctionne en local ; vos changements partiront au prochain lancement avec le réseau.",
        "Everything works locally; your changes will leave with the next networked start.",
    ),
    "net.listening": ("Écoute", "Listening"),
    "net.not_listening": ("pas encore", "not yet"),
    "net.online": ("Pairs connectés", "Peers online"),
    "net.peers_short.one": ("{count} en ligne", "{count} online"),
    "net.peers_short.other": ("{count} en ligne", "{count} online"),
    "net.pending_short.one": ("{count} en attente", "{count} waiting"),
    "net.pending_short.other": ("{count} en attente", "{count} waiting"),
    "net.sync": ("Synchronisation", "Syncing"),
    "net.syncing.one": ("en cours avec {count} pair", "in progress with {count} peer"),
    "net.syncing.other": ("en cours avec {count} pairs", "in progress with {count} peers"),
    "net.up_to_date": ("à jour", "up to date"),
    "net.last_sync": ("Dernière synchro", "Last sync"),
    "net.never": ("jamais", "never"),
    "net.owner_gone": (
        "Le nœud de ce dossier (reliance serve) s'est arrêté : l'application prend le relais.",
        "The node of this home (reliance serve) stopped: the app takes over.",
    ),
    "localapi.owned_by_serve": (
        "ce dossier est déjà tenu par « reliance serve » (pid {pid}) : un seul nœud par dossier",
        "this home is already owned by 'reliance serve' (pid {pid}): one node per home",
    ),
    "localapi.owned_by_app": (
        "ce dossier est déjà tenu par l'application reliance (pid {pid}) : quittez-la d'abord",
        "this home is already owned by the reliance app (pid {pid}): quit it first",
    ),
    "localapi.owned": (
        "ce dossier est déjà tenu par un autre processus reliance (pid {pid})",
        "this home is already owned by another reliance process (pid {pid})",
    ),
    "localapi.direct_after": (
        "le nœud de ce dossier n'a pas pu relire ce qui vient d'être écrit : {error}",
        "the node of this home could not read again what was just written: {error}",
    ),
    "status.owner_serve": ("nœud : reliance serve (pid {pid})", "node: reliance serve (pid {pid})"),
    "status.owner_app": ("nœud : l'application reliance (pid {pid})", "node: the reliance app (pid {pid})"),
    "status.no_owner": (
        "aucun nœud ne tourne sur ce dossier (lancez « reliance serve » ou l'application)",
        "no node runs on this home (start 'reliance serve' or the app)",
    ),
    "status.listening": ("à l'écoute sur {address}", "listening on {address}"),
    "status.not_listening": ("pas à l'écoute", "not listening"),
    "status.peers": ("pairs connectés : {connected} sur {known}", "connected peers: {connected} of {known}"),
    "status.last_sync": ("dernière synchronisation : {when}", "last sync: {when}"),
    "status.never": ("jamais", "never"),
    "net.start_failed": (
        "Le nœud réseau n'a pas démarré : {error}",
        "The network node did not start: {error}",
    ),
    "net.pending": (
        "{name} veut se connecter : acceptez dans Pairs (6)",
        "{name} wants to connect: accept in Peers (6)",
    ),
    # feed
    "feed.item_new": ("{name} publie {kind} : {title}", "{name} published {kind}: {title}"),
    "feed.item_update": (
        "{name} modifie {kind} : {title} ({status})",
        "{name} updated {kind}: {title} ({status})",
    ),
    "feed.answer": (
        "{name} répond « {answer} » à « {title} » {message}",
        "{name} answered “{answer}” to “{title}” {message}",
    ),
    "feed.ledger": ("{project} : {name} — {entry} {amount}", "{project}: {name} — {entry} {amount}"),
    "feed.amend": (
        "Code social de {name} : {section} modifiée par {by}",
        "{name}'s social code: {section} amended by {by}",
    ),
    "feed.peer_new": ("Nouveau pair : {name} ({items})", "New peer: {name} ({items})"),
    "count.items.one": ("{count} élément", "{count} item"),
    "count.items.other": ("{count} éléments", "{count} items"),
    "count.members.one": ("{count} membre", "{count} member"),
    "count.members.other": ("{count} membres", "{count} members"),
    "count.entries.one": ("{count} écriture", "{count} entry"),
    "count.entries.other": ("{count} écritures", "{count} entries"),
    "feed.project_new": (
        "Vous êtes membre d'un nouveau projet : {project}",
        "You are a member of a new project: {project}",
    ),
    "feed.peer": ("{name} : {state}", "{name}: {state}"),
    "feed.rejected": ("Lot refusé de {name} : {reason}", "Batch from {name} rejected: {reason}"),
    "feed.error": ("Erreur réseau : {text}", "Network error: {text}"),
    # catalogue
    "catalogue.search": (
        "Chercher (titre, texte, lieu, mots-clés, auteur)…",
        "Search (title, text, place, tags, author)…",
    ),
    "catalogue.tag": ("mot-clé", "tag"),
    "catalogue.count": ("{shown} affichés sur {total}", "{shown} shown of {total}"),
    "catalogue.loading": ("Chargement…", "Loading…"),
    "catalogue.empty": (
        "Le catalogue est vide : n pour publier la première offre.",
        "The catalogue is empty: n publishes the first offer.",
    ),
    "catalogue.no_match": (
        "Aucun élément ne correspond (Échap efface les filtres).",
        "No item matches (Escape clears the filters).",
    ),
    "catalogue.details_none": (
        "Choisissez un élément pour le voir en détail.",
        "Pick an item to see it in full.",
    ),
    "filter.every_kind": ("Tous les types", "Every kind"),
    "filter.every_author": ("Tous les auteurs", "Every author"),
    "filter.me": ("Moi", "Me"),
    "filter.status_active": ("En cours", "Active"),
    "filter.status_all": ("Tous les statuts", "Every status"),
    "col.kind": ("Type", "Kind"),
    "col.title": ("Titre", "Title"),
    "col.author": ("Auteur", "Author"),
    "col.status": ("Statut", "Status"),
    "col.place": ("Lieu", "Place"),
    "col.date": ("Date", "Date"),
    "col.time": ("Heure", "Time"),
    "col.when": ("Quand", "When"),
    "col.who": ("Qui", "Who"),
    "col.section": ("Section", "Section"),
    "col.change": ("Changé", "Changed"),
    "col.entry": ("Écriture", "Entry"),
    "col.member": ("Membre", "Member"),
    "col.amount": ("Montant", "Amount"),
    "col.note": ("Note", "Note"),
    "col.name": ("Nom", "Name"),
    "col.role": ("Rôle", "Role"),
    "col.peer_id": ("Identifiant", "Peer id"),
    "col.since": ("Depuis", "Since"),
    "col.account": ("Compte", "Account"),
    "col.state": ("État", "State"),
    "col.address": ("Adresse", "Address"),
    "col.seen": ("Vu", "Seen"),
    "col.sync": ("Synchro", "Sync"),
    "col.source": ("Source", "Source"),
    "details.by": ("par {name}", "by {name}"),
    "details.you": ("moi", "me"),
    "details.answers": ("Réponses ({count})", "Answers ({count})"),
    "details.no_answers": ("pas encore de réponse", "no answer yet"),
    "details.hint_mine": ("e : modifier · a : archiver", "e: edit · a: archive"),
    "details.hint_other": ("h : je peux aider · i : ça m'intéresse", "h: I can help · i: I'm interested"),
    "field.kind": ("Type", "Kind"),
    "field.title": ("Titre", "Title"),
    "field.description": ("Description", "Description"),
    "field.tags": ("Mots-clés", "Tags"),
    "field.place": ("Lieu", "Place"),
    "field.begins": ("Début", "Begins"),
    "field.ends": ("Fin", "Ends"),
    "field.when": ("Quand", "When"),
    "field.reciprocity": ("Réciprocité", "Reciprocity"),
    "field.status": ("Statut", "Status"),
    "field.project": ("Projet lié", "Linked project"),
    "field.no_project": ("aucun projet", "no project"),
    "field.created": ("Publié le", "Published"),
    "field.id": ("Identifiant", "Id"),
    "field.message": ("Message (facultatif)", "Message (optional)"),
    "field.entry_kind": ("Nature", "Kind"),
    "field.amount": ("Montant", "Amount"),
    "field.unit": ("Unité", "Unit"),
    "field.note": ("Note", "Note"),
    "field.counterparty": ("Vers", "To"),
    "field.dimensions": ("Richesses (matrice)", "Wealth (matrix)"),
    "field.known_peer": ("Un pair connu", "A known peer"),
    "field.choose": ("choisir…", "choose…"),
    "field.peer_id": ("Identifiant de pair", "Peer id"),
    "field.role": ("Rôle", "Role"),
    "field.address": ("Adresse (hôte:port)", "Address (host:port)"),
    "field.project_name": ("Nom du projet", "Project name"),
    "field.visibility": ("Qui reçoit le projet", "Who receives the project"),
    "hint.visibility": (
        "Membres : son document (grand livre compris) ne va qu'aux appareils de ses membres. "
        "Public : à quiconque synchronise, comme un commun transparent.",
        "Members: its document (ledger included) goes only to its members' devices. "
        "Public: to anyone who syncs, a transparent commons.",
    ),
    "hint.visibility_change": (
        "Les copies déjà envoyées restent chez ceux qui les ont reçues.",
        "Copies already sent stay with those who received them.",
    ),
    "hint.draft": (
        "Un brouillon reste sur cet appareil : il part vers les pairs quand vous le publiez.",
        "A draft stays on this device: it goes to peers when you publish it.",
    ),
    "field.factor": ("Facteur de reconnaissance (%)", "Acknowledgement factor (%)"),
    "field.pool": ("Somme à partager (EUR)", "Pool to share (EUR)"),
    "hint.begins": ("14/07/2026 10h, samedi 14h, demain 18h", "14/07/2026 10am, saturday 2pm, tomorrow 6pm"),
    "hint.ends": ("12h, ou 15/07/2026 2h", "noon, or 15/07/2026 2am"),
    "hint.when_understood": ("Compris : {when}", "Understood: {when}"),
    "hint.tags": ("séparés par des espaces : pain solidarité", "separated by spaces: bread solidarity"),
    "hint.reciprocity": ("don, temps, argent, troc, ou en clair", "gift, time, money, barter, or in words"),
    "hint.message": ("un mot pour l'auteur", "a word for the author"),
    "hint.answer": (
        "L'auteur verra votre réponse dès la prochaine synchronisation.",
        "The author will see your answer at the next sync.",
    ),
    "hint.amount": (
        "dans l'unité ci-dessous, comme on l'écrit : 250, 250,00, 1 250,50 € ; du temps en min aussi 1h30",
        "in the unit below, as people write it: 250, 250.00, €1,250.50; time in min also 1h30",
    ),
    "hint.dimensions": ("nom=entier, par ex. joie=2 kg=3", "name=integer, e.g. joy=2 kg=3"),
    "hint.address": (
        "Quand personne n'apparaît (Wi-Fi qui isole les appareils), tapez l'adresse "
        "qu'un pair lit sur son écran d'accueil.",
        "When nobody shows up (Wi-Fi isolating devices), type the address a peer reads on their home screen.",
    ),
    "reciprocity.gift": ("don", "gift"),
    "reciprocity.time": ("temps", "time"),
    "reciprocity.money": ("argent", "money"),
    "reciprocity.barter": ("troc", "barter"),
    # dialogs
    "dialog.confirm": ("Confirmer", "Confirm"),
    "dialog.item_new": ("Publier", "Publish"),
    "dialog.item_edit": ("Modifier", "Edit"),
    "dialog.answer": ("Répondre", "Answer"),
    "dialog.answer_title": ("« {answer} » — {title}", "“{answer}” — {title}"),
    "dialog.contribute": ("Nouvelle écriture", "New entry"),
    "dialog.contribute_title": ("Nouvelle écriture — {project}", "New entry — {project}"),
    "dialog.member": ("Ajouter un membre", "Add a member"),
    "dialog.address": ("Ajouter un pair par son adresse", "Add a peer by address"),
    "dialog.edit_section": ("{section} — {whose}", "{section} — {whose}"),
    "dialog.qr": ("{name} — à scanner", "{name} — scan me"),
    "dialog.new_project": ("Nouveau projet", "New project"),
    "dialog.visibility": ("Visibilité de {project}", "Visibility of {project}"),
    "dialog.acknowledge": ("Reconnaître une contribution", "Acknowledge a contribution"),
    "dialog.pool": ("Aperçu du dividende", "Dividend preview"),
    "confirm.archive": (
        "Archiver « {title} » ? Il restera visible avec le filtre « Tous les statuts ».",
        "Archive “{title}”? It stays visible with the “Every status” filter.",
    ),
    "confirm.block": (
        "Bloquer {name} ? Ses changements ne seront plus acceptés ni relayés.",
        "Block {name}? Their changes will no longer be accepted or relayed.",
    ),
    "confirm.remove_member": (
        "Retirer {name} du projet {project} ?",
        "Remove {name} from project {project}?",
    ),
    "confirm.reverse": (
        "Annuler l'écriture de {amount} ({note}) par une écriture inverse ? Rien n'est effacé.",
        "Reverse the entry of {amount} ({note}) with an opposite entry? Nothing is erased.",
    ),
    "confirm.distribution_empty": (
        "Rien à partager ({pool}) : enregistrer quand même une distribution vide dans {project} ?",
        "Nothing to share ({pool}): record an empty distribution in {project} all the same?",
    ),
    "confirm.distribution": (
        "Enregistrer la distribution de {pool} dans {project} ? Tout le monde pourra la recalculer.",
        "Record the distribution of {pool} in {project}? Everyone will be able to recompute it.",
    ),
    # done
    "done.item_created": ("Publié : {title}", "Published: {title}"),
    "done.item_saved": ("Enregistré : {title}", "Saved: {title}"),
    "done.item_archived": ("Archivé : {title}", "Archived: {title}"),
    "done.answered": ("Réponse envoyée à « {title} »", "Answer sent to “{title}”"),
    "done.section_saved": ("Section enregistrée : {section}", "Section saved: {section}"),
    "done.copied": ("Identifiant copié", "Peer id copied"),
    "done.followed": ("Vous suivez le code social de {name}", "You follow {name}'s social code"),
    "done.unfollowed": ("Vous ne suivez plus {name}", "You no longer follow {name}"),
    "done.project_created": ("Projet créé : {name}", "Project created: {name}"),
    "done.visibility": ("{project} : {visibility}", "{project}: {visibility}"),
    "visibility.members": ("membres seulement", "members only"),
    "visibility.public": ("public", "public"),
    "done.recorded": (
        "Écriture de {amount} enregistrée dans {project}",
        "Entry of {amount} recorded in {project}",
    ),
    "done.member_added": ("{name} est membre", "{name} is a member"),
    "done.member_removed": ("{name} n'est plus membre", "{name} is no longer a member"),
    "done.reversed": ("Écriture inverse enregistrée", "Reversing entry recorded"),
    "done.acknowledged": ("Reconnaissance enregistrée", "Acknowledgement recorded"),
    "done.distribution": ("Distribution enregistrée", "Distribution recorded"),
    "done.accepted": ("{name} accepté·e", "{name} accepted"),
    "done.blocked": ("{name} bloqué·e", "{name} blocked"),
    "done.unblocked": ("{name} débloqué·e", "{name} unblocked"),
    "done.address_added": ("Adresse ajoutée : {address}", "Address added: {address}"),
    "done.saved": ("Enregistré", "Saved"),
    "done.saved_restart": (
        "Enregistré ; pris en compte au prochain lancement",
        "Saved; used at the next start",
    ),
    "done.renamed": ("Vous vous appelez maintenant {name}", "You are now called {name}"),
    "done.exported": ("Exporté dans {path}", "Exported to {path}"),
    "done.bundle_written": ("{count} changements écrits dans {path}", "{count} changes written to {path}"),
    "done.bundle_read": ("{count} nouveaux changements importés", "{count} new changes imported"),
    "done.left_out.one": (
        "{count} document illisible laissé de côté : {docs}",
        "Left out {count} document that cannot be read: {docs}",
    ),
    "done.left_out.other": (
        "{count} documents illisibles laissés de côté : {docs}",
        "Left out {count} documents that cannot be read: {docs}",
    ),
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
    # errors
    "error.title": ("Erreur", "Error"),
    "error.empty": ("Ce champ ne peut pas être vide.", "This field cannot be empty."),
    "error.not_mine": ("Seul son auteur peut modifier cet élément.", "Only its author can change this item."),
    "error.answer_own": (
        "C'est votre propre élément : ses réponses s'affichent dans le détail.",
        "This is your own item: its answers are shown in the details.",
    ),
    "error.no_selection": ("Choisissez d'abord une ligne.", "Pick a line first."),
    "error.no_item": ("Cet élément n'est plus là.", "This item is gone."),
    "error.not_editable": (
        "Vous ne pouvez écrire que votre code ou celui de vos projets.",
        "You can only write your own code or your projects' codes.",
    ),
    "error.amount": ("Un montant est un nombre entier positif.", "An amount is a positive whole number."),
    "error.dimension": ("« {part} » : écrivez nom=entier.", "“{part}”: write name=integer."),
    "error.counterparty": ("Un transfert a besoin d'un destinataire.", "A transfer needs a recipient."),
    "error.address": (
        "« {address} » n'est pas une adresse hôte:port.",
        "“{address}” is not a host:port address.",
    ),
    "error.percent": ("Un pourcentage entier, par ex. 120.", "A whole percentage, e.g. 120."),
    # social code
    "code.whose": ("Code social de", "Social code of"),
    "code.mine": ("moi — {name}", "me — {name}"),
    "code.yours": ("le vôtre : e pour écrire", "yours: e to write"),
    "code.following": ("suivi (f)", "followed (f)"),
    "code.not_following": ("non suivi (f pour suivre)", "not followed (f to follow)"),
    "code.tab_sections": ("Sections", "Sections"),
    "code.tab_history": ("Historique", "History"),
    "code.tab_compare": ("Comparer", "Compare"),
    "code.empty_section_mine": ("Vide. Appuyez sur e pour l'écrire.", "Empty. Press e to write it."),
    "code.empty_section": ("Vide.", "Empty."),
    "code.no_history": ("Aucun amendement pour l'instant.", "No amendment yet."),
    "code.diff_title": ("{section} — {who}, {when}", "{section} — {who}, {when}"),
    "code.first_version": ("Première version de la section.", "First version of the section."),
    "code.compare_with": ("Comparer avec", "Compare with"),
    "code.compare_hint": (
        "Choisissez un autre code social à mettre en regard.",
        "Choose another social code to put side by side.",
    ),
    "code.compare_empty": ("Les deux codes sont vides.", "Both codes are empty."),
    # programme
    "programme.days": ("Jours", "Days"),
    "programme.every_place": ("Tous les lieux", "Every place"),
    "programme.empty": ("Aucun événement ce jour-là.", "No event on that day."),
    "programme.no_date": ("Sans date", "No date"),
    "programme.all_day": ("journée", "all day"),
    "programme.with_kind": ("{title} ({kind})", "{title} ({kind})"),
    # projects
    "projects.list": ("Projets", "Projects"),
    "projects.none": ("Aucun projet : n pour en créer un.", "No project: n creates one."),
    "projects.empty_hint": (
        "Créez un projet (n) ou attendez d'être ajouté·e à celui d'un pair.",
        "Create a project (n) or wait to be added to a peer's.",
    ),
    "projects.hint.ledger": (
        "c contribuer · r annuler l'écriture choisie · k la reconnaître",
        "c contribute · r reverse the chosen entry · k acknowledge it",
    ),
    "projects.hint.members": (
        "m ajouter un membre · x retirer le membre choisi · v visibilité (intendant·e)",
        "m add a member · x remove the chosen member · v visibility (stewards)",
    ),
    "projects.hint.balances": (
        "d autre somme · p enregistrer la distribution · L limite de crédit · P politique (intendant·e)",
        "d another pool · p record the distribution · L credit limit · P policy (stewards)",
    ),
    "projects.not_member": ("vous n'êtes pas membre", "you are not a member"),
    "projects.tab_ledger": ("Grand livre", "Ledger"),
    "projects.tab_members": ("Membres", "Members"),
    "projects.tab_balances": ("Soldes et dividende", "Balances and dividend"),
    "projects.no_entry": ("Aucune écriture : c pour contribuer.", "No entry: c to contribute."),
    "projects.reversed": ("annulée", "reversed"),
    "projects.not_counted": ("non comptée : {reason}", "not counted: {reason}"),
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
    "removal.cycle": (
        "fait partie d'un cycle de retraits simultanés qui ne peut être tranché",
        "part of a cycle of concurrent removals that cannot be decided",
    ),
    "projects.balances": ("Soldes", "Balances"),
    "projects.balances_hint": (
        "Positif : le projet doit au membre. Chaque unité s'équilibre à zéro.",
        "Positive: the project owes the member. Each unit sums to zero.",
    ),
    "projects.no_balance": ("Pas encore de solde.", "No balance yet."),
    "projects.chart": ("Contributions par membre", "Contributions per member"),
    "projects.no_contribution": ("Pas encore de contribution.", "No contribution yet."),
    "projects.dividend": ("Aperçu du dividende contributif", "Contributive dividend preview"),
    "projects.computing": ("Calcul en cours…", "Computing…"),
    "projects.pool": (
        "Somme partagée : {pool} (politique v{version}) — d pour une autre somme",
        "Pool: {pool} (policy v{version}) — d for another amount",
    ),
    "projects.stand_in_record": (
        "Pas encore de recette : choisissez d'abord la somme à partager (d).",
        "No revenue yet: choose the pool to share first (d).",
    ),
    "projects.pool_stand_in": (
        "Pas encore de recette : aperçu avec {pool} (politique v{version}) — d pour une autre somme",
        "No revenue yet: preview with {pool} (policy v{version}) — d for another amount",
    ),
    "projects.reserve": ("réserve du projet", "project reserve"),
    "projects.policy": ("Politique de dividende v{version}", "Dividend policy v{version}"),
    "projects.matrix": ("Matrice des richesses", "Wealth matrix"),
    "projects.distributions": ("Distributions enregistrées", "Recorded distributions"),
    "projects.verified": ("recalculée à l'identique", "recomputed identically"),
    "projects.every_member": ("tout membre sans limite propre", "every member without a limit"),
    "key.limit": ("Limite de crédit", "Credit limit"),
    "key.policy_file": ("Politique depuis un fichier", "Policy from a file"),
    "dialog.limit": ("Limite de crédit", "Credit limit"),
    "dialog.policy": ("Nouvelle politique de dividende", "New dividend policy"),
    "field.member": ("Membre", "Member"),
    "field.floor": ("Plancher (≤ 0)", "Floor (≤ 0)"),
    "field.policy_file": ("Fichier JSON de la politique", "Policy JSON file"),
    "hint.floor": ("par ex. -50 = 50,00 EUR de dette au plus", "e.g. -50 = at most 50.00 EUR of debt"),
    "error.floor": (
        "Un plancher est un entier négatif ou nul.",
        "A floor is a whole number at or below zero.",
    ),
    "done.limit": ("Limite enregistrée", "Limit recorded"),
    "done.policy": ("Politique enregistrée", "Policy recorded"),
    "role.steward": ("intendant·e", "steward"),
    "role.member": ("membre", "member"),
    "entry.contribution": ("Contribution", "Contribution"),
    "entry.expense": ("Dépense", "Expense"),
    "entry.revenue": ("Recette", "Revenue"),
    "entry.transfer": ("Transfert", "Transfer"),
    "entry.distribution": ("Distribution", "Distribution"),
    "entry.reversal": ("Annulation", "Reversal"),
    "entry.project_account": ("le projet", "the project"),
    "entry_kind.time": ("Contribution en temps", "Contribution of time"),
    "entry_kind.money": ("Contribution en argent", "Contribution of money"),
    "entry_kind.resource": ("Contribution en ressources", "Contribution of resources"),
    "entry_kind.knowledge": ("Contribution en connaissances", "Contribution of knowledge"),
    "entry_kind.expense": ("Dépense payée pour le projet", "Expense paid for the project"),
    "entry_kind.revenue": ("Recette reçue pour le projet", "Revenue received for the project"),
    "entry_kind.transfer": ("Transfert vers un membre", "Transfer to a member"),
    # peers
    "peers.offline": (
        "Hors ligne : pas de nœud réseau dans cette session. Le diagnostic (d) fonctionne quand même.",
        "Offline: no network node in this session. The diagnosis (d) still works.",
    ),
    "peers.listening": ("Nœud en écoute sur {address}", "Node listening on {address}"),
    "peers.config": ("Politique : {policy} · mDNS : {mdns}", "Policy: {policy} · mDNS: {mdns}"),
    "peers.none": (
        "Personne pour l'instant. d lance le diagnostic, n ajoute une adresse.",
        "Nobody yet. d runs the diagnosis, n adds an address.",
    ),
    "peers.hint": (
        "a accepter · b bloquer · u débloquer · n adresse · d diagnostic",
        "a accept · b block · u unblock · n address · d diagnose",
    ),
    "peers.in_sync": ("à jour", "in sync"),
    "peers.doctor": ("Diagnostic réseau", "Network diagnosis"),
    "peers.doctor_hint": (
        "d : pourquoi personne n'apparaît ? (ne contacte aucune autre machine)",
        "d: why does nobody show up? (contacts no other machine)",
    ),
    "peers.diagnosing": ("Diagnostic en cours…", "Diagnosing…"),
    "peer_state.discovered": ("découvert", "discovered"),
    "peer_state.connecting": ("connexion…", "connecting"),
    "peer_state.connected": ("connecté", "connected"),
    "peer_state.disconnected": ("déconnecté", "disconnected"),
    "peer_state.pending": ("en attente", "pending"),
    "peer_state.blocked": ("bloqué", "blocked"),
    "peer_state.unreachable": ("injoignable", "unreachable"),
    "source.mdns": ("mDNS", "mDNS"),
    "source.typed": ("tapée", "typed"),
    "source.incoming": ("entrant", "incoming"),
    "source.known": ("connu", "known"),
    "source.blocked": ("bloqué", "blocked"),
    "source.accepted": ("accepté", "accepted"),
    "policy.open": ("ouverte (tout pair est accepté)", "open (every peer is accepted)"),
    "policy.known": (
        "connus (un nouveau pair attend votre accord)",
        "known (a new peer waits for your approval)",
    ),
    "word.on": ("oui", "on"),
    "word.off": ("non", "off"),
    # settings
    "settings.identity": ("Identité", "Identity"),
    "settings.rename": ("Renommer", "Rename"),
    "settings.language": ("Langue", "Language"),
    "settings.theme": ("Thème", "Theme"),
    "settings.dark": ("Sombre", "Dark"),
    "settings.light": ("Clair", "Light"),
    "settings.network": ("Réseau", "Network"),
    "settings.policy_hint": ("Qui peut se synchroniser avec vous.", "Who may sync with you."),
    "settings.port": ("Port", "Port"),
    "settings.mdns": ("mDNS", "mDNS"),
    "settings.save_network": ("Enregistrer", "Save"),
    "settings.restart_hint": (
        "Port et mDNS servent au prochain lancement.",
        "Port and mDNS apply at the next start.",
    ),
    "settings.export": ("Exporter", "Export"),
    "settings.export_project": ("projet (pour csv)", "project (for csv)"),
    "settings.export_button": ("Exporter", "Export"),
    "settings.bundle": ("Paquet hors ligne", "Offline bundle"),
    "settings.bundle_hint": (
        "Un fichier qui transporte tous vos documents signés (clé USB) ; "
        "l'import vérifie tout avant d'appliquer.",
        "One file carrying all your signed documents (USB stick); "
        "importing checks everything before applying.",
    ),
    "settings.bundle_export": ("Écrire", "Write"),
    "settings.bundle_import": ("Importer", "Import"),
    "settings.home": ("Dossier : {home}", "Folder: {home}"),
    "export.json": ("JSON (tout)", "JSON (everything)"),
    "export.markdown": ("Markdown (mon code et mes éléments)", "Markdown (my code and items)"),
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
    # the network diagnosis (reliance doctor, the Peers screen): reliance.net.doctor
    "doctor.typed_address": (
        "Vous pouvez quand même vous connecter en tapant l'adresse d'un autre participant : "
        "`reliance peer add HÔTE:PORT` (il la trouve dans son propre diagnostic).{own}",
        "You can still connect by typing the address of another participant: `reliance peer add HOST:PORT` "
        "(they can read it in their own diagnosis).{own}",
    ),
    "doctor.own_address": (
        " Votre adresse, à donner aux autres : {address} (ils tapent `reliance peer add {address}`).",
        " Your address, to give to the others: {address} (they type `reliance peer add {address}`).",
    ),
    "doctor.detail": (" (détail technique : {detail})", " (technical detail: {detail})"),
    "doctor.no_network": (
        "Cet ordinateur n'est connecté à aucun réseau.",
        "This computer is not connected to any network.",
    ),
    "doctor.no_network_advice": (
        "Connectez-vous au Wi-Fi (ou au partage de connexion d'un téléphone, ou à un câble) "
        "utilisé par les autres, puis réessayez.",
        "Connect to the Wi-Fi (or a phone hotspot, or a cable) that the others use, then try again.",
    ),
    "doctor.no_address": (
        "Cet ordinateur est connecté, mais le réseau ne lui a pas donné d'adresse (seulement {addresses}).",
        "This computer is connected, but the network gave it no address (only {addresses}).",
    ),
    "doctor.no_address_advice": (
        "Déconnectez-vous puis reconnectez-vous au Wi-Fi. Les appareils branchés sur le même câble "
        "ou le même partage de connexion peuvent quand même se trouver.",
        "Disconnect and reconnect to the Wi-Fi. Devices on the same cable or hotspot may still find "
        "each other.",
    ),
    "doctor.network": (
        "Connecté à un réseau (adresse {addresses}).",
        "Connected to a network (address {addresses}).",
    ),
    "doctor.multicast": (
        "La découverte automatique des participants proches est possible sur cet ordinateur.",
        "Automatic discovery of nearby participants is possible on this computer.",
    ),
    "doctor.multicast_unsure": (
        "La découverte automatique risque de ne pas fonctionner sur cet ordinateur{detail}.",
        "Automatic discovery may not work on this computer{detail}.",
    ),
    "doctor.no_multicast": (
        "Cet ordinateur ne peut pas utiliser la découverte automatique (le multicast / mDNS n'est pas "
        "disponible ici) : personne n'apparaîtra tout seul{detail}.",
        "This computer cannot use automatic discovery (multicast / mDNS is not available here), "
        "so nobody will appear by themselves{detail}.",
    ),
    "doctor.port_invalid": (
        "{port} n'est pas un numéro de port valable.",
        "{port} is not a valid port number.",
    ),
    "doctor.port_invalid_advice": (
        "Choisissez un nombre entre 1024 et 65535, par exemple `--port 7070`.",
        "Choose a number between 1024 and 65535, for example `--port 7070`.",
    ),
    "doctor.port_in_use": (
        "Le port {port} est déjà utilisé par un autre programme (peut-être reliance est-il déjà lancé).",
        "Port {port} is already used by another program (perhaps reliance is already running).",
    ),
    "doctor.port_in_use_advice": (
        "Fermez l'autre programme, ou lancez reliance sur un autre port, par exemple `--port {other}`.",
        "Close the other program, or start reliance on another port, for example `--port {other}`.",
    ),
    "doctor.port_forbidden": (
        "Cet ordinateur n'autorise pas reliance à utiliser le port {port}.",
        "This computer does not allow reliance to use port {port}.",
    ),
    "doctor.port_forbidden_advice": (
        "Utilisez un port au-dessus de 1024, par exemple `--port 7070`.",
        "Use a port above 1024, for example `--port 7070`.",
    ),
    "doctor.port_unknown": (
        "Impossible de vérifier le port {port} ({error}).",
        "Could not check port {port} ({error}).",
    ),
    "doctor.port_unknown_advice": (
        "Si reliance ne démarre pas, essayez un autre port, par exemple `--port {other}`.",
        "If reliance does not start, try another port, for example `--port {other}`.",
    ),
    "doctor.port_free": ("Le port {port} est libre pour reliance.", "Port {port} is free for reliance."),
    "doctor.firewall_advice": (
        "Un pare-feu ou un logiciel de sécurité bloque probablement reliance. Autorisez reliance (ou Python) "
        "à recevoir des connexions dans ses réglages, ou demandez à la personne qui gère cet ordinateur.",
        "A firewall or security program is probably blocking reliance. Allow reliance (or Python) to accept "
        "incoming connections in its settings, or ask whoever manages this computer.",
    ),
    "doctor.self_connect_failed": (
        "Même cet ordinateur ne peut pas se connecter à lui-même sur le port {port}.",
        "Even this computer cannot connect to itself on port {port}.",
    ),
    "doctor.firewall": (
        "Les connexions au port {port} par {addresses} sont refusées : les autres ne "
        "pourront sans doute pas se connecter à vous.",
        "Connections to port {port} through {addresses} are refused: others will "
        "probably not be able to connect to you.",
    ),
    "doctor.self_connect": (
        "Cet ordinateur accepte les connexions sur le port {port}.",
        "This computer accepts connections on port {port}.",
    ),
    "doctor.peers_found": (
        "{count} autre(s) nœud(s) reliance visible(s) sur ce réseau.",
        "{count} other reliance node(s) visible on this network.",
    ),
    "doctor.no_peers": (
        "Personne d'autre utilisant reliance n'est visible sur ce réseau pour l'instant.",
        "Nobody else running reliance is visible on this network right now.",
    ),
    "doctor.no_peers_advice": (
        "Vérifiez que les autres ont ouvert reliance et sont sur le même réseau Wi-Fi (même nom). "
        "Beaucoup de Wi-Fi de festival, d'hôtel ou « invités », et certains partages de connexion de "
        "téléphone, empêchent les appareils de se voir ; on ne peut pas le détecter d'ici. {typed} "
        "Ou bien connectez-vous tous au même partage de connexion d'un téléphone.",
        "Check that the others have reliance open and are on the same Wi-Fi network (same name). "
        "Many festival, hotel and guest Wi-Fi networks, and some phone hotspots, stop devices from "
        "seeing each other; this cannot be detected from here. {typed} "
        "Or all join the same phone hotspot.",
    ),
    # quotas on other people's documents (reliance doctor)
    "doctor.quota": (
        "Documents d'autres personnes gardés ici : {documents} sur {max_documents}, "
        "{mib} Mio sur {max_mib} Mio.",
        "Other people's documents kept here: {documents} of {max_documents}, {mib} MiB of {max_mib} MiB.",
    ),
    "doctor.quota_full": (
        "Le quota des documents d'autres personnes est atteint : les nouveaux ne sont ni gardés ni relayés.",
        "The quota for other people's documents is reached: new ones are neither kept nor passed on.",
    ),
    "doctor.quota_full_advice": (
        "Le plus gros auteur : {author} ({documents} documents, {mib} Mio). Bloquez les auteurs "
        "indésirables (reliance block ID), ou relevez les limites dans config.json (« limits »).",
        "The largest author: {author} ({documents} documents, {mib} MiB). Block unwanted authors "
        '(reliance block ID), or raise the limits in config.json ("limits").',
    ),
    "doctor.quota_author": (
        "{count} auteur(s) ont atteint leur quota ({max_documents} documents ou {max_mib} Mio chacun) : "
        "leurs nouveaux documents ne sont ni gardés ni relayés. Le premier : {author}.",
        "{count} author(s) reached their quota ({max_documents} documents or {max_mib} MiB each): their new "
        "documents are neither kept nor passed on. The first: {author}.",
    ),
    "doctor.quota_author_advice": (
        "Normal pour quelqu'un de très actif ; sinon, bloquez-le (reliance block ID).",
        "Expected for a very active person; otherwise, block them (reliance block ID).",
    ),
    "doctor.quota_declined": (
        "{count} envoi(s) de documents d'autres personnes refusés depuis le démarrage (quota) ; le dernier : "
        "{reason}.",
        "{count} batch(es) of other people's documents not kept since the start (quota); the last: {reason}.",
    ),
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
    # the ledger (reliance.economy.ledger)
    "ledger.breach": (
        "{account} : solde {balance} sous la limite de crédit {floor}",
        "{account}: balance {balance} is below the credit limit {floor}",
    ),
    "ledger.issue.missing": (
        "annule {target}, absente du registre : sans effet",
        "reverses {target}, which is not in the ledger: no effect",
    ),
    "ledger.issue.of_reversal": (
        "annule {target}, qui est elle-même une annulation : sans effet",
        "reverses {target}, itself a reversal: no effect",
    ),
    "ledger.issue.mismatch": (
        "ne reprend pas le montant et l'unité de {target} : sans effet",
        "does not repeat the amount and unit of {target}: no effect",
    ),
    "ledger.issue.already": (
        "{target} est déjà annulée par {by} : sans effet",
        "{target} is already reversed by {by}: no effect",
    ),
    # the dividend's explanations (reliance.economy.dividend), worded from the data stored with a distribution
    "dividend.line": ("{who} : {amount} sur {pool} — {body}", "{who}: {amount} of {pool} — {body}"),
    "dividend.equal": (
        "part égale {amount} (1/{members} de {bucket})",
        "equal share {amount} (1/{members} of {bucket})",
    ),
    "dividend.by_contribution": (
        "{amount} pour {points} points pondérés sur {total} ({details})",
        "{amount} for {points} weighted points of {total} ({details})",
    ),
    "dividend.quantity": ("{action} {amount}", "{action} {amount}"),
    "dividend.acknowledged": ("{quantity} à {percent} %", "{quantity} at {percent}%"),
    "dividend.no_share": ("aucune part", "no share"),
    "dividend.no_weighted": (
        " ; aucune contribution pondérée sur la période",
        "; no weighted contribution in the period",
    ),
    "dividend.unweighted": (
        " ; non pondéré par la politique : {quantities}",
        "; not weighted by the policy: {quantities}",
    ),
    "dividend.note.reserve": (
        "réserve : {reserve} sur {pool} — {detail}",
        "reserve: {reserve} of {pool} — {detail}",
    ),
    "dividend.note.bucket": ("{amount} ({name}, {percent} %)", "{amount} ({name}, {percent}%)"),
    "dividend.note.kept_equal": (
        "{amount} de la part égale (aucun membre)",
        "{amount} of the equal share (no members)",
    ),
    "dividend.note.kept_contribution": (
        "{amount} de la part contributive (aucune contribution pondérée sur la période)",
        "{amount} of the contribution share (nobody has weighted points)",
    ),
    "dividend.note.nothing": ("rien", "nothing"),
    "dividend.note.policy": (
        "politique v{version} ; {points} points pondérés au total",
        "policy v{version}; {points} weighted points in all",
    ),
    "dividend.verify.differs": (
        "{what} : enregistré {recorded}, recalculé {recomputed}",
        "{what}: recorded {recorded}, recomputed {recomputed}",
    ),
    "dividend.verify.sum": (
        "les versements et la réserve font {total}, pas {pool}",
        "payouts and reserve sum to {total}, not to {pool}",
    ),
    "dividend.verify.policy_version": ("version de la politique", "policy version"),
    "dividend.verify.unit": ("unité", "unit"),
    "dividend.verify.pool": ("montant à répartir", "pool"),
    "dividend.verify.period_from": ("début de période", "period start"),
    "dividend.verify.period_to": ("fin de période", "period end"),
    "dividend.verify.heads": ("têtes du document", "heads"),
    "dividend.verify.reserve": ("réserve", "reserve"),
    "dividend.verify.none": ("aucun", "none"),
    # the words for the model's values
    "item_kind.offer": ("Offre", "Offer"),
    "item_kind.need": ("Besoin", "Need"),
    "item_kind.call": ("Appel à contribution", "Call for contribution"),
    "item_kind.event": ("Événement", "Event"),
    "item_kind.seed": ("Graine de connaissance", "Knowledge seed"),
    "status.draft": ("Brouillon", "Draft"),
    "status.published": ("Publié", "Published"),
    "status.matched": ("Pourvu", "Matched"),
    "status.archived": ("Archivé", "Archived"),
    "answer.coming": ("Je viens", "I'm coming"),
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
    # ledger actions, as words in explanations
    "action.work": ("travail", "work"),
    "action.transfer": ("argent", "money"),
    "action.use": ("ressources", "resources"),
    "action.cite": ("connaissances", "knowledge"),
    "action.produce": ("production", "production"),
    "action.consume": ("consommation", "consumption"),
    # each language's name, in itself (the language choice)
    "lang_name.fr": ("Français", "Français"),
    "lang_name.en": ("English", "English"),
    # settings files that cannot be read
    "settings.config_damaged": (
        "{file} est illisible ({reason}) : réglages par défaut, et la politique « known » tant qu'il n'est "
        "pas réparé",
        "{file} cannot be read ({reason}): default settings, and the policy 'known' until it is fixed",
    ),
    "settings.blocks_damaged": (
        "{file} est illisible ({reason}) : les {count} blocages déjà connus restent en vigueur",
        "{file} cannot be read ({reason}): the {count} blocks known already stay in force",
    ),
    "settings.damaged_kept": (
        "{file} était illisible ({reason}) : mis de côté sous le nom {kept}, un nouveau est écrit",
        "{file} could not be read ({reason}): kept aside as {kept}, a new one is written",
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
}


@runtime_checkable
class Describable(Protocol):
    """A parameter shown differently in each language (a date: « samedi 11 juillet », "Saturday 11 July")."""

    def describe(self, lang: str) -> str: ...


@dataclass(frozen=True)
class Phrase:
    """A catalogue entry with its parameters, not yet worded: put it in a message's parameters (or keep it
    for later) and it is shown in the language of whatever shows it."""

    key: str
    params: Mapping[str, object] = field(default_factory=dict)

    def describe(self, lang: str) -> str:
        return t(self.key, lang, **self.params)


def phrase(key: str, **params: object) -> Phrase:
    return Phrase(key, params)


class _Params(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def t(key: str, lang: str = "fr", **params: object) -> str:
    """The text of `key` in `lang`, with `{name}` placeholders filled from `params`."""
    pair = MESSAGES.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "fr" else pair[1]
    if not params:
        return text
    shown = {name: v.describe(lang) if isinstance(v, Describable) else v for name, v in params.items()}
    return text.format_map(_Params(shown))


def plural_key(key: str, count: int, lang: str) -> str:
    """`key.one` or `key.other` for `count` (French treats 0 and 1 as singular)."""
    one = count in (0, 1) if lang == "fr" else count == 1
    return f"{key}.{'one' if one else 'other'}"


def tn(key: str, count: int, lang: str = "fr", **params: object) -> str:
    """`t` with a plural: `key.one` or `key.other`, with `{count}` filled in."""
    return t(plural_key(key, count, lang), lang, count=count, **params)


def other_lang(lang: str) -> str:
    """The language to switch to from `lang` (the app's toggle)."""
    return LANGS[1] if lang == LANGS[0] else LANGS[0]


def locale_lang(environ: dict[str, str] | None = None) -> str:
    """'fr' when the locale says French, else 'en'."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = env.get(name, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def resolve_lang(*choices: str | None) -> str:
    """The first explicit choice that is a known language, else the locale's."""
    for choice in choices:
        if choice in LANGS:
            return choice
    return locale_lang()


def _label(prefix: str, value: str, lang: str) -> str:
    key = f"{prefix}.{value}"
    return t(key, lang) if key in MESSAGES else str(value)


def kind_label(kind: str, lang: str) -> str:
    """An item's kind, singular: « Offre », "Offer"."""
    return _label("item_kind", kind, lang)


def kind_short(kind: str, lang: str) -> str:
    return t(f"kind_short.{kind}", lang)


def status_label(status: str, lang: str) -> str:
    return _label("status", status, lang)


def answer_label(kind: str, lang: str) -> str:
    return _label("answer", kind, lang)


def section_label(section: str, lang: str) -> str:
    """A #CodeSocial section's name; an unknown id is shown as is."""
    return _label("section", section, lang)


def group_label(group: str, lang: str) -> str:
    return _label("section_group", group, lang)


def reciprocity_label(code: str, lang: str) -> str:
    """A reciprocity as a person reads it: « don » for `gift`; free text as it was written."""
    return _label("reciprocity", code, lang)


def _folded(text: str) -> str:
    """`text` without case, accents or extra spaces: « Échange » and "echange" match."""
    decomposed = unicodedata.normalize("NFKD", text)
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split())


_RECIPROCITY_PREFIX = "reciprocity."


def reciprocity_code(text: str) -> str:
    """A reciprocity as it is stored: its code (`gift`) when `text` is a code or one's label in any
    language (« don », "Troc", whatever the case and accents); any other text as it was typed."""
    wanted = _folded(text)
    for key, labels in MESSAGES.items():
        if key.startswith(_RECIPROCITY_PREFIX):
            code = key.removeprefix(_RECIPROCITY_PREFIX)
            if wanted == code or any(wanted == _folded(label) for label in labels):
                return code
    return text


def action_label(action: str, lang: str) -> str:
    """The word for a ledger action in explanations (« travail », "work")."""
    return _label("action", action, lang)
