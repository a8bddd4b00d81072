"""Another person, as the database sees one: another OS user on SQLite, another role on
PostgreSQL. Approvals compare the identity the database vouches for, not --actor."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REVIEWER = "tandem_reviewer"


def reviewer(url: str) -> tuple[str, dict[str, str]]:
    """The database URL and environment under which a second person works."""
    if not url.startswith("postgresql"):
        return url, {"LOGNAME": REVIEWER, "USER": REVIEWER}
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"),
                                  {"r": REVIEWER}).first()
            if not exists:
                conn.execute(text(f"CREATE ROLE {REVIEWER} LOGIN SUPERUSER"))
    except Exception:  # created at the same moment by another test process
        pass
    finally:
        engine.dispose()
    return make_url(url).set(username=REVIEWER).render_as_string(hide_password=False), {}
