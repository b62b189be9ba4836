#!/usr/bin/env bash
# Records the lab's own traffic as fuzzing seeds: a worker and the lab run a
# hand-over story in process (tests/fuzz_seeds.rs), and each request,
# response, PSRP stream, message and CLIXML object becomes a seed of the
# surface that reads it, written as tests/fuzz/seeds/<surface>/lab-NN
# (replacing the earlier lab-* seeds). The same test, run by the suite
# without this variable, checks that every such seed passes its surface's
# invariants.
set -euo pipefail
cd "$(dirname "$0")/../.."
BATON_RECORD_SEEDS=1 cargo test --locked --test main -- --exact fuzz_seeds::the_labs_own_traffic_passes_every_surfaces_invariants
