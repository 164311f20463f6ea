# shellcheck shell=bash
# Shared by scripts/develop and scripts/demo (sourced, from the repository root, after
# scripts/setup): prepare .venv to run a real Home Assistant on a configuration directory.

# Home Assistant 2026.2 declares Python >= 3.13.2. On an older 3.13 patch release (pyenv's
# 3.13.0) resolve as if on 3.13.2, here and in the installs Home Assistant itself runs
# later (`python -m uv pip install` for an integration added in the UI): uv reads that
# setting from the file named by UV_CONFIG_FILE. Sets ha_uv_args for the installs below.
ha_python_version_override() {
  ha_uv_args=()
  if ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 13, 2))'; then
    ha_uv_args+=(--python-version 3.13.2)
    printf '[pip]\npython-version = "3.13.2"\n' >.venv/uv-python-3.13.2.toml
    export UV_CONFIG_FILE="$PWD/.venv/uv-python-3.13.2.toml"
  fi
}

# Install what the server needs before it starts: the requirements of every integration it
# sets up at startup (the configuration in $1, Home Assistant's defaults, existing config
# entries and all their dependencies), pinned by Home Assistant's own
# package_constraints.txt, in one resolution with the test stack. Left to Home Assistant,
# they would be installed one by one with `--upgrade` during the first start, which is
# slower and moves packages pinned by the test stack. A no-op once everything is in place.
#
# Usage: ha_install_server_requirements CONFIG_DIR [CALLER [DOMAIN...]]
# The DOMAINs are integrations set up later, which no file in CONFIG_DIR names yet: those
# that onboarding adds (scripts/demo onboards a server that runs with --skip-pip, so their
# flows and entries would fail for want of their requirements). Their requirements and
# those of their dependencies come from --print-requirements on a scratch configuration
# that lists just them.
ha_install_server_requirements() {
  local config_dir=$1 caller=${2:-scripts/develop} requirements status=0
  ha_python_version_override
  requirements=$(mktemp)
  _ha_install_requirements "$config_dir" "$caller" "$requirements" "${@:3}" || status=$?
  rm -f "$requirements"
  return "$status"
}

_ha_install_requirements() {
  local config_dir=$1 caller=$2 requirements=$3 scratch domain constraints
  local -a domains=("${@:4}")
  if ! .venv/bin/python scripts/run_homeassistant.py --print-requirements --config "$config_dir" \
    >"$requirements"; then
    echo "$caller: could not read the requirements of $config_dir (see above)" >&2
    return 1
  fi
  if ((${#domains[@]})); then
    scratch=$(mktemp -d)
    for domain in "${domains[@]}"; do
      printf '%s:\n' "$domain"
    done >"$scratch/configuration.yaml"
    if ! .venv/bin/python scripts/run_homeassistant.py --print-requirements --config "$scratch" \
      >>"$requirements"; then
      rm -rf "$scratch"
      echo "$caller: could not read the requirements of ${domains[*]} (see above)" >&2
      return 1
    fi
    rm -rf "$scratch"
  fi
  constraints=$(.venv/bin/python -c \
    'import homeassistant, pathlib; print(pathlib.Path(homeassistant.__file__).with_name("package_constraints.txt"))')
  if ! .venv/bin/uv pip install --quiet --python .venv/bin/python ${ha_uv_args[@]+"${ha_uv_args[@]}"} \
    -r requirements_test.txt -r "$requirements" --constraint "$constraints"; then
    echo "$caller: could not install the server's requirements (see above); list them" >&2
    echo "with: .venv/bin/python scripts/run_homeassistant.py --print-requirements --config $config_dir" >&2
    return 1
  fi
}
