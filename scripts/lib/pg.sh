# shellcheck shell=bash
#
# scripts/lib/pg.sh -- a private PostgreSQL cluster for ggzy development and tests.
#
# Source this file (bash), then call:
#   ggzy_pg_ensure   create (first time) and start the cluster, wait until it accepts
#                    connections, and export GGZY_PG_SUPERUSER_URL, GGZY_PG_PORT,
#                    GGZY_PG_DIR and GGZY_PG_BIN
#   ggzy_pg_stop     stop it (pg_ctl stop -m fast); the data is kept
#   ggzy_pg_status   print where it lives and whether it runs (returns 0 if it is up, 3 if not)
#
# It never uses the system PostgreSQL service (127.0.0.1:5432): the cluster lives in its own
# folder, listens on its own port and its own unix-socket folder.
#
# Settings (all optional):
#   GGZY_PG_DIR   cluster folder; default /var/tmp/ggzy-pg-<12 hex of sha256(repo path)>
#                 layout: data/ (PGDATA), socket/ (unix socket), log/, port
#   GGZY_PG_PORT  TCP port on 127.0.0.1 (then remembered in $GGZY_PG_DIR/port); default: the
#                 one stored in $GGZY_PG_DIR/port, or at first creation a stable port in
#                 41000-48999 derived from the same hash (from sha256 of the folder's path
#                 when GGZY_PG_DIR is set)
#   GGZY_PG_BIN   folder holding initdb/pg_ctl/psql; default: the one matching the cluster's
#                 PG_VERSION, else the newest /usr/lib/postgresql/*/bin
#
# Every function is written to work both under `set -euo pipefail` and without it.

_ggzy_pg_say() { printf '==> %s\n' "$*" >&2; }
_ggzy_pg_warn() { printf 'warning: %s\n' "$*" >&2; }
_ggzy_pg_die() {
	printf 'error: %s\n' "$*" >&2
	return 1
}

_GGZY_PG_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# The repository root (scripts/lib/../..), physical absolute path.
GGZY_REPO_ROOT=$(cd "$_GGZY_PG_LIB_DIR/../.." && pwd -P)

# 12 hex digits of sha256(absolute repo path): names the default folder and derives the port.
_ggzy_pg_hash() {
	printf '%s' "$GGZY_REPO_ROOT" | sha256sum | cut -c1-12
}

