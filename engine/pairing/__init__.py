"""The pairing: the best set of pairs for the whole cohort, and why each person got theirs.

In: the evaluation of every candidate pair (engine.evaluation), the mentors' places left and
the cohort-wide constraints of the rules. Out: a `PairingResult` (pairs with their reasons,
unpaired people with why, digests, settings, solver report): the JSON contract of
`tandem pair`.

- `assignment`: the optimal assignment under capacities (scipy);
- `constraints`: the exact model when quotas bind (HiGHS), with its optimality report;
- `pipeline`: cohort + rules + history -> `PairingResult`, and one pair explained;
- `compare`: two rule sets on one cohort (`tandem rules compare`).
"""
