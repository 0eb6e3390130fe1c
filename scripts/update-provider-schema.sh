#!/usr/bin/env bash
# Writes the AWS Terraform provider's schema (resources, data sources, their arguments, nested blocks and exported
# attributes; MPL-2.0 provider / cdktf data) to Sources/NimbusModules/Resources/ProviderSchemas/aws.json.gz for the
# offline `terraform validate`. No terraform needed: the schema comes from the jsii assembly in the PyPI wheel
# cdktf-cdktf-provider-aws, which pip downloads into a cache outside the repo. Run it to move to a newer provider and
# commit the result; the output is deterministic, so an unchanged wheel gives an unchanged file.
#   NIMBUS_PROVIDER_WHEEL=/path/to/cdktf_cdktf_provider_aws-X-py3-none-any.whl  use that wheel, no download
#   NIMBUS_PROVIDER_CACHE=/dir    where pip puts the wheel (default ~/.cache/nimbus/provider-schema)
#   CDKTF_PROVIDER_AWS_VERSION=21.22.1    pin the wheel's version (default: the newest on PyPI)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/Sources/NimbusModules/Resources/ProviderSchemas"
wheel="${NIMBUS_PROVIDER_WHEEL:-}"
if [ -z "$wheel" ]; then
    cache="${NIMBUS_PROVIDER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nimbus/provider-schema}"
    version="${CDKTF_PROVIDER_AWS_VERSION:-}"
    mkdir -p "$cache"
    # The wheel is about 60 MB; pip skips the download when the same file is already in the cache.
    python3 -m pip download --quiet --no-deps --only-binary=:all: --dest "$cache" \
        "cdktf-cdktf-provider-aws${version:+==$version}"
    if [ -n "$version" ]; then
        wheel="$cache/cdktf_cdktf_provider_aws-$version-py3-none-any.whl"
    else
        wheel="$(ls "$cache"/cdktf_cdktf_provider_aws-*-py3-none-any.whl | sort -V | tail -1)"
    fi
fi
[ -f "$wheel" ] || { echo "no wheel at $wheel" >&2; exit 1; }
mkdir -p "$out"
python3 "$root/scripts/provider_schema.py" "$wheel" "$out/aws.json.gz" "$out/VERSION"
