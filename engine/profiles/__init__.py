"""Profiles: from the files HR gives to validated participants.

- `read`: a cohort file (JSON, JSONL or CSV in Tandem's own columns) into raw records;
- `validate`: the records checked against the schema and the vocabulary, into a `Cohort`;
- `table`, `mapping`, `importing`, `suggest_mapping`: an HR export (CSV or xlsx) in its own
  columns and values, through a mapping, into a cohort (`tandem import`);
- `questionnaire`: learning styles derived from questionnaire answers, with their evidence.
"""
