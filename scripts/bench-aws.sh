#!/usr/bin/env bash
# NimbusAWS side by side with botocore / the AWS CLI / boto3, in one run, release builds:
#   1. SigV4 signatures per second: Nimbus's SigV4Signer vs botocore's SigV4Auth (target: 20x);
#   2. uploads to one moto server of a 1,000-file directory and a 200 MiB file: `nimbus transfer` vs
#      `aws s3 cp --recursive` vs boto3's transfer manager (target: faster than both).
#
#   scripts/bench-aws.sh            full run
#   scripts/bench-aws.sh --quick    fewer signatures and a 50 MiB file, to check everything works
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source scripts/setup.sh
nimbus_setup
source scripts/test.d/aws.sh

quick=0
[ "${1:-}" = "--quick" ] && quick=1
signatures=300000; python_signatures=30000; large_mib=200
if ((quick)); then signatures=50000; python_signatures=5000; large_mib=50; fi

echo "==> building release binaries (nimbus, aws-sign)" >&2
swift build -c release --product nimbus >&2
swift build -c release --package-path Benchmarks --product aws-sign >&2
nimbus="$root/.build/release/nimbus"
sign="$root/Benchmarks/.build/release/aws-sign"

echo "==> SigV4 signatures per second" >&2
swift_json="$("$sign" "$signatures")"
python_json="$(python3 Benchmarks/aws/bench_botocore.py "$python_signatures")"
python3 - "$swift_json" "$python_json" <<'PY'
import json, sys
swift, python = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ratio = swift["per_second"] / python["per_second"]
print(f"SigV4 signing   nimbus {swift['per_second']:>10,.0f}/s   botocore {python['per_second']:>8,.0f}/s   ratio {ratio:.1f}x (target 20x)")
PY

echo "==> uploads to one moto server" >&2
nimbus_test_setup_aws
trap nimbus_test_teardown_aws EXIT
work="$(mktemp -d)"
trap 'nimbus_test_teardown_aws; rm -rf "$work"' EXIT
python3 - "$work" "$large_mib" <<'PY'
import os, sys
work, mib = sys.argv[1], int(sys.argv[2])
for i in range(1000):
    d = os.path.join(work, "dir", f"d{i % 10}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i}.txt"), "wb") as f:
        f.write(os.urandom(1024 + i))
with open(os.path.join(work, "large.bin"), "wb") as f:
    for _ in range(mib):
        f.write(os.urandom(1 << 20))
PY
export AWS_ENDPOINT_URL="$NIMBUS_TEST_MOTO_URL" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
export NIMBUS_HOME="$work/nimbus-home"
bucket="bench-$RANDOM"
python3 -c "import boto3; boto3.client('s3', endpoint_url='$AWS_ENDPOINT_URL', region_name='us-east-1').create_bucket(Bucket='$bucket')"
# Wall seconds of a command; a command that fails stops the benchmark (a failed upload is not a fast one).
seconds() {
    local start end
    start=$(date +%s.%N)
    if ! "$@" >"$work/last.log" 2>&1; then
        echo "error: $* failed:" >&2
        tail -5 "$work/last.log" >&2
        exit 1
    fi
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}
command -v bc >/dev/null || nimbus_install_apt bc
if ! aws --version >/dev/null 2>&1; then
    echo "installing the AWS CLI (pip awscli)" >&2
    python3 -m pip install --quiet --disable-pip-version-check awscli >&2
fi
# Three rounds, the tools taking turns, medians reported: moto's own time per request (CompleteMultipartUpload of
# 200 MiB takes 0.7 to 2 s from one call to the next) is noisier than the differences measured.
rounds=3
((quick)) && rounds=1
results=()
for round in $(seq "$rounds"); do
    nimbus_dir=$(seconds "$nimbus" transfer "$work/dir" "s3://$bucket/nimbus$round/dir/" --concurrency 10 --yes)
    nimbus_large=$(seconds "$nimbus" transfer "$work/large.bin" "s3://$bucket/nimbus$round/large.bin" --concurrency 10 --yes)
    cli_dir=$(seconds aws s3 cp --recursive --only-show-errors "$work/dir" "s3://$bucket/cli$round/dir/")
    cli_large=$(seconds aws s3 cp --only-show-errors "$work/large.bin" "s3://$bucket/cli$round/large.bin")
    # boto3 twice: as a command (Python start-up, import and client included, as for the other two), and inside
    # one warm process (after start-up, the client already made), which is the number its users see in a loop.
    boto_dir=$(seconds python3 Benchmarks/aws/bench_transfer.py "$AWS_ENDPOINT_URL" "$bucket" "$work/dir" \
        "$work/large.bin" "boto3c-$round" --only dir)
    boto_large=$(seconds python3 Benchmarks/aws/bench_transfer.py "$AWS_ENDPOINT_URL" "$bucket" "$work/dir" \
        "$work/large.bin" "boto3c-$round" --only large)
    boto=$(python3 Benchmarks/aws/bench_transfer.py "$AWS_ENDPOINT_URL" "$bucket" "$work/dir" "$work/large.bin" "boto3-$round")
    results+=("$nimbus_dir $nimbus_large $cli_dir $cli_large $boto_dir $boto_large $boto")
    echo "round $round: nimbus $nimbus_dir / $nimbus_large s, aws s3 cp $cli_dir / $cli_large s," \
        "boto3 command $boto_dir / $boto_large s, boto3 in-process $boto" >&2
done
python3 - "$large_mib" "${results[@]}" <<'PY'
import json, statistics, sys
mib = sys.argv[1]
rows = []
for line in sys.argv[2:]:
    nd, nl, cd, cl, bcd, bcl, boto = line.split(" ", 6)
    boto = json.loads(boto)
    rows.append((float(nd), float(nl), float(cd), float(cl), float(bcd), float(bcl), boto["directory_seconds"],
                 boto["large_seconds"]))
nd, nl, cd, cl, bcd, bcl, bd, bl = (statistics.median(column) for column in zip(*rows))
print(f"median of {len(rows)} rounds; every command timed whole, boto3 also inside a warm process")
print(f"1,000 files     nimbus {nd:6.2f} s   aws s3 cp {cd:6.2f} s ({cd/nd:.1f}x)   boto3 {bcd:6.2f} s ({bcd/nd:.1f}x)"
      f"   boto3 in-process {bd:6.2f} s ({bd/nd:.1f}x)")
print(f"{mib} MiB file    nimbus {nl:6.2f} s   aws s3 cp {cl:6.2f} s ({cl/nl:.1f}x)   boto3 {bcl:6.2f} s ({bcl/nl:.1f}x)"
      f"   boto3 in-process {bl:6.2f} s ({bl/nl:.1f}x)")
PY
