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
    # ledger actions, as words in explanations
    "action.work": ("travail", "work"),
    "action.transfer": ("argent", "money"),
    "action.use": ("ressources", "resources"),
    "action.cite": ("connaissances", "knowledge"),
    "action.produce": ("production", "production"),
    "action.consume": ("consommation", "consumption"),
}
