"""The catalogue's texts for the economy: the ledger and the dividend's explanations.

Each entry is `key: (French, English)`, French first, both sides with the same `{placeholders}`, and its key
in one of `NAMESPACES` (the part before the first dot): `reliance.i18n` merges this table with the other
areas' and refuses a key outside them or defined twice (docs/i18n.md).
"""

from __future__ import annotations

NAMESPACES = ("ledger", "dividend", "action", "entry", "entry_kind", "weight")

MESSAGES: dict[str, tuple[str, str]] = {
    # a dividend policy's weights and rules, as shown (the policy itself keeps its codes: cite/min)
    "weight.line": ("{action} ({per}) × {weight}", "{action} ({per}) × {weight}"),
    "weight.per_minute": ("par minute", "per minute"),
    "weight.per_cent": ("par centime de {unit}", "per {unit} cent"),
    "weight.per_unit": ("par {unit}", "per {unit}"),
    "weight.rule.reserve": ("réserve", "reserve"),
    "weight.rule.equal": ("parts égales", "equal shares"),
    "weight.rule.contribution": ("selon la contribution", "by contribution"),
    # why a change counts for nothing (strong removal, docs/sync-protocol.md)
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
    # the ledger (reliance.economy.entries, reliance.economy.ledger)
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
    # the dividend's explanations (reliance.economy.explain), worded from the data stored with a distribution
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
    # ledger actions, as words in explanations
    "action.work": ("travail", "work"),
    "action.transfer": ("argent", "money"),
    "action.use": ("ressources", "resources"),
    "action.cite": ("connaissances", "knowledge"),
    "action.produce": ("production", "production"),
    "action.consume": ("consommation", "consumption"),
    # ---- the ledger's refusals (reliance.economy.checks, entries, ledger, ledger_data): LedgerError keys
    "ledger.what.in_entry": ("écriture {id} : {field}", "entry {id}: {field}"),
    "ledger.what.in_acknowledgement": ("reconnaissance {id} : {field}", "acknowledgement {id}: {field}"),
    "ledger.what.unit": ("l'unité", "the unit"),
    "ledger.what.time": ("l'heure", "the time"),
    "ledger.what.amount": ("le montant", "the amount"),
    "ledger.what.author": ("l'auteur", "the author"),
    "ledger.what.member": ("le membre", "the member"),
    "ledger.what.note": ("la note", "the note"),
    "ledger.what.counterparty": ("le destinataire", "the counterparty"),
    "ledger.what.reversed_id": ("l'identifiant de l'écriture annulée", "the reversed entry id"),
    "ledger.what.dimension_name": ("un nom de dimension", "a dimension name"),
    "ledger.what.entry_id": ("un identifiant d'écriture", "an entry id"),
    "ledger.what.entry_ref": ("l'identifiant de l'écriture", "the entry id"),
    "ledger.what.acknowledgement_id": ("un identifiant de reconnaissance", "an acknowledgement id"),
    "ledger.what.acknowledger": ("qui reconnaît", "who acknowledges"),
    "ledger.what.line_member": ("le membre d'une ligne de versement", "a payout line's member"),
    "ledger.what.line_payout": ("le versement de {member}", "the payout of {member}"),
    "ledger.what.explanation": ("une explication de versement", "a payout explanation"),
    "ledger.what.limit_member": ("le membre d'une limite de crédit", "a credit limit's member"),
    "ledger.what.limit_unit": ("l'unité d'une limite de crédit", "a credit limit's unit"),
    "ledger.what.limit_floor": (
        "la limite de crédit de {member} en {unit}",
        "the credit limit of {member} in {unit}",
    ),
    "ledger.what.period_start": ("le début de la période", "the start of the period"),
    "ledger.what.period_end": ("la fin de la période", "the end of the period"),
    "ledger.what.pool": ("le montant à répartir", "the pool"),
    "ledger.what.pool_unit": ("l'unité du montant à répartir", "the pool's unit"),
    "ledger.what.reserve": ("la réserve", "the reserve"),
    "ledger.what.a_member": ("un membre", "a member"),
    "ledger.what.an_amount": ("un montant", "an amount"),
    "ledger.what.a_count": ("un nombre", "a count"),
    "ledger.what.an_entry": ("une écriture", "an entry"),
    "ledger.what.entry_n": ("écriture {id}", "entry {id}"),
    "ledger.what.an_acknowledgement": ("une reconnaissance", "an acknowledgement"),
    "ledger.what.acknowledgement_n": ("reconnaissance {id}", "acknowledgement {id}"),
    "ledger.what.a_credit_limit": ("une limite de crédit", "a credit limit"),
    "ledger.what.a_distribution": ("une distribution", "a distribution"),
    "ledger.error.not_text": ("{what} doit être un texte, pas {type}", "{what} must be text, got {type}"),
    "ledger.error.empty": ("{what} est vide", "{what} is empty"),
    "ledger.error.too_long": (
        "{what} dépasse {limit} caractères",
        "{what} is longer than {limit} characters",
    ),
    "ledger.error.nul": (
        "{what} ne peut pas contenir de caractère NUL",
        "{what} cannot contain NUL characters",
    ),
    "ledger.error.spaces_around": (
        "{what} {name!r} commence ou finit par une espace",
        "{what} {name!r} has leading or trailing spaces",
    ),
    "ledger.error.reserved_name": (
        "{what} {name!r} est réservé (les noms qui commencent par « @ », et « * »)",
        "{what} {name!r} is reserved (names starting with '@', and '*')",
    ),
    "ledger.error.unit_spaces": (
        "{what} {unit!r} ne peut pas contenir d'espace",
        "{what} {unit!r} cannot contain spaces",
    ),
    "ledger.error.not_whole": (
        "{what} doit être un nombre entier d'unités mineures (centimes, minutes…), pas {value}",
        "{what} must be a whole number of minor units (cents, minutes…), got {value}",
    ),
    "ledger.error.below_1": ("{what} doit être positif, pas {value}", "{what} must be positive, got {value}"),
    "ledger.error.below_0": (
        "{what} doit être positif ou nul, pas {value}",
        "{what} must be zero or more, got {value}",
    ),
    "ledger.error.below": (
        "{what} doit valoir au moins {minimum}, pas {value}",
        "{what} must be at least {minimum}, got {value}",
    ),
    "ledger.error.out_of_range": (
        "{what} est hors limites (au plus {max} en valeur absolue)",
        "{what} is out of range (at most {max} in absolute value)",
    ),
    "ledger.error.no_instant": (
        "{what} doit être une heure ISO 8601 comme 2025-06-14T10:00:00Z",
        "{what} must be an ISO 8601 time such as 2025-06-14T10:00:00Z",
    ),
    "ledger.error.not_instant": (
        "{what} : pas une heure ISO 8601 : {value!r} (par exemple 2025-06-14T10:00:00Z)",
        "{what}: not an ISO 8601 time: {value!r} (e.g. 2025-06-14T10:00:00Z)",
    ),
    "ledger.error.no_offset": (
        "{what} : {value!r} n'a pas de décalage UTC (écrivez 2025-06-14T10:00:00Z)",
        "{what}: {value!r} has no UTC offset (write it as 2025-06-14T10:00:00Z)",
    ),
    "ledger.error.period_backwards": (
        "la période finit ({end}) avant de commencer ({start})",
        "the period ends ({end}) before it starts ({start})",
    ),
    "ledger.error.period_type": (
        "{what} doit être une date ou une heure ISO 8601, pas {type}",
        "{what} must be an ISO 8601 date or time, got {type}",
    ),
    "ledger.error.not_date": (
        "{what} : pas une date ou une heure ISO 8601 : {value!r} (par exemple 2025-06-30)",
        "{what}: not an ISO 8601 date or time: {value!r} (e.g. 2025-06-30)",
    ),
    "ledger.error.dimension": (
        "dimension {text!r} : {reason} (écrivez NOM=ENTIER, par exemple joie=2)",
        "dimension {text!r}: {reason} (write NAME=INTEGER, e.g. joy=2)",
    ),
    "ledger.dimension.no_equals": ("pas de « = »", "no '='"),
    "ledger.dimension.no_name": ("pas de nom avant « = »", "no name before '='"),
    "ledger.dimension.not_whole": (
        "{number!r} n'est pas un nombre entier",
        "{number!r} is not a whole number",
    ),
    "ledger.dimension.out_of_range": ("le nombre est hors limites", "the number is out of range"),
    "ledger.error.unknown_kind": (
        "écriture {id} : type inconnu {kind!r} ; types possibles : {known}",
        "entry {id}: unknown kind {kind!r}; use one of: {known}",
    ),
    "ledger.error.unknown_action": (
        "écriture {id} : action inconnue {action!r} ; actions possibles : {known}",
        "entry {id}: unknown action {action!r}; use one of: {known}",
    ),
    "ledger.error.no_counterparty": (
        "écriture {id} : un transfert a besoin d'un destinataire (qui le reçoit)",
        "entry {id}: a transfer needs a counterparty (who receives it)",
    ),
    "ledger.error.self_transfer": (
        "écriture {id} : un transfert ne peut pas aller de {member} à lui-même",
        "entry {id}: a transfer cannot go from {member} to themselves",
    ),
    "ledger.error.only_transfer": (
        "écriture {id} : seul un transfert a un destinataire",
        "entry {id}: only a transfer has a counterparty",
    ),
    "ledger.error.reversal_target": (
        "écriture {id} : une annulation doit nommer l'écriture qu'elle annule",
        "entry {id}: a reversal must name the entry it reverses",
    ),
    "ledger.error.reverses_itself": (
        "écriture {id} : une écriture ne peut pas s'annuler elle-même",
        "entry {id}: an entry cannot reverse itself",
    ),
    "ledger.error.only_reversal": (
        "écriture {id} : seule une annulation nomme une écriture à annuler",
        "entry {id}: only a reversal names an entry to reverse",
    ),
    "ledger.error.lines_type": (
        "écriture {id} : les lignes de versement doivent être un tuple de PayoutLine",
        "entry {id}: payout lines must be a tuple of PayoutLine",
    ),
    "ledger.error.too_many_lines": (
        "{what} : plus de {max} lignes de versement",
        "{what}: more than {max} payout lines",
    ),
    "ledger.error.member_twice": (
        "écriture {id} : un membre apparaît deux fois dans les lignes de versement",
        "entry {id}: a member appears twice in the payout lines",
    ),
    "ledger.error.lines_sum": (
        "écriture {id} : les lignes de versement font {paid}, pas le montant {amount}",
        "entry {id}: the payout lines sum to {paid}, not to the amount {amount}",
    ),
    "ledger.error.only_distribution": (
        "écriture {id} : seule une distribution a des lignes de versement",
        "entry {id}: only a distribution has payout lines",
    ),
    "ledger.error.dimensions_type": (
        "écriture {id} : les dimensions doivent associer un nom à un nombre entier",
        "entry {id}: dimensions must be a mapping of name to whole number",
    ),
    "ledger.error.too_many_dimensions": (
        "écriture {id} : plus de {max} dimensions",
        "entry {id}: more than {max} dimensions",
    ),
    "ledger.error.dimension_is_unit": (
        "écriture {id} : la dimension {name!r} répète l'unité (le montant la compte déjà)",
        "entry {id}: dimension {name!r} repeats the unit (the amount already counts it)",
    ),
    "ledger.error.dimension_not_whole": (
        "écriture {id} : la dimension {name!r} doit être un nombre entier, pas {value!r}",
        "entry {id}: dimension {name!r} must be a whole number, got {value!r}",
    ),
    "ledger.error.dimension_range": (
        "écriture {id} : la dimension {name!r} est hors limites",
        "entry {id}: dimension {name!r} is out of range",
    ),
    "ledger.error.factor": (
        "reconnaissance {id} : le facteur doit être un pourcentage entier entre 0 et {max}, pas {value!r}",
        "acknowledgement {id}: the factor must be a whole percentage between 0 and {max}, got {value!r}",
    ),
    "ledger.error.reverse_reversal": (
        "l'écriture {id} est elle-même une annulation : enregistrez de nouveau l'écriture d'origine",
        "entry {id} is itself a reversal: record the original entry again instead",
    ),
    "ledger.error.id_shared": (
        "deux écritures différentes ont le même identifiant {id} (une écriture ne se modifie jamais)",
        "two different entries share the id {id} (entries are never edited)",
    ),
    "ledger.error.id_used": (
        "l'identifiant d'écriture {id} est déjà pris (une écriture ne se modifie jamais : annulez-la)",
        "entry id {id} is already used (entries are never edited: record a reversal)",
    ),
    "ledger.error.reverses_missing": (
        "l'écriture {id} annule {target}, qui n'est pas dans le registre",
        "entry {id} reverses {target}, which is not in the ledger",
    ),
    "ledger.error.already_reversed": ("l'écriture {id} est déjà annulée", "entry {id} is already reversed"),
    "ledger.error.reversal_mismatch": (
        "l'écriture {id} doit reprendre le montant, l'unité, le membre, l'action et les lignes de {target}",
        "entry {id} must repeat the amount, unit, member, action and lines of {target} (use make_reversal)",
    ),
    "ledger.error.ack_missing": (
        "reconnaissance {id} : l'écriture {entry} n'est pas dans le registre",
        "acknowledgement {id}: entry {entry} is not in the ledger",
    ),
    "ledger.error.ack_kind": (
        "reconnaissance {id} : seules les contributions se reconnaissent, {entry} est : {kind}",
        "acknowledgement {id}: only contributions are acknowledged, {entry} is: {kind}",
    ),
    "ledger.error.ack_own": (
        "reconnaissance {id} : vous ne pouvez pas reconnaître votre propre écriture",
        "acknowledgement {id}: you cannot acknowledge your own entry",
    ),
    "ledger.error.ack_bounds": (
        "reconnaissance {id} : le facteur {factor} % sort des bornes de la politique ({min} % à {max} %)",
        "acknowledgement {id}: the factor {factor} % is outside the policy's bounds ({min} % to {max} %)",
    ),
    "ledger.error.missing_field": (
        "{what} : il manque le champ {name!r}",
        "{what}: missing field {name!r}",
    ),
    "ledger.error.lines_not_list": (
        "{what} : les lignes doivent être une liste",
        "{what}: lines must be a list",
    ),
    "ledger.error.line_not_mapping": (
        "{what} : une ligne de versement doit être un dictionnaire",
        "{what}: a payout line must be a mapping",
    ),
    "ledger.error.not_mapping": ("{what} doit être un dictionnaire", "{what} must be a mapping"),
    "ledger.error.dimension_name": (
        "une dimension doit avoir un nom non vide, pas {name!r}",
        "a dimension must be a non-empty name, got {name!r}",
    ),
    # ---- end of the ledger's refusals
    # ---- the dividend's refusals (reliance.economy.policy, dividend): PolicyError and LedgerError keys
    "dividend.policy.no_name": ("{what} doit être un nom non vide", "{what} must be a non-empty name"),
    "dividend.policy.bucket_name": ("le nom d'une part", "a bucket's name"),
    "dividend.policy.bucket_n_name": ("le nom de la part {number}", "bucket {number}'s name"),
    "dividend.policy.unknown_rule": (
        "part {name!r} : règle inconnue {rule!r} ; règles possibles : reserve, equal, contribution",
        "bucket {name!r}: unknown rule {rule!r}; use reserve, equal or contribution",
    ),
    "dividend.policy.percent": (
        "part {name!r} : le pourcentage doit être un nombre entier de 0 à 100, pas {value!r}",
        "bucket {name!r}: percent must be a whole number from 0 to 100, got {value!r}",
    ),
    "dividend.policy.unknown_action": (
        "poids : action inconnue {action!r} ; actions possibles : {known}",
        "weight: unknown action {action!r}; use one of: {known}",
    ),
    "dividend.policy.weight_unit": ("l'unité du poids de {action}", "the unit of the weight for {action}"),
    "dividend.policy.weight_for": ("le poids de {action}/{unit}", "weight for {action}/{unit}"),
    "dividend.policy.weight_type": (
        "{what} doit être un nombre entier ou une fraction, pas {value!r}",
        "{what} must be a whole number or a fraction, got {value!r}",
    ),
    "dividend.policy.weight_range": (
        "{what} doit être entre 0 et {max}, pas {value}",
        "{what} must be between 0 and {max}, got {value}",
    ),
    "dividend.policy.denominator": (
        "{what} : dénominateur plus grand que {max}",
        "{what}: denominator larger than {max}",
    ),
    "dividend.policy.version": (
        "la version doit être un nombre entier de 0 à {max}, pas {value!r}",
        "version must be a whole number from 0 to {max}, got {value!r}",
    ),
    "dividend.policy.no_bucket": (
        "une politique a besoin d'au moins une part",
        "a policy needs at least one bucket",
    ),
    "dividend.policy.too_many_buckets": (
        "au plus {max} parts, pas {count}",
        "at most {max} buckets, got {count}",
    ),
    "dividend.policy.bucket_twice": ("deux parts s'appellent {name!r}", "two buckets are named {name!r}"),
    "dividend.policy.rule_twice": (
        "deux parts suivent la règle {rule!r} : fusionnez-les",
        "two buckets use the rule {rule!r}: merge them into one",
    ),
    "dividend.policy.sum": (
        "les pourcentages des parts font {total}, pas 100",
        "bucket percentages sum to {total}, not 100",
    ),
    "dividend.policy.too_many_weights": (
        "au plus {max} poids, pas {count}",
        "at most {max} weights, got {count}",
    ),
    "dividend.policy.weight_twice": ("deux poids pour {action}/{unit}", "two weights for {action}/{unit}"),
    "dividend.policy.bounds_type": (
        "ack_factor_min et ack_factor_max doivent être des pourcentages entiers",
        "ack_factor_min and ack_factor_max must be whole percentages",
    ),
    "dividend.policy.bounds": (
        "les bornes des reconnaissances doivent respecter 0 <= min <= 100 <= max <= {max_factor}, "
        "pas min {low} et max {high}",
        "acknowledgement bounds must satisfy 0 <= min <= 100 <= max <= {max_factor}, "
        "got min {low} and max {high}",
    ),
    "dividend.policy.weight_float": (
        "{what} : {value!r} n'est pas permis ; écrivez un nombre entier ou un texte comme '0.5' ou '1/25'",
        "{what}: {value!r} is not allowed; write a whole number or a text such as '0.5' or '1/25'",
    ),
    "dividend.policy.division_by_zero": (
        "{what} : division par zéro dans {value!r}",
        "{what}: division by zero in {value!r}",
    ),
    "dividend.policy.weight_text": (
        "{what} doit être un nombre entier ou un texte comme '0.5' ou '1/25', pas {value!r}",
        "{what} must be a whole number or a text such as '0.5' or '1/25', got {value!r}",
    ),
    "dividend.policy.not_mapping": (
        "une politique doit être un dictionnaire de champs",
        "a policy must be a mapping of fields",
    ),
    "dividend.policy.unknown_fields": (
        "champ(s) de politique inconnu(s) : {fields}",
        "unknown policy field(s): {fields}",
    ),
    "dividend.policy.needs": ("il manque {name!r} à la politique", "a policy needs {name!r}"),
    "dividend.policy.not_list": ("{name!r} doit être une liste", "{name!r} must be a list"),
    "dividend.policy.bucket_fields": (
        "la part {number} doit avoir exactement les champs name, percent et rule",
        "bucket {number} must have exactly the fields name, percent and rule",
    ),
    "dividend.policy.weight_fields": (
        "le poids {number} doit avoir exactement les champs action, unit et weight",
        "weight {number} must have exactly the fields action, unit and weight",
    ),
    "dividend.policy.weight_text_fields": (
        "poids {number} : l'action et l'unité doivent être des textes",
        "weight {number}: action and unit must be text",
    ),
    "dividend.error.ack_id_shared": (
        "deux reconnaissances différentes ont le même identifiant {id}",
        "two different acknowledgements share the id {id}",
    ),
    "dividend.error.version": (
        "la version de la politique doit être un nombre entier, pas {value!r}",
        "the policy version must be a whole number, got {value!r}",
    ),
    "dividend.error.heads": (
        "les têtes doivent être une liste d'empreintes de têtes du document",
        "the heads must be a list of document head hashes",
    ),
    "dividend.error.lines": (
        "les lignes de versement doivent être des valeurs PayoutLine",
        "the payout lines must be PayoutLine values",
    ),
    "dividend.error.member_twice": (
        "un membre apparaît deux fois dans les lignes de versement",
        "a member appears twice in the payout lines",
    ),
    "dividend.error.notes": ("les notes doivent être des textes courts", "notes must be short texts"),
    "dividend.error.too_many_members": ("plus de {max} membres", "more than {max} members"),
    "dividend.error.needs": ("il manque {name!r} à une distribution", "a distribution needs {name!r}"),
    "dividend.error.lists": (
        "les têtes et les notes d'une distribution doivent être des listes",
        "a distribution's heads and notes must be lists",
    ),
    # ---- end of the dividend's refusals
}
