"""My job days: a planner of its own, apart from the pairing.

People visit a host of another job family for a day, across silos. In: the
cohort's profiles (each person's `my_job_day` object and the fields its rules read) and the
`my_job_days` ruleset (its rules and its settings), and nothing else: never the pairing
rules, a pairing result or the audit log. Out: the plan (visits, days, unmet wishes).
Nothing of the pairing reads what it produces.

- `candidates`: profiles + rules -> who may visit whom, with which score and rules fired
  (the same feature code, durable-rules engine and evidence as the pairing);
- `solve`: candidates + days + capacities -> the optimal visits (scipy's milp, HiGHS);
- `plan`: the whole pipeline, pure: cohort + rules -> the JSON contract of
  `tandem myjobdays --format json` (visits, unmet wishes with why, digests, summary).
"""
