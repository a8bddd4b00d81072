"""Insights: which criteria go with pairs that succeed, with honest uncertainty.

In: ``PairFact``s, one per pair with a result (its outcome, or a failure when a separation
in the mismatch or conflict category ended it), each with the rules that fired, its score
and both profiles as they were when the pair was formed (``audit.insights`` reads them).
Out: the ``insights`` report, plain data: every candidate criterion (aliased and nested
criteria merged into one row) with its counts, success rates with 95% Wilson intervals, the
unadjusted difference with a Newcombe interval and a Fisher exact p-value, the comparison
adjusted for the score and the cohort (logistic regression; Firth's penalised fit where a
criterion separates), Benjamini-Hochberg within each family, sorted by strength of evidence;
a plain recommendation per rule.

Modules: ``facts`` (the input), ``stats`` (intervals, tests, the model: scipy and
statsmodels), ``criteria`` (criterion name -> which pairs have it), ``report`` (the whole).
"""
