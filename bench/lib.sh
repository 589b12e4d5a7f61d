# Shared by the bench scripts; sourced from the repository's root.

# Builds target/mproxy.jar when it is missing or older than any source, so a run never measures stale code.
build_jar_if_stale() {
    if [[ ! -f target/mproxy.jar || -n "$(find src pom.xml -newer target/mproxy.jar -type f -print -quit)" ]]; then
        echo "target/mproxy.jar missing or stale; building it (mvn -B -q package -DskipTests)" >&2
        mvn -B -q package -DskipTests
    fi
}

# Prints BASE.txt, or BASE-2.txt, BASE-3.txt, ... whichever does not exist yet: results are never overwritten.
unique_results_file() {
    local out="$1.txt" n=2
    while [[ -e "$out" ]]; do
        out="$1-$n.txt"
        n=$((n + 1))
    done
    printf '%s\n' "$out"
}
