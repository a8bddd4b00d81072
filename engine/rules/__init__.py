"""The rules language: the admin's files, read and checked, as typed rule sets.

In: a rules directory (YAML rule files, `settings.yaml`, `vocabulary.yaml`). Out: `Rules`
(the pairing and my-job-day rule sets, each with its settings and constraints), the
`Vocabulary` (the words profiles and rules may use), and located problems with a line and a
"did you mean" for every mistake.

- `yamlio`: YAML with line numbers, hardened;
- `vocabulary`: learning styles, job families, topics, intentions, declared fields;
- `conditions`: the condition tree a rule's `when:` becomes;
- `ruleset`: rule files -> `Rules`;
- `history`: the pair fields that read the program's past (`pair.paired_before`, ...).

Below `profiles` (validation reads the vocabulary); knows nothing of people or pairs.
"""
