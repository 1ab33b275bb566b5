"""The catalogue's texts for the network: its status, the local API and the network diagnosis (reliance
doctor).

Each entry is `key: (French, English)`, French first, both sides with the same `{placeholders}`, and its key
in one of `NAMESPACES` (the part before the first dot): `reliance.i18n` merges this table with the other
areas' and refuses a key outside them or defined twice (docs/i18n.md).
"""

from __future__ import annotations

NAMESPACES = ("net", "localapi", "status", "doctor")

MESSAGES: dict[str, tuple[str, str]] = {
    # addresses typed by hand (`peer add`, the app's connect dialog)
    "net.address.empty": (
        "une adresse s'écrit HÔTE:PORT, par exemple 192.168.1.20:7447",
        "an address is HOST:PORT, e.g. 192.168.1.20:7447",
    ),
    "net.address.not_an_address": (
        "« {address} » n'est pas une adresse : HÔTE:PORT, par exemple 192.168.1.20:7447 ou four.local:7447",
        "“{address}” is not an address: HOST:PORT, e.g. 192.168.1.20:7447 or bakery.local:7447",
    ),
    "net.address.bad_port": (
        "port incorrect dans « {address} » : un nombre de 1 à 65535",
        "bad port in “{address}”: a number from 1 to 65535",
    ),
    "net.address.unknown": (
        "ni une adresse ni un pair connu : {text}",
        "neither an address nor a known peer: {text}",
    ),
    "net.address.removed": ("{text} oublié", "forgot {text}"),
    "net.address.none": (
        "pas d'adresse réseau : reliez cette machine au réseau local",
        "no network address: connect this machine to the local network",
    ),
    # the RELIANCE_* settings of a node (reliance.net.config)
    "net.config.seconds": (
        "{name} doit être un nombre de secondes entre 0 et 3600, pas {value}",
        "{name} must be a number of seconds between 0 and 3600, not {value}",
    ),
    "net.config.service_type": (
        "{name} doit ressembler à _nom._tcp.local., pas {value}",
        "{name} must look like _name._tcp.local., not {value}",
    ),
    # network
    "net.offline": ("Hors ligne : pas de nœud réseau", "Offline: no network node"),
    "net.offline_short": ("hors ligne", "offline"),
    "net.offline_hint": (
        "Tout fonctionne en local ; vos changements partiront au prochain lancement avec le réseau.",
        "Everything works locally; your changes will leave with the next networked start.",
    ),
    "net.listening": ("Écoute", "Listening"),
    "net.your_address": ("Votre adresse (à taper chez l'autre)", "Your address (for others to type)"),
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
    "net.peer_device": ("{name} (appareil « {device} »)", "{name} (device '{device}')"),
    "localapi.owned_by_invite": (
        "une invitation d'appareil est en cours sur ce dossier (« reliance device invite », pid {pid}) : "
        "relancez une fois qu'elle est finie",
        "an invitation is running on this home ('reliance device invite', pid {pid}): "
        "start again once it ends",
    ),
    "localapi.owned": (
        "ce dossier est déjà tenu par un autre processus reliance (pid {pid})",
        "this home is already owned by another reliance process (pid {pid})",
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
    # the words for the model's values
    "status.draft": ("Brouillon", "Draft"),
    "status.published": ("Publié", "Published"),
    "status.matched": ("Pourvu", "Matched"),
    "status.archived": ("Archivé", "Archived"),
    # ---- the local API's refusals (reliance.localapi): ApiError, NoOwner and ModelError keys
    "localapi.error.no_greeting": ("le propriétaire n'a pas salué", "the owner did not greet"),
    "localapi.error.version": (
        "le propriétaire parle l'API locale {theirs}, pas {ours}",
        "the owner speaks local API {theirs}, not {ours}",
    ),
    "localapi.error.closed": (
        "la connexion au propriétaire est fermée",
        "the connection to the owner is closed",
    ),
    "localapi.error.owner_closed": (
        "le propriétaire a fermé la connexion",
        "the owner closed the connection",
    ),
    "localapi.error.went_away": (
        "le propriétaire de ce dossier est parti",
        "the owner of this home went away",
    ),
    "localapi.error.went_away_because": (
        "le propriétaire est parti : {reason}",
        "the owner went away: {reason}",
    ),
    "localapi.error.timeout": (
        "le propriétaire de ce dossier n'a pas répondu à temps",
        "the owner of this home did not answer in time",
    ),
    "localapi.error.unreadable": (
        "le propriétaire a envoyé quelque chose d'illisible : {reason}",
        "the owner sent something unreadable: {reason}",
    ),
    "localapi.error.nothing_to_update": (
        "rien à modifier : donnez au moins une option (par exemple --title)",
        "nothing to update: give at least one option (e.g. --title)",
    ),
    "localapi.error.transfer_needs_to": (
        "un transfert a besoin de --to ID_PAIR (ou --to @project)",
        "a transfer needs --to PEER_ID (or --to @project)",
    ),
    "localapi.error.entry_kind": (
        "type d'écriture inconnu {value!r} ; choisissez expense, revenue ou transfer",
        "unknown entry kind {value!r}; use expense, revenue or transfer",
    ),
    "localapi.error.days": (
        "start, end : des jours ISO 8601 (AAAA-MM-JJ)",
        "start, end: ISO 8601 days (YYYY-MM-DD)",
    ),
    "localapi.error.dim": ("--dim prend NOM=ENTIER, pas {text!r}", "--dim takes NAME=INTEGER, not {text!r}"),
    "localapi.error.policy_json": (
        "la politique n'est pas du JSON : {reason}",
        "the policy is not JSON: {reason}",
    ),
    "localapi.error.no_node_for": (
        "{op} : aucun nœud ne tourne sur ce dossier",
        "{op}: no node runs on this home",
    ),
    "localapi.error.no_node": (
        "le propriétaire de ce dossier ne fait pas tourner de nœud réseau",
        "the owner of this home runs no network node",
    ),
    "localapi.error.cannot_run": (
        "l'opération {op} ne peut pas tourner ici",
        "operation {op} cannot run here",
    ),
    "localapi.error.request_id": ("une requête a un identifiant entier", "a request has an integer id"),
    "localapi.error.request_op": (
        "une requête nomme son opération (op)",
        "a request names its operation (op)",
    ),
    "localapi.error.request_args": (
        "les arguments d'une requête sont un dictionnaire",
        "a request's args are a map",
    ),
    "localapi.error.request_fields": (
        "une requête n'a que id, op et args",
        "a request has only id, op and args",
    ),
    "localapi.error.arg_text": (
        "{name} : un texte d'au plus {most} caractères",
        "{name}: a text of at most {most} characters",
    ),
    "localapi.error.arg_unknown": ("{op} : argument inconnu {name!r}", "{op}: unknown argument {name!r}"),
    "localapi.error.no_operation": ("pas d'opération {op!r}", "no operation {op!r}"),
    "localapi.error.arg_list": (
        "{name} : une liste d'au plus {most} textes",
        "{name}: a list of at most {most} texts",
    ),
    "localapi.error.arg_texts": ("{name} : une liste de textes", "{name}: a list of texts"),
    "localapi.error.arg_bool": ("{name} : vrai ou faux", "{name}: true or false"),
    "localapi.error.arg_int": ("{name} : un entier d'au plus {most}", "{name}: an integer of at most {most}"),
    "localapi.error.arg_required": ("{op} : {name} est obligatoire", "{op}: {name} is required"),
    "localapi.error.home_mode": (
        "{path} doit être un dossier que vous seul pouvez ouvrir (mode 0700)",
        "{path} must be a directory only you can open (mode 0700)",
    ),
    "localapi.error.not_our_socket": (
        "{path} n'est pas une prise de cet utilisateur : pas utilisée",
        "{path} is not this user's socket: not used",
    ),
    "localapi.error.in_the_way": (
        "{path} gêne : ce n'est pas une prise",
        "{path} is in the way: it is not a socket",
    ),
    "localapi.error.replaced": (
        "{path} a été remplacé pendant sa création",
        "{path} was replaced while it was made",
    ),
    "localapi.error.no_owner": (
        "aucun propriétaire n'écoute sur ce dossier",
        "no owner listens on this home",
    ),
    "localapi.error.other_user": (
        "le processus derrière la prise de ce dossier appartient à un autre utilisateur",
        "the process behind this home's socket is another user's",
    ),
    "localapi.error.no_answer": (
        "le propriétaire ne répond pas : {reason}",
        "the owner does not answer: {reason}",
    ),
    "localapi.error.nul_in_path": (
        "un chemin ne contient jamais de caractère nul",
        "a path never holds a null character",
    ),
    "localapi.error.relative_cwd": (
        "cwd : un chemin absolu (le dossier de travail de la commande)",
        "cwd: an absolute path (the command's working directory)",
    ),
    "localapi.owned_by_cli": (
        "ce dossier est tenu par une autre commande reliance qui écrit (pid {pid}) : "
        "attendez qu'elle finisse",
        "this home is held by another reliance command that writes (pid {pid}): wait until it ends",
    ),
    "localapi.error.hex_key": (
        "key : 64 chiffres hexadécimaux en minuscules",
        "key: 64 lower-case hexadecimal digits",
    ),
    "localapi.error.no_web": (
        "ce nœud ne sert pas de face web (reliance serve --no-web, ou web désactivé)",
        "this node serves no web face (reliance serve --no-web, or web off)",
    ),
    "localapi.error.no_session": ("pas de session {id}", "no session {id}"),
    # ---- end of the local API's refusals
}
