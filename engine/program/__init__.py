"""The program's lifecycle, as pure functions over the state derived from the audit log.

In: the derived state (active pairs, who is free, the history of each couple, pending
proposals) as plain values, a cohort and the rules where a decision needs them.
Out: the entries to record (`engine.program.events`), or a refusal that says why and what
to do.
Nothing here reads or writes a database: `audit.program` does, around these functions.

- `events`: the lifecycle entry kinds, as frozen dataclasses (the audit log chains them);
- `separation`: ending an active pair;
- `reassignment`: new partners for free people, with the pairing engine;
- `decision`: a human's force or forbid, with what the rules said of the pair;
- `approval`: approving or rejecting a proposed run;
- `withdrawal`: a person leaving the program (ending their pairs), or rejoining it.
- `letters`: the introduction letter to each person of a pair (what `audit.letters`
  records and the command line writes or sends).
"""
