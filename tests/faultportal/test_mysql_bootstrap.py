"""bootstrap_mysql: the database and three least-privilege users, printed or applied.

The end-to-end test applies the SQL to the real MariaDB, migrates as the migrations user and
checks what the app and reporting users can and cannot do.
"""

import uuid
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command

from faultportal import mysql_bootstrap
from tests.support import services

PASSWORD_OPTIONS = ["--app-password", "a", "--migrate-password", "m", "--report-password", "r"]


def test_it_prints_idempotent_sql_for_the_database_and_three_users(capsys):
    call_command("bootstrap_mysql", *PASSWORD_OPTIONS)
    sql = capsys.readouterr().out
    assert (
        "CREATE DATABASE IF NOT EXISTS `hadoop_fault_db` "
        "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;" in sql
    )
    assert "CREATE USER IF NOT EXISTS 'faultportal_app'@'%' IDENTIFIED BY 'a';" in sql
    # Re-running must reset the password of a user that already exists.
    assert "ALTER USER 'faultportal_app'@'%' IDENTIFIED BY 'a';" in sql
    assert (
        "GRANT SELECT, INSERT, UPDATE, DELETE ON `hadoop_fault_db`.* TO 'faultportal_app'@'%';"
        in sql
    )
    assert "GRANT SELECT ON `hadoop_fault_db`.* TO 'faultportal_report'@'%';" in sql
    migrate_grant = next(line for line in sql.splitlines() if "TO 'faultportal_migrate'" in line)
    for privilege in ("CREATE", "ALTER", "DROP", "INDEX"):
        assert privilege in migrate_grant


def test_passwords_come_from_the_environment(capsys, monkeypatch):
    monkeypatch.setenv("MYSQL_APP_PASSWORD", "from-env-1")
    monkeypatch.setenv("MYSQL_MIGRATE_PASSWORD", "from-env-2")
    monkeypatch.setenv("MYSQL_REPORT_PASSWORD", "from-env-3")
    call_command("bootstrap_mysql", "--report-password", "from-option")
    sql = capsys.readouterr().out
    assert "'faultportal_app'@'%' IDENTIFIED BY 'from-env-1'" in sql
    assert "'faultportal_migrate'@'%' IDENTIFIED BY 'from-env-2'" in sql
    assert "'faultportal_report'@'%' IDENTIFIED BY 'from-option'" in sql  # the option wins


def test_a_missing_password_is_an_error_naming_the_option_and_the_variable(monkeypatch):
    for name in ("MYSQL_APP_PASSWORD", "MYSQL_MIGRATE_PASSWORD", "MYSQL_REPORT_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(CommandError, match="--report-password or set MYSQL_REPORT_PASSWORD"):
        call_command("bootstrap_mysql", "--app-password", "a", "--migrate-password", "m")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--database", "fault-db; DROP", "not a plain database name"),
        ("--app-user", "app'@'%", "not a plain user name"),
        ("--report-user", "x" * 33, "not a plain user name"),
        ("--host-pattern", "%' OR 1", "not a host pattern"),
    ],
)
def test_names_are_validated(option, value, message):
    with pytest.raises(CommandError, match=message):
        call_command("bootstrap_mysql", *PASSWORD_OPTIONS, option, value)


def test_the_three_users_need_different_names():
    with pytest.raises(CommandError, match="different names"):
        call_command("bootstrap_mysql", *PASSWORD_OPTIONS, "--report-user", "faultportal_app")


def test_passwords_are_quoted_for_any_sql_mode(capsys):
    call_command(
        "bootstrap_mysql",
        *PASSWORD_OPTIONS[:4],
        "--report-password",
        "it's\\x",
    )
    sql = capsys.readouterr().out
    assert "IDENTIFIED BY 'it''s\\\\x';" in sql
    # A backslash means something different under NO_BACKSLASH_ESCAPES: the script turns it off.
    assert sql.index("NO_BACKSLASH_ESCAPES") < sql.index("CREATE USER")


def test_a_control_character_in_a_password_is_refused():
    with pytest.raises(CommandError, match="control character"):
        call_command("bootstrap_mysql", *PASSWORD_OPTIONS[:4], "--report-password", "a\nb")


def test_apply_needs_an_admin_url(monkeypatch):
    monkeypatch.delenv("MYSQL_ADMIN_URL", raising=False)
    with pytest.raises(CommandError, match="--admin-url .* or set MYSQL_ADMIN_URL"):
        call_command("bootstrap_mysql", *PASSWORD_OPTIONS, "--apply")


# --- applied to the real server ------------------------------------------------------------------


def _connect_as(user: str, password: str, database: str):
    import MySQLdb

    params = mysql_bootstrap.admin_connection_params(services.mariadb_server_url())
    return MySQLdb.connect(
        host=params["host"],
        port=params["port"],
        user=user,
        passwd=password,
        db=database,
        charset="utf8mb4",
        autocommit=True,
        connect_timeout=5,
    )


def _denied(cursor, sql: str) -> bool:
    """True when the server refuses the statement for lack of privileges."""
    import MySQLdb

    try:
        cursor.execute(sql)
    except MySQLdb.OperationalError as exc:
        # 1142 table command denied, 1044 database access denied
        return exc.args[0] in (1142, 1044)
    return False


