"""The full-text index over system_logs' message and trace: created, dropped, and asked.

MySQL/MariaDB: an InnoDB FULLTEXT index `system_logs_fulltext` on (message, trace) with the
default parser, created with stopwords off (so "for", "not", "the" are searchable). It holds
every run of letters, digits and `_` of at least `innodb_ft_min_token_size` characters (3 by
default, a server setting) and at most `innodb_ft_max_token_size` (84).
SQLite: an FTS5 table `system_logs_fts` with external content (system_logs itself: the index
stores no second copy of the text), kept up to date by triggers, tokenizer unicode61 with `_` as
a word character (so it splits text where InnoDB does), every token length indexed.

The index only finds candidate rows; the term's regular expression (logs/search.py) decides.
Why these engines, and what they cost in disk and ingest: docs/search.md.
`manage.py log_search_index off|on|status` drops and rebuilds it.
"""

from dataclasses import dataclass

from django.db import connection

from logs.search import Term

MYSQL_INDEX = "system_logs_fulltext"
SQLITE_TABLE = "system_logs_fts"

_SQLITE_CREATE = [
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_TABLE} USING fts5(
        message, trace, content='system_logs', content_rowid='id',
        tokenize="unicode61 tokenchars '_'")""",
    f"""CREATE TRIGGER IF NOT EXISTS system_logs_fts_insert AFTER INSERT ON system_logs BEGIN
        INSERT INTO {SQLITE_TABLE}(rowid, message, trace) VALUES (new.id, new.message, new.trace);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS system_logs_fts_delete AFTER DELETE ON system_logs BEGIN
        INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, message, trace)
        VALUES ('delete', old.id, old.message, old.trace);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS system_logs_fts_update AFTER UPDATE OF message, trace
        ON system_logs BEGIN
        INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}, rowid, message, trace)
        VALUES ('delete', old.id, old.message, old.trace);
        INSERT INTO {SQLITE_TABLE}(rowid, message, trace) VALUES (new.id, new.message, new.trace);
    END""",
    # Index the rows already stored.
    f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}) VALUES ('rebuild')",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS system_logs_fts_insert",
    "DROP TRIGGER IF EXISTS system_logs_fts_delete",
    "DROP TRIGGER IF EXISTS system_logs_fts_update",
    f"DROP TABLE IF EXISTS {SQLITE_TABLE}",
]


@dataclass(frozen=True)
class IndexState:
    present: bool
    min_token: int  # shorter words are not in the index (the regular expression still checks)
    max_token: int


# Per database alias, read once per process; the management command resets it after a change.
_state: dict[str, IndexState] = {}


def _exists(conn) -> bool:
    with conn.cursor() as cursor:
        if conn.vendor == "mysql":
            cursor.execute(
                "SELECT 1 FROM information_schema.statistics WHERE table_schema = DATABASE() "
                "AND table_name = 'system_logs' AND index_name = %s LIMIT 1",
                [MYSQL_INDEX],
            )
        elif conn.vendor == "sqlite":
            cursor.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s", [SQLITE_TABLE]
            )
        else:
            return False
        return cursor.fetchone() is not None


def _token_sizes(conn) -> tuple[int, int]:
    if conn.vendor != "mysql":
        return 1, 10**6
    with conn.cursor() as cursor:
        cursor.execute("SELECT @@innodb_ft_min_token_size, @@innodb_ft_max_token_size")
        low, high = cursor.fetchone()
        return int(low), int(high)


def search_index_state(conn=None) -> IndexState:
    conn = conn or connection
    state = _state.get(conn.alias)
    if state is None:
        state = _state[conn.alias] = IndexState(_exists(conn), *_token_sizes(conn))
    return state


def search_index_forget() -> None:
    _state.clear()


def search_index_create(conn=None) -> None:
    conn = conn or connection
    with conn.cursor() as cursor:
        if conn.vendor == "mysql":
            if not _exists(conn):
                # Stopwords are bound to the index when it is built: none, so every word counts.
                cursor.execute("SET SESSION innodb_ft_enable_stopword = OFF")
                try:
                    cursor.execute(
                        f"ALTER TABLE system_logs ADD FULLTEXT INDEX {MYSQL_INDEX} (message, trace)"
                    )
                finally:
                    cursor.execute("SET SESSION innodb_ft_enable_stopword = ON")
        elif conn.vendor == "sqlite":
            for sql in _SQLITE_CREATE:
                cursor.execute(sql)
    search_index_forget()


def search_index_drop(conn=None) -> None:
    conn = conn or connection
    with conn.cursor() as cursor:
        if conn.vendor == "mysql":
            if _exists(conn):
                cursor.execute(f"ALTER TABLE system_logs DROP INDEX {MYSQL_INDEX}")
        elif conn.vendor == "sqlite":
            for sql in _SQLITE_DROP:
                cursor.execute(sql)
    search_index_forget()


def indexed_tokens(term: Term, *, min_token: int, max_token: int) -> list[tuple[str, bool]]:
    """(token, is_prefix) of `term` that the index holds exactly; may be empty."""
    tokens = term.tokens
    out = []
    for position, token in enumerate(tokens):
        is_prefix = term.prefix and position == len(tokens) - 1
        if min_token <= len(token) <= max_token:
            out.append((token, is_prefix))
    return out


def match_expression(terms, *, vendor: str, state: IndexState) -> str | None:
    """The index query for rows holding every token of every term, or None (nothing indexed).

    Tokens only, never phrases: the regular expression checks order and adjacency, so the index
    query needs no positions and cannot disagree with it.
    """
    parts = []
    for term in terms:
        tokens = indexed_tokens(term, min_token=state.min_token, max_token=state.max_token)
        for token, is_prefix in tokens:
            if vendor == "mysql":
                parts.append(f"+{token}*" if is_prefix else f"+{token}")
            else:
                parts.append(f'"{token}" *' if is_prefix else f'"{token}"')
    if not parts:
        return None
    unique = list(dict.fromkeys(parts))
    return " ".join(unique) if vendor == "mysql" else " AND ".join(unique)
