"""Projects screen: members, ledger, balances and dividend."""
