"""The audit trail: every committed pairing decision, with its justification, in a hash chain.

The only package that imports SQLAlchemy and alembic. `audit.log` is the log itself; above
it sit the program's stores: `state` (the fold of the log into the program's state),
`commit` (a pairing run), `program` (the lifecycle), `followup` (check-ins and outcomes),
`myjobdays` (plans), and the readers `review`, `explain`, `report`, `insights`, `export` and
`workbook`. Importing ``audit`` or ``audit.commit`` stays cheap: the database code loads
when a function needs it.
"""
