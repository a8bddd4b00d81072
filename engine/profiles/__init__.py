"""Profiles: the participants, read from files and validated.

In: cohort files (JSON, JSONL, CSV) and the vocabulary of `engine.rules`. Out: a `Cohort` of
validated participants (mentors and mentees, with their tenure derived), or every problem at
once, each with its file, JSON path and a "did you mean".

- `read`: files -> raw records (capped, any of the three formats);
- `validate`: raw records -> validated participants (JSON Schema and the vocabulary);
- `validate_files`: `tandem validate` over several files;
- `cohort`: the validated cohort, as the later stages read it;
- `table`, `mapping`, `importing`, `suggest_mapping`: an HR export (CSV or xlsx) in its own
  columns and values, through a mapping, into a cohort (`tandem import`);
- `questionnaire`: learning styles derived from questionnaire answers, with their evidence.
"""
