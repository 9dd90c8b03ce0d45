# Sourced by bin/demo and bin/test: make sure .venv exists and holds the pinned requirements.
# Usage: ensure_venv requirements-dev.txt
ensure_system_packages() {
  # mysqlclient compiles against the MariaDB/MySQL client library.
  if pkg-config --exists libmariadb 2>/dev/null || pkg-config --exists mysqlclient 2>/dev/null; then
    return
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing libmariadb-dev and pkg-config (needed to build mysqlclient)…"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmariadb-dev pkg-config >/dev/null
  else
    echo "mysqlclient needs the MariaDB client headers: run 'sudo apt-get install libmariadb-dev pkg-config'" >&2
    echo "(or 'brew install mysql-client pkg-config' on macOS), then try again." >&2
    exit 1
  fi
}

ensure_venv() {
  local requirements=$1 stamp=.venv/.requirements.sha256 wanted
  if [ ! -x .venv/bin/python ]; then
    echo "Creating .venv…"
    python3 -m venv .venv
  fi
  wanted=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)-$requirements
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
    ensure_system_packages
    echo "Installing $requirements into .venv…"
    .venv/bin/python -m pip install -q --disable-pip-version-check -r "$requirements"
    echo "$wanted" > "$stamp"
  fi
}
