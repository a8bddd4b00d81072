"""The log itself: an append-only, hash-chained table of entries, and what checks it.

In: entries (plain dicts) from the program's stores above. Out: rows appended under the
writers' lock, read back in order or by index, and the chain's verdict.

- `db`: the database (SQLite or PostgreSQL), its locks and its modes;
- `migrate`, `migrations/`, `schema`: the schema, created and upgraded by alembic;
- `kinds`: the name of every entry kind;
- `entries`: from a result to entries; digests of profiles and rules;
- `chain`: the hash chain and its verifier; `store`: rows in and out;
- `witness`, `checkpoint`: heads kept outside the database, signed when a key is given;
- `verify`: the whole chain re-hashed and checked; `grant`: a PostgreSQL role that may only
  read and append; `errors`: what goes wrong, in words that say how to fix it.

Imports nothing of `audit` above it.
"""
