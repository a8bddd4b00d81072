"""Follow-up of pairs: check-ins and outcomes, facts reported by people about a pair.

In: check-in files (CSV, JSON, JSONL) or one check-in or outcome from the command line, and
the pairs the log has formed (``PairBook``, built by ``audit.followup`` from the entries).
Out: validated ``Checkin`` and ``Outcome`` facts, and located problems for the ones that
must be refused. Pure: the audit package reads the log and writes the entries.
"""
