# Installs what scripts/cluster.sh runs, at pinned versions, reusing what is there: the Temporal server, its
# schema tool and the UI server built from the Go module proxy into .tools/; PostgreSQL and Prometheus from Debian.

# go_install DIR PACKAGE@VERSION...: builds into DIR (GOBIN) unless every binary is already there.
go_install() {
  local dir=$1 binaries=$2
  shift 2
  local b missing=0
  for b in ${binaries}; do [ -x "${dir}/$b" ] || missing=1; done
  [ "${missing}" = 0 ] && return 0
  command -v go >/dev/null || die "Go is required to build $* (https://go.dev/dl); nothing else is downloaded"
  say "building $* (first time only; a few minutes)"
  local start=${SECONDS}
  mkdir -p "${TOOLS_DIR}"
  # Build into a scratch directory, then move: a build cut short leaves nothing that looks installed.
  rm -rf "${dir}.partial"
  GOBIN="${dir}.partial" nice -n 10 go install "$@"
  rm -rf "${dir}" && mv "${dir}.partial" "${dir}"
  say "built in $((SECONDS - start)) s: ${dir}"
}

apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || die "need Debian package(s) $*; install them (apt-get install $*)"
  say "installing Debian package(s) $*"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

install_all() {
  [ -d "${ROOT}/node_modules" ] && [ -x "${TEMPORAL_CLI}" ] || bash "${ROOT}/scripts/setup.sh"
  [ -x "${PG_BIN}/initdb" ] || apt_install "postgresql-${POSTGRES_MAJOR}"
  [ -x "${PROMETHEUS_BIN}" ] || apt_install prometheus
  # One build at a time when several commands start at once.
  mkdir -p "${TOOLS_DIR}"
  exec 9>"${TOOLS_DIR}/.install.lock"
  flock 9
  go_install "${TEMPORAL_BIN_DIR}" "server sql" \
    "go.temporal.io/server/cmd/server@v${TEMPORAL_VERSION}" "go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_VERSION}"
  go_install "${UI_BIN_DIR}" "server" "github.com/temporalio/ui-server/v2/cmd/server@v${UI_SERVER_VERSION}"
  flock -u 9
  exec 9>&-
}

# The server module's directory in the Go module cache (its schema files and the UI's config template).
module_dir() {
  local dir
  dir="$(go env GOMODCACHE)/$1@$2"
  [ -d "${dir}" ] || (cd "${TOOLS_DIR}" && go mod download "$1@$2") || die "cannot download Go module $1@$2"
  echo "${dir}"
}
temporal_schema_dir() { echo "$(module_dir go.temporal.io/server "v${TEMPORAL_VERSION}")/schema/postgresql/v12"; }
ui_module_dir() { module_dir github.com/temporalio/ui-server/v2 "v${UI_SERVER_VERSION}"; }
