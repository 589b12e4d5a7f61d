#!/usr/bin/env bash
# Fuzzes the parsers of remote input with Jazzer, coverage-guided (README "Fuzzing").
#
#   bench/fuzz.sh                          every target, 5 minutes each
#   bench/fuzz.sh --duration 2m            every target, 2 minutes each
#   bench/fuzz.sh MproxyDecoderFuzzTest    one target (the class name of its @FuzzTest; several may follow)
#   bench/fuzz.sh --list                   the targets
#
# Each target is a @FuzzTest in src/test/java (classes named *FuzzTest). Under `mvn verify` it only replays its
# seeds, src/test/resources/<package>/<Class>Inputs/<method>/; here JAZZER_FUZZ=1 makes Jazzer generate inputs
# for --duration. Inputs that grew coverage go to .cifuzz-corpus/<class>/<method>/ (kept between runs, not
# committed); an input that fails the target is written into its Inputs folder, so the next `mvn verify`
# replays it: fix the parser, keep the file, name it after the finding. Jazzer's hooks (its sanitizers and
# value profiling of comparisons) are on here and off in the replay (src/test/resources/junit-platform.properties);
# JUnit's 60 s limit per test is off (it would end the run), Jazzer keeps it per input (a hang is a finding).
# Output: bench/results/fuzz-<date>-<Target>.txt; the last line of each says executions and coverage.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

duration=5m
targets=()
all_targets() {
    grep -rl --include='*FuzzTest.java' '@FuzzTest' src/test/java | xargs -n1 basename | sed 's/\.java$//' | sort
}
while [[ $# -gt 0 ]]; do
    case "$1" in
        --duration) duration="$2"; shift 2 ;;
        --list) all_targets; exit 0 ;;
        -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) die "unknown option $1 (expected: --duration D, --list, or target names)" ;;
        *) targets+=("$1"); shift ;;
    esac
done
[[ ${#targets[@]} -gt 0 ]] || mapfile -t targets < <(all_targets)

mvn -B -q test-compile
mkdir -p bench/results
summary=()
for target in "${targets[@]}"; do
    all_targets | grep -qx "$target" || die "no fuzz target $target (expected one of: $(all_targets | tr '\n' ' '))"
    out=$(unique_results_file "bench/results/fuzz-$(date +%Y%m%d)-$target")
    log "fuzzing $target for $duration -> $out"
    {
        echo "# bench/fuzz.sh --duration $duration $target"
        echo "# $(date -u +%FT%TZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo none), $(nproc) cores"
    } >"$out"
    status=0
    JAZZER_FUZZ=1 mvn -B surefire:test -Dtest="$target" -Dsurefire.failIfNoSpecifiedTests=false \
        -Djazzer.max_duration="$duration" -Djazzer.hooks=true -Djunit.jupiter.execution.timeout.mode=disabled \
        >>"$out" 2>&1 || status=$?
    # libFuzzer's last status line: "#<executions> DONE cov: <edges> ft: <features> corp: <inputs>/<size> ..."
    done_line=$(grep -aE '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' "$out" | tail -1 || true)
    verdict=$([[ $status -eq 0 ]] && echo "no finding" || echo "FINDING (see $out)")
    summary+=("$target: $verdict; ${done_line:-no libFuzzer status line}")
    echo "# result: $verdict; $done_line" >>"$out"
done
printf '%s\n' "${summary[@]}"
