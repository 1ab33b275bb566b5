"""The catalogue's texts for the web face (pages, forms, errors) and the `reliance web` commands.

Each entry is `key: (French, English)`, French first, both sides with the same `{placeholders}`, and its key
in one of `NAMESPACES` (the part before the first dot): `reliance.i18n` merges this table with the other
areas' and refuses a key outside them or defined twice (docs/i18n.md).
"""

from __future__ import annotations

NAMESPACES = ("web", "web_dialog")

MESSAGES: dict[str, tuple[str, str]] = {
    # navigation and common words
    "web.skip": ("Aller au contenu", "Skip to content"),
    "web.nav.label": ("Navigation principale", "Main navigation"),
    "web.nav.programme": ("Programme", "Programme"),
    "web.nav.catalogue": ("Catalogue", "Catalogue"),
    "web.nav.projects": ("Projets", "Projects"),
    "web.nav.me": ("Mon espace", "My space"),
    "web.switch_lang": ("English", "Français"),
    "web.by": ("par", "by"),
    "web.show": ("Afficher", "Show"),
    "web.pages": ("Pages", "Pages"),
    "web.previous": ("← Précédente", "← Previous"),
    "web.next": ("Suivante →", "Next →"),
    "web.page_of": ("Page {page} sur {pages}", "Page {page} of {pages}"),
    "web.back_home": ("Retour au programme", "Back to the programme"),
    "web.live.updated": ("Page mise à jour", "Page updated"),
    # the programme
    "web.programme.subscribe": (
        "S'abonner au programme dans son agenda (.ics)",
        "Subscribe to the programme in your calendar (.ics)",
    ),
    "web.programme.day": ("Jour", "Day"),
    "web.programme.days": ("Jours du programme", "Days of the programme"),
    "web.programme.place": ("Lieu", "Place"),
    "web.programme.every_place": ("Tous les lieux", "Every place"),
    "web.programme.all_day": ("Toute la journée", "All day"),
    "web.programme.nothing_here": ("Rien à ce lieu ce jour-là.", "Nothing at this place that day."),
    "web.programme.empty": (
        "Le programme est vide pour l'instant : rien de daté n'a encore été publié.",
        "The programme is empty for now: nothing with a date has been published yet.",
    ),
    "web.programme.undated": ("Événements sans date", "Events without a date"),
    # the catalogue
    "web.catalogue.search": ("Rechercher", "Search"),
    "web.catalogue.kind": ("Type", "Kind"),
    "web.catalogue.every_kind": ("Tous les types", "Every kind"),
    "web.catalogue.tag": ("Mot-clé", "Tag"),
    "web.catalogue.author": ("Auteur ou autrice", "Author"),
    "web.catalogue.every_author": ("Tout le monde", "Everyone"),
    "web.catalogue.find": ("Chercher", "Find"),
    "web.catalogue.count": ("{count} résultat(s)", "{count} result(s)"),
    # an item
    "web.item.author": ("Par", "By"),
    "web.item.when": ("Quand", "When"),
    "web.item.place": ("Où", "Where"),
    "web.item.reciprocity": ("Réciprocité", "Reciprocity"),
    "web.item.capacity": ("Places", "Places"),
    "web.item.tags": ("Mots-clés", "Tags"),
    "web.item.add_to_calendar": ("Ajouter à mon agenda (.ics)", "Add to my calendar (.ics)"),
    "web.item.answers": ("Réponses ({count})", "Answers ({count})"),
    "web.item.no_answers": ("Pas encore de réponse.", "No answer yet."),
    "web.item.answer": ("Répondre", "Answer"),
    "web.item.answer_kind": ("Ma réponse", "My answer"),
    "web.item.answer_message": ("Message (facultatif)", "Message (optional)"),
    "web.item.answer_contact": (
        "Contact ou point de rendez-vous (facultatif)",
        "Contact or meeting point (optional)",
    ),
    "web.item.send_answer": ("Envoyer la réponse", "Send the answer"),
    # a person, projects
    "web.person.code": ("Code social", "Social code"),
    "web.person.no_code": ("Pas encore de code social.", "No social code yet."),
    "web.person.items": ("Publications", "Publications"),
    "web.projects.intro": (
        "Les projets publics : leur code social, leurs membres, leur comptabilité. Les projets réservés à "
        "leurs membres n'apparaissent pas ici.",
        "Public projects: their social code, members and ledger. Projects kept to their members are not "
        "shown here.",
    ),
    "web.projects.none": ("Aucun projet public pour l'instant.", "No public project yet."),
    "web.projects.members": ("{count} membre(s)", "{count} member(s)"),
    "web.project.code": ("Code social du projet", "The project's social code"),
    "web.project.members": ("Membres", "Members"),
    "web.project.balances": ("Soldes", "Balances"),
    "web.project.no_balances": ("Aucun solde.", "No balance."),
    "web.project.account": ("Compte", "Account"),
    "web.project.balance": ("Solde", "Balance"),
    "web.project.ledger": ("Comptabilité", "Ledger"),
    "web.project.no_entries": ("Aucune écriture.", "No entry."),
    "web.project.at": ("Date", "Date"),
    "web.project.who": ("Qui", "Who"),
    "web.project.kind": ("Type", "Kind"),
    "web.project.amount": ("Montant", "Amount"),
    "web.project.note": ("Note", "Note"),
    # pairing and the person's own space
    "web.pair.title": ("Associer ce navigateur", "Pair this browser"),
    "web.pair.explain": (
        "Ce navigateur pourra publier, répondre et modifier votre code social au nom de votre nœud, "
        "jusqu'à ce que vous le révoquiez (reliance web revoke).",
        "This browser will be able to publish, answer and edit your social code in your node's name, "
        "until you revoke it (reliance web revoke).",
    ),
    "web.pair.button": ("Associer ce navigateur", "Pair this browser"),
    "web.pair.refused": ("Association refusée", "Pairing refused"),
    "web.pair.unknown": (
        "Ce lien d'association est inconnu, expiré ou déjà utilisé.",
        "This pairing link is unknown, expired or already used.",
    ),
    "web.pair.too_many": (
        "Trop d'essais d'association depuis cette adresse : attendez une minute.",
        "Too many pairing attempts from this address: wait a minute.",
    ),
    "web.pair.not_saved": (
        "L'association n'a pas pu être enregistrée : {reason}",
        "The pairing could not be saved: {reason}",
    ),
    "web.error.op_not_open": (
        "l'opération {op} n'est pas ouverte à la face web",
        "operation {op} is not open to the web face",
    ),
    "web.me.title": ("Mon espace", "My space"),
    "web.me.hello": ("Bonjour {name}", "Hello {name}"),
    "web.me.explain": (
        "Ce navigateur est associé à votre nœud : ce que vous écrivez ici est signé par votre appareil.",
        "This browser is paired with your node: what you write here is signed by your device.",
    ),
    "web.me.not_paired": (
        "Ce navigateur n'est pas associé. Sur votre ordinateur, lancez « reliance web pair » et scannez "
        "le code QR.",
        "This browser is not paired. On your computer, run 'reliance web pair' and scan the QR code.",
    ),
    "web.me.done": ("C'est fait.", "Done."),
    "web.me.publish": ("Publier", "Publish"),
    "web.me.mine": ("Mes publications", "My publications"),
    "web.me.contribute": ("Contribuer à un projet", "Contribute to a project"),
    "web.me.code": ("Mon code social", "My social code"),
    "web.me.unpair": ("Dissocier ce navigateur", "Unpair this browser"),
    "web.form.kind": ("Type", "Kind"),
    "web.form.title": ("Titre", "Title"),
    "web.form.description": ("Description", "Description"),
    "web.form.tags": ("Mots-clés", "Tags"),
    "web.form.tags_help": ("Séparés par des virgules", "Separated by commas"),
    "web.form.place": ("Lieu", "Place"),
    "web.form.begins": ("Début", "Begins"),
    "web.form.ends": ("Fin", "Ends"),
    "web.form.reciprocity": (
        "Réciprocité (don, temps, argent, troc…)",
        "Reciprocity (gift, time, money, barter…)",
    ),
    "web.form.publish": ("Publier", "Publish"),
    "web.form.archive": ("Archiver", "Archive"),
    "web.form.project": ("Projet", "Project"),
    "web.form.contribution_kind": ("Type de contribution", "Kind of contribution"),
    "web.form.amount": ("Quantité (nombre entier)", "Amount (a whole number)"),
    "web.form.unit": ("Unité", "Unit"),
    "web.form.note": ("Note", "Note"),
    "web.form.contribute": ("Enregistrer la contribution", "Record the contribution"),
    "web.form.save": ("Enregistrer", "Save"),
    "web.form.not_a_number": ("{field} : un nombre entier", "{field}: a whole number"),
    # errors
    "web.error.bad": ("Requête invalide", "Bad request"),
    "web.error.forbidden": (
        "Refusé : ce navigateur n'est pas associé, ou le formulaire a expiré",
        "Refused: this browser is not paired, or the form expired",
    ),
    "web.error.cross_site": ("Refusé : envoyé depuis un autre site", "Refused: sent from another site"),
    "web.error.not_found": ("Introuvable (ou non public)", "Not found (or not public)"),
    "web.error.too_large": ("Trop long", "Too long"),
    "web.error.too_many": ("Trop de demandes : attendez un peu", "Too many requests: wait a little"),
    "web.error.busy": (
        "Trop de pages suivent le programme en direct : rechargez la page à la main.",
        "Too many pages follow the programme live: reload the page by hand.",
    ),
    # reliance web (the command line)
    "web.cli.no_owner": (
        "aucun nœud ne tourne sur ce dossier : lancez « reliance serve » (ou l'application) d'abord",
        "no node runs on this home: start 'reliance serve' (or the app) first",
    ),
    "web.cli.not_serving": (
        "l'interface web ne tourne pas : {reason}",
        "the web face is not running: {reason}",
    ),
    "web.cli.starting": (
        "l'interface web démarre : réessayez dans un instant",
        "the web face is starting: try again in a moment",
    ),
    "web.cli.off": (
        "l'interface web est désactivée (reliance config set web on)",
        "the web face is off (reliance config set web on)",
    ),
    "web.cli.open": ("Ouvrez sur un téléphone du même réseau :", "Open on a phone on the same network:"),
    "web.cli.fingerprint": (
        "Empreinte du certificat (à comparer dans le navigateur) : {fingerprint}",
        "Certificate fingerprint (compare it in the browser): {fingerprint}",
    ),
    "web.cli.pair": (
        "Scannez ce code avec le téléphone à associer (valable 10 minutes, une seule fois) :",
        "Scan this code with the phone to pair (valid 10 minutes, once):",
    ),
    "web.cli.plain_http": (
        "Attention : en HTTP simple, le réseau Wi-Fi voit ce que le téléphone envoie ; préférez --web-tls.",
        "Warning: over plain HTTP the Wi-Fi network sees what the phone sends; prefer --web-tls.",
    ),
    "web.cli.no_sessions": ("Aucun navigateur associé.", "No paired browser."),
    "web.cli.session": (
        "{id}  associé {created}  vu {seen}  {agent}",
        "{id}  paired {created}  seen {seen}  {agent}",
    ),
    "web.cli.revoked": ("Session {id} révoquée.", "Session {id} revoked."),
    "web.cli.no_such_session": ("aucune session {id}", "no session {id}"),
    # the app's dialogs
    "web_dialog.pair_title": ("Associer un téléphone", "Pair a phone"),
    "web_dialog.pair_help": (
        "Scannez avec le téléphone à associer : il pourra publier en votre nom (lien valable 10 minutes, "
        "une seule fois).",
        "Scan with the phone to pair: it will be able to publish in your name (link valid 10 minutes, once).",
    ),
    "web_dialog.fingerprint": (
        "Empreinte du certificat : {fingerprint}",
        "Certificate fingerprint: {fingerprint}",
    ),
    "web_dialog.plain_http": (
        "En HTTP simple, le Wi-Fi voit ce que le téléphone envoie : préférez web_tls.",
        "Over plain HTTP the Wi-Fi sees what the phone sends: prefer web_tls.",
    ),
    "web_dialog.sessions_title": ("Navigateurs associés", "Paired browsers"),
    "web_dialog.sessions_help": (
        "Choisissez un navigateur pour le révoquer.",
        "Choose a browser to revoke it.",
    ),
    "web_dialog.no_sessions": ("Aucun navigateur associé.", "No paired browser."),
    "web_dialog.revoke": ("Révoquer", "Revoke"),
    "web_dialog.revoked": ("Navigateur {id} révoqué.", "Browser {id} revoked."),
    "web_dialog.unavailable": ("Interface web indisponible : {reason}", "Web face unavailable: {reason}"),
}
