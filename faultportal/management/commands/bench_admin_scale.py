"""BENCHMARK TOOL, not an operations command: seeds a dedicated database, then times the admin.

    DATABASE_URL=mysql://root@127.0.0.1:3306/fp_bench \\
        python manage.py bench_admin_scale --rows 5000000 --faults 10000

It empties and refills the portal's tables, so it refuses any database whose name does not
contain "bench". Seeding is skipped when the database already holds the requested volume
(--reseed forces it). How it seeds and what it measures: bench/admin_scale.py.
"""

import platform

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from bench import admin_scale

SEEDED_TABLES = [
    "system_logs",
    "fault_events",
    "diagnoses",
    "exec_logs",
    "fault_records",
    "cluster_status",
    "ingest_requests",
    "api_tokens",
]


class Command(BaseCommand):
    help = "Benchmark tool: seed a *bench* MySQL/MariaDB database and time every admin page."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=5_000_000, help="system_logs rows")
        parser.add_argument("--faults", type=int, default=10_000, help="fault_records rows")
        parser.add_argument("--exec-runs", type=int, default=20_000, help="exec_logs rows")
        parser.add_argument(
            "--snapshots",
            type=int,
            default=2016,
            help="cluster snapshots, 51 rows each (default: a week at one per 5 minutes)",
        )
        parser.add_argument("--runs", type=int, default=5, help="timed requests per page")
        parser.add_argument("--reseed", action="store_true", help="empty and seed again")
        parser.add_argument("--seed-only", action="store_true")
        parser.add_argument("--measure-only", action="store_true")

    def handle(self, *args, **options):
        name = str(connection.settings_dict["NAME"])
        if connection.vendor != "mysql":
            raise CommandError("Run it on MySQL/MariaDB: set DATABASE_URL=mysql://…/fp_bench.")
        if "bench" not in name:
            raise CommandError(
                f"Database {name!r} does not look like a benchmark database (its name must "
                "contain 'bench'): this command empties the portal's tables."
            )
        call_command("migrate", verbosity=0, interactive=False)
        admin_user = self._bench_admin()
        self._describe_server(name)

        if not options["measure_only"]:
            self._seed(options, admin_user)
        if options["seed_only"]:
            return
        self._measure(options, admin_user)

    def _bench_admin(self):
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
        )
        return user

    def _describe_server(self, name: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT VERSION(), @@innodb_buffer_pool_size")
            version, pool = cursor.fetchone()
        self.stdout.write(
            f"database {name} on {version}; innodb_buffer_pool_size {int(pool) // 2**20} MiB; "
            f"{platform.node()} ({platform.machine()})"
        )

    def _seeded_volume(self) -> tuple[int, int]:
        with connection.cursor() as cursor:
            # Exact counts, once, at seeding time only (the pages never count like this).
            cursor.execute("SELECT COUNT(*) FROM system_logs")
            rows = cursor.fetchone()[0]
            cursor.execute("SELECT COUNT(*) FROM fault_records")
            faults = cursor.fetchone()[0]
        return rows, faults

    def _seed(self, options, admin_user) -> None:
        rows, faults = options["rows"], options["faults"]
        if not options["reseed"] and self._seeded_volume() == (rows, faults):
            self.stdout.write(f"already seeded: {rows:,} lines, {faults:,} faults")
            return
        self.stdout.write(f"seeding {rows:,} system_logs rows and {faults:,} fault records …")
        with connection.cursor() as cursor:
            cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
            for table in SEEDED_TABLES:
                cursor.execute(f"TRUNCATE TABLE {table}")
            cursor.execute("SET FOREIGN_KEY_CHECKS = 1")
        timings = [admin_scale.seed_system_logs(rows=rows, progress=self.stdout.write)]
        timings.append(admin_scale.seed_faults(faults=faults, log_rows=rows))
        from diagnosis.models import FaultRecord

        fault_ids = list(FaultRecord.objects.values_list("pk", flat=True)[:1000])
        timings.append(admin_scale.seed_exec_logs(runs=options["exec_runs"], fault_ids=fault_ids))
        timings.append(admin_scale.seed_cluster_status(snapshots=options["snapshots"]))
        timings.append(admin_scale.seed_tokens(count=20, creator=admin_user))
        admin_scale.analyze_tables()
        for timed in timings:
            self.stdout.write(f"  {timed}")

    def _measure(self, options, admin_user) -> None:
        client = Client()
        client.force_login(admin_user)
        rows, faults = self._seeded_volume()
        pages = [(label, url, None) for label, url in admin_scale.admin_pages(log_rows=rows)]
        pages += admin_scale.dashboard_pages()
        self.stdout.write(
            f"\nserver time per page, {options['runs']} runs after a warm-up "
            f"({rows:,} system_logs rows, {faults:,} fault records; target < "
            f"{admin_scale.TARGET_MS} ms):\n"
        )
        results = [
            admin_scale.measure(client, label, url, runs=options["runs"], before=before)
            for label, url, before in pages
        ]
        self.stdout.write(admin_scale.format_table(results))
        if not admin_scale.dashboard_url():
            self.stdout.write("\ndashboard: not measured (no URL named 'dashboard' yet)")
