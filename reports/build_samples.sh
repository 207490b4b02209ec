#!/usr/bin/env bash
# Regenerate the sample briefing reports/sample/ from the shipped baseline and one contrast
# scenario (China bargains hard, beta = 0.8). Run from anywhere; uses the project's .venv
# unless ENERGYMODEL names another energymodel command. Never edit the outputs by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
EM="${ENERGYMODEL:-.venv/bin/energymodel}"
"$EM" run scenarios/baseline.yaml --out results/baseline
"$EM" run scenarios/china_hard_bargain.yaml --out results/china_hard_bargain
"$EM" report results/baseline results/china_hard_bargain --out reports/sample
