# shellcheck shell=bash
# Shared by scripts/setup and scripts/test (sourced, from the repository root): the two test
# stacks, their virtual environments and the interpreters they need.
#
#   minimum  .venv         Python 3.13       Home Assistant 2026.2.3 (requirements_test.txt)
#   newest   .venv-newest  Python >= 3.14.2  Home Assistant 2026.10.4 (requirements_test_newest.txt)
#            .venv-server  the same Python   a real Home Assistant 2026.11.0 server for the
#                                            end-to-end tests (requirements_server.txt)
#
# For the browser tests (tests/e2e/browser) every venv pytest runs in also gets Playwright
# (requirements_browser.txt), and every venv that runs a server gets Home Assistant's real
# frontend at the version its Home Assistant pins: .venv both, .venv-newest Playwright,
# .venv-server the frontend.

STACKS=(minimum newest)

stack_venv() {
  case $1 in
    minimum) echo .venv ;;
    newest) echo .venv-newest ;;
  esac
}

stack_requirements() {
  case $1 in
    minimum) echo requirements_test.txt ;;
    newest) echo requirements_test_newest.txt ;;
  esac
}

# The type checker checks for the Python of the stack: Home Assistant 2026.3 and newer run
# only on Python 3.14, so that is how custom_components/smartcar/compat.py tells them apart.
stack_python_version() {
  case $1 in
    minimum) echo 3.13 ;;
    newest) echo 3.14 ;;
  esac
}

# Whether "$1" runs Python "$2" (major.minor) at patch level "$3" or newer.
_python_is() {
  local candidate=$1 minor=$2 patch=$3
  [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null 2>&1 &&
    "$candidate" -c "import sys; v = sys.version_info; sys.exit(v[:2] != ($minor) or v[2] < $patch)" \
      2>/dev/null
}

# The path of a Python "$1" (3.13 or 3.14), at patch level "$2" or newer: $PYTHON313 or
# $PYTHON314, then python3.13/python3.14 on PATH, then a private install in
# /opt/python3.1x, then pyenv's newest of that minor version.
find_python() {
  local minor=$1 patch=$2 variable candidate version
  variable="PYTHON${minor/./}"
  for candidate in "${!variable:-}" "python$minor" "/opt/python$minor/bin/python$minor"; do
    if _python_is "$candidate" "${minor/./, }" "$patch"; then
      command -v "$candidate"
      return 0
    fi
  done
  if command -v pyenv >/dev/null 2>&1; then
    version=$(pyenv versions --bare 2>/dev/null | grep -E "^${minor//./\\.}\.[0-9]+$" | sort -V | tail -n 1 || true)
    if [[ -n "$version" ]]; then
      candidate=$(PYENV_VERSION="$version" pyenv which "python$minor" 2>/dev/null || true)
      if _python_is "$candidate" "${minor/./, }" "$patch"; then
        echo "$candidate"
        return 0
      fi
    fi
  fi
  return 1
}

# The interpreter a new venv of stack "$1" is created with; explains what to do if none.
stack_base_python() {
  case $1 in
    minimum)
      # Home Assistant 2026.2 declares >= 3.13.2; on an older 3.13 patch release (pyenv's
      # 3.13.0) packages are resolved as for 3.13.2 (see stack_uv_args), and the server
      # starts through scripts/run_homeassistant.py.
      find_python 3.13 0 || {
        echo "The minimum stack needs Python 3.13 (Home Assistant 2026.2): put python3.13 on PATH or set PYTHON313=/path/to/python3.13." >&2
        return 1
      }
      ;;
    newest)
      find_python 3.14 2 || {
        echo "The newest stack needs Python >= 3.14.2 (Home Assistant 2026.3 and newer): put python3.14 on PATH or set PYTHON314=/path/to/python3.14; or test one stack with --stack minimum." >&2
        return 1
      }
      ;;
  esac
}

# Extra arguments for uv: resolve as for Python 3.13.2 in a venv of an older 3.13.
stack_uv_args() {
  local python=$1/bin/python
  uv_args=()
  if "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13) or sys.version_info >= (3, 13, 2))'; then
    uv_args+=(--python-version 3.13.2)
  fi
}

# Whether venv "$1" is one pytest runs in, or one that runs the e2e and browser tests' server.
venv_runs_pytest() { [[ $1 == .venv || $1 == .venv-newest ]]; }
venv_runs_server() { [[ $1 == .venv || $1 == .venv-server ]]; }

# The home-assistant-frontend requirement ("home-assistant-frontend==X") of the Home
# Assistant installed in venv "$1", as its frontend integration's manifest pins it.
frontend_requirement() {
  "$1/bin/python" -c 'import homeassistant, json, pathlib
manifest = pathlib.Path(homeassistant.__file__).parent / "components" / "frontend" / "manifest.json"
print(next(r for r in json.loads(manifest.read_text())["requirements"] if r.startswith("home-assistant-frontend==")))'
}

# Create venv "$1" for stack "$2" unless it exists, then install the requirement files given,
# and what the browser tests need there (see the header).
make_venv() {
  local venv=$1 stack=$2 python file files=() extras=()
  shift 2
  if [[ ! -x "$venv/bin/python" ]]; then
    python=$(stack_base_python "$stack")
    echo "Creating $venv with $python"
    "$python" -m venv "$venv"
  fi
  # This workplace's pip configuration names local package folders that may not exist;
  # pip says so on every call, which is noise here.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check uv \
    2> >(grep -v "^WARNING: Location 'file://" >&2)
  stack_uv_args "$venv"
  for file in "$@"; do files+=(-r "$file"); done
  "$venv/bin/uv" pip install --quiet --python "$venv/bin/python" ${uv_args[@]+"${uv_args[@]}"} "${files[@]}"
  # Only now is the Home Assistant whose frontend version counts installed. The files go
  # along again, so that one resolution keeps their pins (a no-op once all is in place).
  if venv_runs_pytest "$venv"; then extras+=(-r requirements_browser.txt); fi
  if venv_runs_server "$venv"; then extras+=("$(frontend_requirement "$venv")"); fi
  if [[ ${#extras[@]} -gt 0 ]]; then
    "$venv/bin/uv" pip install --quiet --python "$venv/bin/python" ${uv_args[@]+"${uv_args[@]}"} \
      "${files[@]}" "${extras[@]}"
  fi
}

# The config flow and the modules it is made of: held to 100 % branch coverage.
FLOW_MODULES=(config_flow.py setup_flow.py consent_flow.py options_flow.py setup_webhook.py
  credentials.py subscriptions.py unique_ids.py)
