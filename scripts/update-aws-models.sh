#!/usr/bin/env bash
# Copies the botocore service models (service-2.json, paginators-1.json; Apache-2.0 data) of the services Nimbus
# supports into Sources/NimbusAWS/Resources/Models/<service>/, gzipped, from the installed botocore package.
# Run it after upgrading botocore (`pip install -U botocore`) and commit the result.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
services=(sts s3 ec2 iam lambda dynamodb sqs sns cloudformation logs cloudwatch rds kms ssm secretsmanager ecs eks
    elbv2 autoscaling route53)
data="$(python3 -c 'import botocore, os; print(os.path.join(os.path.dirname(botocore.__file__), "data"))')"
version="$(python3 -c 'import botocore; print(botocore.__version__)')"
out="$root/Sources/NimbusAWS/Resources/Models"
rm -rf "$out"
mkdir -p "$out"
for service in "${services[@]}"; do
    # The newest API version is the one botocore uses by default.
    api="$(ls "$data/$service" | grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' | sort | tail -1)"
    mkdir -p "$out/$service"
    for file in service-2.json paginators-1.json; do
        if [ -f "$data/$service/$api/$file.gz" ]; then
            # Re-compress without a timestamp so an unchanged model gives an unchanged file.
            gzip -dc "$data/$service/$api/$file.gz" | gzip -9n >"$out/$service/$file.gz"
        elif [ -f "$data/$service/$api/$file" ]; then
            gzip -9n <"$data/$service/$api/$file" >"$out/$service/$file.gz"
        fi
    done
done
printf 'botocore %s\n' "$version" >"$out/VERSION"
echo "models of ${#services[@]} services from botocore $version in $out" >&2
