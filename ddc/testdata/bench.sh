#!/bin/sh
# Benchmarks of package ddc against the simulated monitor at DDC/CI spec
# timing (100 kHz bus), with the spec minimum and ddcutil's default
# schedule for the same work reported beside each (metrics spec-ms,
# x-spec, ddcutil-ms), plus the parsing benchmarks.
# Run from the repository root: sh ddc/testdata/bench.sh
set -eu
go test -run '^$' -bench 'SpecTiming|Detect' -benchtime 20x ./ddc/
go test -run '^$' -bench 'Parse|Decode' -benchmem ./ddc/