@pytest.mark.mariadb
def test_applied_sql_gives_an_app_user_that_cannot_drop_or_alter(mariadb_server, capsys):
    import MySQLdb

    tag = uuid.uuid4().hex[:8]
    database = f"fp_boot_{tag}"
    users = {role: f"fpt_{tag}_{role[:3]}" for role in ("app", "migrations", "reporting")}
    # Quotes, a backslash and URL-special characters: the quoting must survive all of them.
    passwords = {role: f"p'w\\{role}@%/{tag}" for role in users}
    options = [
        "--database",
        database,
        "--app-user",
        users["app"],
        "--migrate-user",
        users["migrations"],
        "--report-user",
        users["reporting"],
    ]
    password_options = [
        "--app-password",
        passwords["app"],
        "--migrate-password",
        passwords["migrations"],
        "--report-password",
        passwords["reporting"],
    ]
    try:
        call_command(
            "bootstrap_mysql", *options, *password_options, "--apply", "--admin-url", mariadb_server
        )
        assert f"Applied: database {database}" in capsys.readouterr().out

        # Migrate as the migrations user, in a child process like an operator would.
        migrate_url = (
            f"mysql://{users['migrations']}:{quote(passwords['migrations'], safe='')}"
            f"@{mysql_bootstrap.admin_connection_params(mariadb_server)['host']}:"
            f"{mysql_bootstrap.admin_connection_params(mariadb_server)['port']}/{database}"
        )
        services.run_manage("migrate", "--no-input", "-v0", env={"DATABASE_URL": migrate_url})

        app = _connect_as(users["app"], passwords["app"], database).cursor()
        app.execute(
            "INSERT INTO system_logs (host, logtype, source_file, level, component, thread, "
            "message, trace, raw, is_continuation, truncated, decode_errors, received_at) VALUES "
            "('dn01', 'hdfs', '', 'INFO', 'c', '', 'm', '', 'r', 0, 0, 0, NOW())"
        )
        app.execute("UPDATE system_logs SET message = 'changed' WHERE host = 'dn01'")
        app.execute("SELECT message FROM system_logs WHERE host = 'dn01'")
        assert app.fetchall() == (("changed",),)
        app.execute("SELECT COUNT(*) FROM fault_types")
        assert app.fetchone()[0] >= 20
        app.execute("DELETE FROM system_logs WHERE host = 'dn01'")
        assert app.rowcount == 1
        assert _denied(app, "DROP TABLE system_logs")
        assert _denied(app, "ALTER TABLE system_logs ADD COLUMN extra INT")
        assert _denied(app, "CREATE TABLE sneaky (id INT)")
        assert _denied(app, "TRUNCATE TABLE fault_records")

        report = _connect_as(users["reporting"], passwords["reporting"], database).cursor()
        report.execute("SELECT COUNT(*) FROM fault_types")
        assert report.fetchone()[0] >= 20
        assert _denied(report, "DELETE FROM fault_types")
        assert _denied(report, "UPDATE fault_types SET enabled = 0")
        assert _denied(
            report, "INSERT INTO exec_logs (script) VALUES ('x')"
        )  # refused before any column check
        assert _denied(report, "DROP TABLE fault_types")

        # The portal runs as the app user (a management command opens a Django connection).
        app_url = migrate_url.replace(
            f"{users['migrations']}:{quote(passwords['migrations'], safe='')}",
            f"{users['app']}:{quote(passwords['app'], safe='')}",
        )
        out = services.run_manage(
            "create_api_token", "bootstrap-check", env={"DATABASE_URL": app_url}
        )
        assert out.strip().splitlines()[-1].startswith("fpt_")

        # Running the printed script again (as an operator would) rotates the passwords.
        new_passwords = {**password_options_dict(password_options), "--app-password": "n3w'pw"}
        call_command("bootstrap_mysql", *options, *dict_to_options(new_passwords))
        script = capsys.readouterr().out
        admin = services.mariadb_connect()
        try:
            for statement in _statements(script):
                admin.cursor().execute(statement)
        finally:
            admin.close()
        _connect_as(users["app"], "n3w'pw", database).close()
        with pytest.raises(MySQLdb.OperationalError):
            _connect_as(users["app"], passwords["app"], database)
    finally:
        admin = services.mariadb_connect()
        try:
            cursor = admin.cursor()
            cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
            for user in users.values():
                cursor.execute("DROP USER IF EXISTS %s@'%%'", (user,))
        finally:
            admin.close()


def password_options_dict(options: list[str]) -> dict[str, str]:
    return dict(zip(options[::2], options[1::2], strict=True))


def dict_to_options(options: dict[str, str]) -> list[str]:
    return [item for pair in options.items() for item in pair]


def _statements(script: str) -> list[str]:
    """The script's statements, as the mysql client would send them (one per line)."""
    statements = []
    for line in script.splitlines():
        if line.startswith("--") or not line.strip():
            continue
        statements.append(line.split(";  --")[0].rstrip(";"))
    return statements