# Sets _GGZY_PG_DIR/_DATA/_SOCK/_LOG/_PORTFILE (no side effects).
_ggzy_pg_layout() {
	local dir
	dir=${GGZY_PG_DIR:-/var/tmp/ggzy-pg-$(_ggzy_pg_hash)}
	# Absolute and clean (no trailing slash, no ./..): this exact string is what we pass to
	# pg_ctl -D and later look for in the postmaster's command line.
	dir=$(realpath -m -- "$dir") || {
		_ggzy_pg_die "cannot resolve cluster folder '$dir'"
		return
	}
	_GGZY_PG_DIR=$dir
	_GGZY_PG_DATA=$dir/data
	_GGZY_PG_SOCK=$dir/socket
	_GGZY_PG_LOG=$dir/log
	_GGZY_PG_PORTFILE=$dir/port
	# unix socket paths are limited to 107 bytes: "<socket dir>/.s.PGSQL.NNNNN"
	if ((${#_GGZY_PG_SOCK} + 17 > 107)); then
		_ggzy_pg_die "cluster folder path is too long for a unix socket ($_GGZY_PG_SOCK); set GGZY_PG_DIR to a shorter path"
		return
	fi
}

# Finds the server binaries; sets _GGZY_PG_BINDIR. With "install" (default) it installs
# PostgreSQL from Debian's packages when none is found.
_ggzy_pg_find_bin() {
	local mode=${1:-install} ver="" c newest=""
	local -a found=()
	if [[ -n ${GGZY_PG_BIN:-} ]]; then
		if [[ -x $GGZY_PG_BIN/initdb && -x $GGZY_PG_BIN/pg_ctl ]]; then
			_GGZY_PG_BINDIR=$GGZY_PG_BIN
			return 0
		fi
		_ggzy_pg_die "GGZY_PG_BIN=$GGZY_PG_BIN has no initdb/pg_ctl"
		return
	fi
	# An existing cluster must be run by the major version that created it.
	if [[ -r ${_GGZY_PG_DATA}/PG_VERSION ]]; then
		ver=$(<"$_GGZY_PG_DATA/PG_VERSION")
		if [[ -x /usr/lib/postgresql/$ver/bin/pg_ctl ]]; then
			_GGZY_PG_BINDIR=/usr/lib/postgresql/$ver/bin
			return 0
		fi
	fi
	for c in /usr/lib/postgresql/*/bin/initdb; do
		[[ -x $c ]] && found+=("$c")
	done
	if ((${#found[@]} == 0)) && [[ $mode == install ]]; then
		_ggzy_pg_install "${ver:-}" || return
		for c in /usr/lib/postgresql/*/bin/initdb; do
			[[ -x $c ]] && found+=("$c")
		done
	fi
	if [[ -n $ver ]]; then
		if [[ -x /usr/lib/postgresql/$ver/bin/pg_ctl ]]; then
			_GGZY_PG_BINDIR=/usr/lib/postgresql/$ver/bin
			return 0
		fi
		_ggzy_pg_die "the cluster in $_GGZY_PG_DATA was made by PostgreSQL $ver, whose binaries are not installed (apt-get install postgresql-$ver), or remove that folder to start afresh"
		return
	fi
	if ((${#found[@]} == 0)); then
		_ggzy_pg_die "no PostgreSQL server binaries found (/usr/lib/postgresql/*/bin/initdb); install them with: apt-get install postgresql"
		return
	fi
	newest=$(printf '%s\n' "${found[@]}" | sort -V | tail -n 1)
	_GGZY_PG_BINDIR=${newest%/initdb}
}

_ggzy_pg_install() {
	local ver=${1:-} sudo=()
	if ((EUID != 0)); then
		if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
			sudo=(sudo -n)
		else
			_ggzy_pg_die "PostgreSQL server binaries are missing and this user cannot install them; run as root: apt-get install postgresql"
			return
		fi
	fi
	_ggzy_pg_say "PostgreSQL server binaries not found: installing them from Debian's packages"
	"${sudo[@]}" apt-get update >&2 || {
		_ggzy_pg_die "apt-get update failed"
		return
	}
	if [[ -n $ver ]]; then
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "postgresql-$ver" >&2 && return 0
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2 && return 0
	_ggzy_pg_warn "installing 'postgresql' failed; trying 'postgresql-15'"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql-15 >&2 && return 0
	_ggzy_pg_die "could not install PostgreSQL (apt-get install postgresql / postgresql-15 failed)"
}

# Decides which system user owns and runs the cluster; sets _GGZY_PG_OWNER.
_ggzy_pg_pick_owner() {
	local me o=""
	me=$(id -un)
	[[ -e $_GGZY_PG_DATA ]] && o=$(stat -c %U -- "$_GGZY_PG_DATA")
	if ((EUID == 0)); then
		# root may not run PostgreSQL: the postgres system user does, unless an existing
		# cluster belongs to some other non-root user.
		if [[ -n $o && $o != root && $o != UNKNOWN ]]; then
			_GGZY_PG_OWNER=$o
		else
			_GGZY_PG_OWNER=postgres
		fi
		if ! id -u "$_GGZY_PG_OWNER" >/dev/null 2>&1; then
			_ggzy_pg_die "system user '$_GGZY_PG_OWNER' does not exist (it comes with Debian's postgresql packages)"
			return
		fi
	else
		if [[ -n $o && $o != "$me" ]]; then
			_ggzy_pg_die "the cluster in $_GGZY_PG_DIR belongs to '$o', not '$me'; run as '$o' or root, or set GGZY_PG_DIR to a folder of your own"
			return
		fi
		_GGZY_PG_OWNER=$me
	fi
}

# Runs "$@" as the cluster owner, from inside the cluster folder (the owner may not be able to
# enter the caller's working directory), never letting it inherit the lock on fd 9 (a
# postmaster started under it would hold the lock for ever).
_ggzy_pg_as_owner() {
	if ((EUID == 0)); then
		if command -v runuser >/dev/null 2>&1; then
			(cd "$_GGZY_PG_DIR" && exec runuser -u "$_GGZY_PG_OWNER" -- "$@") 9>&-
		else
			local cmd
			cmd=$(printf '%q ' "$@")
			(cd "$_GGZY_PG_DIR" && exec su "$_GGZY_PG_OWNER" -s /bin/sh -c "exec $cmd") 9>&-
		fi
	else
		(cd "$_GGZY_PG_DIR" && exec "$@") 9>&-
	fi
}

# Creates the folder layout with the right owner and modes.
_ggzy_pg_prepare_dirs() {
	local parent group
	parent=$(dirname -- "$_GGZY_PG_DIR")
	mkdir -p -- "$parent" || {
		_ggzy_pg_die "cannot create $parent"
		return
	}
	if ((EUID == 0)); then
		group=$(id -gn "$_GGZY_PG_OWNER") || return
		install -d -o "$_GGZY_PG_OWNER" -g "$group" -m 0755 -- "$_GGZY_PG_DIR" "$_GGZY_PG_SOCK" "$_GGZY_PG_LOG" || {
			_ggzy_pg_die "cannot create $_GGZY_PG_DIR"
			return
		}
		if [[ ! -e $_GGZY_PG_DATA/PG_VERSION ]]; then
			install -d -o "$_GGZY_PG_OWNER" -g "$group" -m 0700 -- "$_GGZY_PG_DATA" || return
		fi
		# Every parent folder must be traversable by the owner, or PostgreSQL cannot start.
		if ! _ggzy_pg_as_owner test -w "$_GGZY_PG_DIR" -a -x "$_GGZY_PG_DIR" 2>/dev/null; then
			_ggzy_pg_die "user '$_GGZY_PG_OWNER' cannot reach $_GGZY_PG_DIR: every parent folder must be traversable (chmod o+x), or set GGZY_PG_DIR elsewhere (e.g. under /var/tmp)"
			return
		fi
	else
		mkdir -p -- "$_GGZY_PG_DIR" "$_GGZY_PG_SOCK" "$_GGZY_PG_LOG" || {
			_ggzy_pg_die "cannot create $_GGZY_PG_DIR"
			return
		}
		if [[ ! -e $_GGZY_PG_DATA/PG_VERSION ]]; then
			mkdir -p -- "$_GGZY_PG_DATA" && chmod 0700 -- "$_GGZY_PG_DATA" || return
		fi
	fi
}

# Prints the pid of *our* postmaster if it is alive; fails otherwise. Stronger than
# `pg_ctl status`, which trusts any live process whose pid matches a (stale) postmaster.pid,
# e.g. after a machine restart re-used the pid.
_ggzy_pg_running_pid() {
	local pidfile=$_GGZY_PG_DATA/postmaster.pid pid cmdline
	[[ -r $pidfile ]] || return 1
	pid=$(head -n 1 -- "$pidfile" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	cmdline=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
	[[ $cmdline == *"-D $_GGZY_PG_DATA "* ]] || return 1
	printf '%s\n' "$pid"
}

# The port the running postmaster listens on (line 4 of postmaster.pid).
_ggzy_pg_running_port() {
	sed -n 4p -- "$_GGZY_PG_DATA/postmaster.pid" 2>/dev/null
}

_ggzy_pg_port_in_use() {
	# shellcheck disable=SC2016 # $0 is expanded by the inner bash
	timeout 3 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null
}

# Picks the port (GGZY_PG_PORT > stored > derived) and stores it; sets _GGZY_PG_PORT.
_ggzy_pg_pick_port() {
	local stored="" port hash
	if [[ -s $_GGZY_PG_PORTFILE ]]; then
		stored=$(tr -dc '0-9' <"$_GGZY_PG_PORTFILE")
	fi
	if [[ -n ${GGZY_PG_PORT:-} ]]; then
		port=$GGZY_PG_PORT
		if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1024 || port > 65535)); then
			_ggzy_pg_die "GGZY_PG_PORT='$GGZY_PG_PORT' is not a port number in 1024-65535"
			return
		fi
	elif [[ -n $stored ]]; then
		port=$stored
	else
		# default folder: derived from the repo hash (the folder's name); an explicit
		# GGZY_PG_DIR: from that folder's path, so two folders of one checkout (e.g. the
		# default one and CI's) do not get the same port
		if [[ -n ${GGZY_PG_DIR:-} ]]; then
			hash=$(printf '%s' "$_GGZY_PG_DIR" | sha256sum | cut -c1-12)
		else
			hash=$(_ggzy_pg_hash)
		fi
		port=$((41000 + 16#${hash:0:8} % 8000))
	fi
	if [[ $port != "$stored" ]]; then
		if [[ -n $stored ]]; then
			_ggzy_pg_say "cluster port changes from $stored to $port (GGZY_PG_PORT); recorded in $_GGZY_PG_PORTFILE"
		fi
		printf '%s\n' "$port" >"$_GGZY_PG_PORTFILE" || return
	fi
	_GGZY_PG_PORT=$port
}

_ggzy_pg_conf_text() {
	local sock=${_GGZY_PG_SOCK//\'/\'\'}
	cat <<CONF
# Managed by scripts/lib/pg.sh: rewritten whenever the cluster is ensured; do not edit.
listen_addresses = '127.0.0.1'
port = $_GGZY_PG_PORT
unix_socket_directories = '$sock'
max_connections = 300
shared_buffers = 256MB
# durability is tested: never turn these off
fsync = on
synchronous_commit = on
full_page_writes = on
log_min_messages = warning
CONF
}

# Writes data/ggzy.conf (included from postgresql.conf). Sets _GGZY_PG_CONF_CHANGED=1 if it
# changed.
_ggzy_pg_write_conf() {
	local conf=$_GGZY_PG_DATA/ggzy.conf want have=""
	_GGZY_PG_CONF_CHANGED=0
	want=$(_ggzy_pg_conf_text)
	[[ -r $conf ]] && have=$(<"$conf")
	[[ $want == "$have" ]] && return 0
	printf '%s\n' "$want" >"$conf" || return
	chmod 0600 -- "$conf" || return
	if ((EUID == 0)); then
		chown "$_GGZY_PG_OWNER:" -- "$conf" || return
	fi
	_GGZY_PG_CONF_CHANGED=1
}

_ggzy_pg_initdb() {
	local broken
	if [[ -n $(ls -A -- "$_GGZY_PG_DATA" 2>/dev/null) ]]; then
		# a half-made cluster (initdb interrupted): keep it aside rather than delete it
		broken=$_GGZY_PG_DATA.broken-$(date +%Y%m%d%H%M%S)
		_ggzy_pg_warn "$_GGZY_PG_DATA has no PG_VERSION but is not empty; moving it to $broken"
		mv -- "$_GGZY_PG_DATA" "$broken" || return
		_ggzy_pg_prepare_dirs || return
	fi
	_ggzy_pg_say "initializing a new PostgreSQL cluster in $_GGZY_PG_DATA (owner $_GGZY_PG_OWNER; log: $_GGZY_PG_LOG/initdb.log)"
	if ! _ggzy_pg_as_owner "$_GGZY_PG_BINDIR/initdb" -D "$_GGZY_PG_DATA" -E UTF8 --locale=C.UTF-8 \
		--auth=trust -U postgres >"$_GGZY_PG_LOG/initdb.log" 2>&1; then
		tail -n 20 -- "$_GGZY_PG_LOG/initdb.log" >&2
		_ggzy_pg_die "initdb failed (see $_GGZY_PG_LOG/initdb.log)"
		return
	fi
	if ! grep -q "^include_if_exists = 'ggzy.conf'" -- "$_GGZY_PG_DATA/postgresql.conf"; then
		printf "\n# ggzy: settings managed by scripts/lib/pg.sh\ninclude_if_exists = 'ggzy.conf'\n" \
			>>"$_GGZY_PG_DATA/postgresql.conf" || return
	fi
}

_ggzy_pg_start() {
	local f
	if [[ -e $_GGZY_PG_DATA/postmaster.pid ]]; then
		# Our postmaster is not running (checked by the caller): a crash or a machine restart
		# left these behind; a re-used pid would otherwise block the start.
		_ggzy_pg_say "removing a stale postmaster.pid left by a crash or a restart"
		rm -f -- "$_GGZY_PG_DATA/postmaster.pid" || return
	fi
	for f in "$_GGZY_PG_SOCK"/.s.PGSQL.*; do
		[[ -e $f ]] && rm -f -- "$f"
	done
	if _ggzy_pg_port_in_use "$_GGZY_PG_PORT"; then
		_ggzy_pg_die "port $_GGZY_PG_PORT on 127.0.0.1 is taken by something that is not this cluster ($_GGZY_PG_DIR); pick a free port with GGZY_PG_PORT=NNNNN (it is then remembered in $_GGZY_PG_PORTFILE)"
		return
	fi
	_ggzy_pg_say "starting PostgreSQL ($_GGZY_PG_BINDIR) on 127.0.0.1:$_GGZY_PG_PORT (log: $_GGZY_PG_LOG/postgresql.log)"
	if ! _ggzy_pg_as_owner "$_GGZY_PG_BINDIR/pg_ctl" -D "$_GGZY_PG_DATA" -l "$_GGZY_PG_LOG/postgresql.log" \
		-w -t 120 start >&2; then
		tail -n 30 -- "$_GGZY_PG_LOG/postgresql.log" >&2 2>/dev/null
		_ggzy_pg_die "PostgreSQL did not start (see $_GGZY_PG_LOG/postgresql.log)"
		return
	fi
}

_ggzy_pg_stop_locked() {
	_ggzy_pg_as_owner "$_GGZY_PG_BINDIR/pg_ctl" -D "$_GGZY_PG_DATA" -m fast -w -t 120 stop >&2
}

_ggzy_pg_wait_ready() {
	local i
	for ((i = 0; i < 120; i++)); do
		if "$_GGZY_PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$_GGZY_PG_PORT" -t 2; then
			return 0
		fi
		_ggzy_pg_running_pid >/dev/null || break
		sleep 1
	done
	tail -n 30 -- "$_GGZY_PG_LOG/postgresql.log" >&2 2>/dev/null
	_ggzy_pg_die "PostgreSQL on 127.0.0.1:$_GGZY_PG_PORT does not accept connections (see $_GGZY_PG_LOG/postgresql.log)"
}

_ggzy_pg_lock() {
	command -v flock >/dev/null 2>&1 || return 0
	exec 9>>"$_GGZY_PG_DIR/.lock" || return
	if ! flock -w 300 9; then
		exec 9>&-
		_ggzy_pg_die "another process holds $_GGZY_PG_DIR/.lock for over 5 minutes"
		return
	fi
}

_ggzy_pg_unlock() { exec 9>&-; }

_ggzy_pg_ensure_locked() {
	local pid running_port
	_ggzy_pg_pick_port || return
	if [[ ! -e $_GGZY_PG_DATA/PG_VERSION ]]; then
		_ggzy_pg_initdb || return
	fi
	_ggzy_pg_write_conf || return
	if pid=$(_ggzy_pg_running_pid); then
		running_port=$(_ggzy_pg_running_port)
		if [[ $running_port != "$_GGZY_PG_PORT" || $_GGZY_PG_CONF_CHANGED == 1 ]]; then
			if [[ $running_port != "$_GGZY_PG_PORT" ]]; then
				_ggzy_pg_say "the cluster runs on port $running_port but should use $_GGZY_PG_PORT: restarting it"
			else
				_ggzy_pg_say "the cluster's settings ($_GGZY_PG_DATA/ggzy.conf) changed: restarting it"
			fi
			_ggzy_pg_stop_locked || {
				_ggzy_pg_die "could not stop the cluster for a restart"
				return
			}
			_ggzy_pg_start || return
		else
			_ggzy_pg_say "reusing the running PostgreSQL cluster (pid $pid) in $_GGZY_PG_DIR on 127.0.0.1:$_GGZY_PG_PORT"
		fi
	else
		_ggzy_pg_start || return
	fi
	_ggzy_pg_wait_ready || return
}

ggzy_pg_ensure() {
	local rc=0
	_ggzy_pg_layout || return
	_ggzy_pg_find_bin install || return
	_ggzy_pg_pick_owner || return
	_ggzy_pg_prepare_dirs || return
	_ggzy_pg_lock || return
	_ggzy_pg_ensure_locked || rc=$?
	_ggzy_pg_unlock
	((rc == 0)) || return "$rc"
	export GGZY_PG_DIR=$_GGZY_PG_DIR
	export GGZY_PG_PORT=$_GGZY_PG_PORT
	export GGZY_PG_BIN=$_GGZY_PG_BINDIR
	export GGZY_PG_SUPERUSER_URL=postgres://postgres@127.0.0.1:$_GGZY_PG_PORT/postgres
	_ggzy_pg_say "PostgreSQL is ready: $GGZY_PG_SUPERUSER_URL"
}

ggzy_pg_stop() {
	local rc=0
	_ggzy_pg_layout || return
	if [[ ! -e $_GGZY_PG_DIR ]]; then
		_ggzy_pg_say "no cluster in $_GGZY_PG_DIR: nothing to stop"
		return 0
	fi
	_ggzy_pg_pick_owner || return
	if ! _ggzy_pg_running_pid >/dev/null; then
		_ggzy_pg_say "the PostgreSQL cluster in $_GGZY_PG_DIR is not running"
		return 0
	fi
	_ggzy_pg_find_bin noinstall || return
	_ggzy_pg_lock || return
	_ggzy_pg_say "stopping the PostgreSQL cluster in $_GGZY_PG_DIR (fast: open sessions are ended)"
	_ggzy_pg_stop_locked || rc=$?
	_ggzy_pg_unlock
	return "$rc"
}

ggzy_pg_status() {
	local pid port="" bin="(not found)" ready=no
	_ggzy_pg_layout || return
	[[ -s $_GGZY_PG_PORTFILE ]] && port=$(tr -dc '0-9' <"$_GGZY_PG_PORTFILE")
	if _ggzy_pg_find_bin noinstall 2>/dev/null; then
		bin=$_GGZY_PG_BINDIR
	fi
	printf 'cluster folder: %s\n' "$_GGZY_PG_DIR"
	if [[ ! -e $_GGZY_PG_DATA/PG_VERSION ]]; then
		printf 'state:          not created yet (scripts/pg start creates it)\n'
		printf 'binaries:       %s\n' "$bin"
		return 3
	fi
	printf 'version:        PostgreSQL %s\n' "$(<"$_GGZY_PG_DATA/PG_VERSION")"
	printf 'binaries:       %s\n' "$bin"
	printf 'owner:          %s\n' "$(stat -c %U -- "$_GGZY_PG_DATA")"
	printf 'port:           %s\n' "${port:-(none recorded)}"
	printf 'log:            %s\n' "$_GGZY_PG_LOG/postgresql.log"
	if pid=$(_ggzy_pg_running_pid); then
		port=$(_ggzy_pg_running_port)
		if [[ $bin != "(not found)" ]] && "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 2; then
			ready=yes
		fi
		printf 'state:          running (pid %s), accepting connections: %s\n' "$pid" "$ready"
		printf 'superuser url:  postgres://postgres@127.0.0.1:%s/postgres\n' "$port"
		[[ $ready == yes ]] && return 0
		return 3
	fi
	printf 'state:          stopped\n'
	return 3
}
