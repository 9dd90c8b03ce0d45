"""The SQL that prepares a MySQL 8 / MariaDB server for the portal, and applying it.

One database (utf8mb4) and three accounts, each with only what its job needs:
- app: reads and writes rows (what gunicorn runs as); no DDL, so a bug or an injection in the
  portal cannot drop or alter a table;
- migrations: DDL plus data, used only for `manage.py migrate` (migrations also load data);
- reporting: SELECT only, for DBAs' reports and dashboards that query the tables directly.

Every statement is idempotent (CREATE … IF NOT EXISTS, then ALTER USER to set the password), so
re-running the script converges and rotates passwords. Statements are kept as (template, params)
pairs: applying them passes the values to the driver, which escapes them for the connection;
printing them quotes the values here, for review and for the `mysql` client.
"""

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

DEFAULT_DATABASE = "hadoop_fault_db"
DEFAULT_HOST_PATTERN = "%"

# Role -> privileges on `<database>`.*.
# REFERENCES: MySQL 8 checks it when a migration creates a foreign key.
PRIVILEGES = {
    "app": ("SELECT", "INSERT", "UPDATE", "DELETE"),
    "migrations": (
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "CREATE",
        "ALTER",
        "DROP",
        "INDEX",
        "REFERENCES",
    ),
    "reporting": ("SELECT",),
}


@dataclass(frozen=True)
class Role:
    """How one account is named and configured on the command line and in the environment."""

    key: str
    default_user: str
    user_option: str
    password_option: str
    password_env: str
    purpose: str


ROLES = (
    Role(
        "app",
        "faultportal_app",
        "--app-user",
        "--app-password",
        "MYSQL_APP_PASSWORD",
        "the portal itself (gunicorn, commands): rows only",
    ),
    Role(
        "migrations",
        "faultportal_migrate",
        "--migrate-user",
        "--migrate-password",
        "MYSQL_MIGRATE_PASSWORD",
        "`manage.py migrate` only: DDL and data",
    ),
    Role(
        "reporting",
        "faultportal_report",
        "--report-user",
        "--report-password",
        "MYSQL_REPORT_PASSWORD",
        "reports and direct queries: read only",
    ),
)


class BootstrapError(ValueError):
    """A value the bootstrap cannot use; the message says which option and how to fix it."""


@dataclass(frozen=True)
class Account:
    role: str
    user: str
    password: str


@dataclass(frozen=True)
class Statement:
    template: str  # %s placeholders, as the MySQLdb driver takes them
    params: tuple[str, ...] = ()
    secret: bool = False  # carries a password


_DATABASE_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
# MySQL 8 allows 32 characters in a user name (MariaDB 80); keep to the portable limit.
_USER_NAME = re.compile(r"[A-Za-z0-9_]{1,32}")
# Host names, IPv4/IPv6 addresses, `%`/`_` wildcards and netmasks (10.0.0.0/255.255.255.0).
_HOST_PATTERN = re.compile(r"[A-Za-z0-9.%_:/-]{1,255}")


def validate_database_name(name: str) -> str:
    if not _DATABASE_NAME.fullmatch(name):
        raise BootstrapError(
            f"--database {name!r} is not a plain database name: use 1-64 letters, digits or _."
        )
    return name


def validate_user_name(name: str, *, option: str) -> str:
    if not _USER_NAME.fullmatch(name):
        raise BootstrapError(
            f"{option} {name!r} is not a plain user name: use 1-32 letters, digits or _."
        )
    return name


def validate_host_pattern(pattern: str) -> str:
    if not _HOST_PATTERN.fullmatch(pattern):
        raise BootstrapError(
            f"--host-pattern {pattern!r} is not a host pattern: use a host name, an IP address, "
            "a netmask or MySQL wildcards, e.g. %, 10.20.% or app01.example.com."
        )
    return pattern


def validate_password(password: str | None, *, role: Role) -> str:
    if not password:
        raise BootstrapError(
            f"No password for the {role.key} user: pass {role.password_option} or set "
            f"{role.password_env} (there is no default password)."
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in password):
        raise BootstrapError(
            f"The {role.key} password ({role.password_option} / {role.password_env}) contains a "
            "control character (a newline?); use printable characters only."
        )
    return password


