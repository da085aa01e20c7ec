"""The IAM policy engine: parse policies, expand actions, evaluate requests as AWS does, and
analyse principals (administrators, privilege escalation, separation of duties, trust).

Modules: patterns (wildcards), policy (documents), conditions (operators, request context),
catalogue (the pinned IAM action catalogue), evaluate (one request), coverage (every action /
some resource), principals (the account's users and roles), methods and escalation
(privilege escalation), duties (separation of duties), trust (role trust policies),
simulate (`iam simulate`), cli (the `iam` command group).
"""
