"""Account structure checks (ACCT-1..3, CIS 2.1-2.3): the Organization, the management account,
budgets, contacts."""
