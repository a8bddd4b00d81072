"""Evaluation: the rules applied to people, pair by pair, by the rule engine.

In: a `Cohort` (engine.profiles), `Rules` (engine.rules) and the couples' past
(`engine.rules.history`). Out: for every candidate pair, its features, the rules that fired
(from durable-rules), its score, its eligibility, and the words that explain it.

- `features`: each pair's features, coded once per distinct combination (`PairSpace`);
- `compile`: rule sets -> durable-rules rulesets;
- `rete`: the durable-rules adapter, the only module that imports `durable`;
- `scoring`: fired rules -> scores and exclusions (`OutcomeTable`);
- `explain`: the reasons of a pair or a visit, with their evidence;
- `rule_warnings`: pair-time warnings (dead rules, constants no profile has);
- `inputs`: a cohort and its rules loaded, checked and compiled together.

Shared by the pairing and by my job days, which never import each other.
"""