def bootstrap_statements(
    *, database: str, host_pattern: str, accounts: list[Account]
) -> list[Statement]:
    """The statements that create the database and the accounts and grant their privileges."""
    validate_database_name(database)
    validate_host_pattern(host_pattern)
    users = [account.user for account in accounts]
    if len(set(users)) != len(users):
        raise BootstrapError(f"The three users need different names, got {', '.join(users)}.")
    statements = [
        Statement(
            f"CREATE DATABASE IF NOT EXISTS `{database}` "
            "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ),
        # Also on an existing database: tables created later inherit this default.
        Statement(f"ALTER DATABASE `{database}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"),
    ]
    for account in accounts:
        user = (account.user, host_pattern)
        statements += [
            Statement(
                "CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s",
                (*user, account.password),
                secret=True,
            ),
            # CREATE … IF NOT EXISTS leaves an existing user's password alone; this sets it.
            Statement("ALTER USER %s@%s IDENTIFIED BY %s", (*user, account.password), secret=True),
            Statement(
                f"GRANT {', '.join(PRIVILEGES[account.role])} ON `{database}`.* TO %s@%s", user
            ),
        ]
    return statements


def sql_string_literal(value: str) -> str:
    """Quote a value as a MySQL string literal (for the printed script).

    A quote is doubled, which every sql_mode reads the same way; a backslash is doubled, which
    is right unless NO_BACKSLASH_ESCAPES is on (render_script switches that off when needed).
    """
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


# Removes NO_BACKSLASH_ESCAPES from the session's sql_mode and keeps everything else.
_BACKSLASH_ESCAPES_ON = (
    "SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), "
    "',NO_BACKSLASH_ESCAPES,', ','))"
)


def render_statement(statement: Statement, *, hide_secrets: bool = False) -> str:
    values = [sql_string_literal(value) for value in statement.params]
    if hide_secrets and statement.secret:
        values[-1] = "'********'"
    return statement.template % tuple(values) + ";"


def render_script(statements: list[Statement], *, accounts: list[Account], database: str) -> str:
    """The statements as a script for `mysql -u root -p < bootstrap.sql`, with a header."""
    lines = [
        "-- faultportal: database and least-privilege accounts (MySQL 8 / MariaDB 10.5+).",
        "-- Contains passwords: review it, run it as an administrator, then delete the file:",
        "--   mysql -h <server> -u root -p < bootstrap.sql",
        "-- Safe to run again: it creates what is missing and resets the three passwords.",
    ]
    roles = {role.key: role for role in ROLES}
    for account in accounts:
        lines.append(f"--   {account.user}: {roles[account.role].purpose}")
    lines.append("")
    if any("\\" in value for statement in statements for value in statement.params):
        lines.append(_BACKSLASH_ESCAPES_ON + ";  -- the passwords below contain backslashes")
    lines += [render_statement(statement) for statement in statements]
    users = {account.role: account.user for account in accounts}
    url = "DATABASE_URL=mysql://{user}:<password>@<server>:3306/" + database
    lines += [
        "",
        "-- Then, on the portal's hosts (URL-encode special characters in passwords):",
        f"--   {url.format(user=users['migrations'])} python manage.py migrate",
        f"--   {url.format(user=users['app'])} ./bin/demo or gunicorn (the portal)",
    ]
    return "\n".join(lines) + "\n"


def admin_connection_params(admin_url: str) -> dict:
    """MySQLdb.connect() arguments for an administrator URL, mysql://root:pw@host:3306/."""
    parts = urlsplit(admin_url)
    if parts.scheme not in ("mysql", "mariadb") or not parts.hostname:
        raise BootstrapError(
            "--admin-url / MYSQL_ADMIN_URL must look like mysql://root:password@host:3306/, "
            f"got {_without_password(admin_url)!r}."
        )
    return {
        "host": parts.hostname,
        "port": parts.port or 3306,
        "user": unquote(parts.username or "root"),
        "passwd": unquote(parts.password or ""),
        "charset": "utf8mb4",
        "autocommit": True,
        "connect_timeout": 10,
    }


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


def bootstrap_apply(*, admin_url: str, statements: list[Statement], echo=None) -> None:
    """Run the statements through an administrator connection, in order.

    The driver quotes the values for the connection's own sql_mode. `echo(sql)` is called
    before each statement with passwords masked.
    """
    import MySQLdb

    params = admin_connection_params(admin_url)
    try:
        connection = MySQLdb.connect(**params)
    except MySQLdb.Error as exc:
        raise BootstrapError(
            f"Cannot connect to {params['host']}:{params['port']} as {params['user']}: {exc}"
        ) from None
    try:
        cursor = connection.cursor()
        for statement in statements:
            if echo:
                echo(render_statement(statement, hide_secrets=True))
            try:
                cursor.execute(statement.template, statement.params or None)
            except MySQLdb.Error as exc:
                shown = render_statement(statement, hide_secrets=True)
                raise BootstrapError(f"{shown} failed: {exc}") from None
    finally:
        connection.close()
