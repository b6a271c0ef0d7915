"""Print the PostgreSQL commands that separate the role owning the tables from the role the application runs as."""

from __future__ import annotations

import re

from django.core.management.base import BaseCommand, CommandError

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def setup_sql(*, owner: str, app: str, database: str) -> str:
    """As a superuser: the two roles and the database, owned by the owner role (passwords to be set)."""
    return f"""-- As a PostgreSQL superuser (psql -U postgres):
CREATE ROLE {owner} LOGIN PASSWORD 'change-me-owner';
CREATE ROLE {app} LOGIN PASSWORD 'change-me-app' NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
CREATE DATABASE {database} OWNER {owner};
"""


def grants_sql(*, owner: str, app: str) -> str:
    """In the database, as the owner role: what the application role may do (rows, not tables)."""
    return f"""-- In the database, as {owner} (psql -U {owner} -d <database>):
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO {app};
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {app};
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {app};
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app};
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {app};
"""


class Command(BaseCommand):
    help = (
        "Print the SQL that creates a role owning the tables (it runs the migrations) and a role the application "
        "runs as, which owns nothing: it can neither TRUNCATE nor switch the append-only triggers off."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--owner", default="aims_owner", help="Role that owns the tables and runs migrate.")
        parser.add_argument("--app", default="aims_app", help="Role the web and worker processes connect as.")
        parser.add_argument("--database", default="aims", help="Database name.")

    def handle(self, *args, **options) -> None:
        names = {key: options[key] for key in ("owner", "app", "database")}
        for key, value in names.items():
            if not IDENTIFIER.match(value):
                raise CommandError(f"--{key} {value!r}: use lower-case letters, digits and underscores.")
        if names["owner"] == names["app"]:
            raise CommandError("The application role must not be the owner role.")
        self.stdout.write(setup_sql(**names))
        self.stdout.write(grants_sql(owner=names["owner"], app=names["app"]))
