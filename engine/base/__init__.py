"""The shared base every stage may use: small, pure helpers with no knowledge of the domain.

- `canonical`: canonical JSON and its digests (what the audit chain hashes);
- `errors`: the one root exception and the located problems every stage reports;
- `suggest`: "did you mean" for misspelt names;
- `files`: the capped reader (regular files only, a size limit);
- `resources`: where the bundled rules, schemas and templates live;
- `protected`: protected data stripped from anything chained or shown;
- `spreadsheet`: the neutraliser of every cell that leaves the program.

In: plain values. Out: plain values. It imports nothing else of Tandem.
"""
