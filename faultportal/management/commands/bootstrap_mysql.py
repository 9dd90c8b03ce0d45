import os

from django.core.management.base import BaseCommand, CommandError

from faultportal.mysql_bootstrap import (
    DEFAULT_DATABASE,
    DEFAULT_HOST_PATTERN,
    ROLES,
    Account,
    BootstrapError,
    bootstrap_apply,
    bootstrap_statements,
    render_script,
    validate_password,
    validate_user_name,
)


class Command(BaseCommand):
    help = (
        "Print the SQL that creates the portal's MySQL/MariaDB database (utf8mb4) and three "
        "least-privilege users: app (rows only), migrations (DDL) and reporting (read only). "
        "Review it and run it as an administrator, or pass --apply to run it through "
        "--admin-url. Passwords come from the options or, better (they stay out of `ps`), from "
        "MYSQL_APP_PASSWORD, MYSQL_MIGRATE_PASSWORD and MYSQL_REPORT_PASSWORD; there are no "
        "defaults."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--database", default=DEFAULT_DATABASE, help=f"default: {DEFAULT_DATABASE}"
        )
        parser.add_argument(
            "--host-pattern",
            default=DEFAULT_HOST_PATTERN,
            help="Where the users may connect from, e.g. 10.20.% or app01.example.com "
            f"(default: {DEFAULT_HOST_PATTERN}, anywhere).",
        )
        for role in ROLES:
            parser.add_argument(
                role.user_option,
                dest=f"{role.key}_user",
                default=role.default_user,
                help=f"User for {role.purpose} (default: {role.default_user}).",
            )
            parser.add_argument(
                role.password_option,
                dest=f"{role.key}_password",
                help=f"Its password (or set {role.password_env}).",
            )
        parser.add_argument(
            "--apply",
            action="store_true",
            help="Run the statements through --admin-url instead of printing them.",
        )
        parser.add_argument(
            "--admin-url",
            help="Administrator connection for --apply, e.g. mysql://root:password@db01:3306/ "
            "(or set MYSQL_ADMIN_URL).",
        )

    def handle(self, *args, **options):
        try:
            accounts = [
                Account(
                    role=role.key,
                    user=validate_user_name(options[f"{role.key}_user"], option=role.user_option),
                    password=validate_password(
                        options[f"{role.key}_password"] or os.environ.get(role.password_env),
                        role=role,
                    ),
                )
                for role in ROLES
            ]
            statements = bootstrap_statements(
                database=options["database"],
                host_pattern=options["host_pattern"],
                accounts=accounts,
            )
            if not options["apply"]:
                self.stdout.write(
                    render_script(statements, accounts=accounts, database=options["database"]),
                    ending="",
                )
                return
            admin_url = options["admin_url"] or os.environ.get("MYSQL_ADMIN_URL")
            if not admin_url:
                raise BootstrapError(
                    "--apply needs an administrator connection: pass --admin-url "
                    "mysql://root:password@host:3306/ or set MYSQL_ADMIN_URL."
                )
            bootstrap_apply(
                admin_url=admin_url,
                statements=statements,
                echo=lambda sql: self.stdout.write(sql) if options["verbosity"] > 1 else None,
            )
        except BootstrapError as exc:
            raise CommandError(str(exc)) from None
        users = ", ".join(f"{a.user} ({a.role})" for a in accounts)
        self.stdout.write(
            f"Applied: database {options['database']} (utf8mb4) and users {users} "
            f"from {options['host_pattern']!r}."
        )
