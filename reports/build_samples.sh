#!/usr/bin/env bash
# Regenerate the sample briefing reports/sample/ from the shipped baseline, one contrast
# scenario (China bargains hard, beta = 0.8) and the shipped Sobol study of the baseline
# (sweeps/baseline_sobol.yaml: 384 points at 5-year steps, about 10 minutes on 2 cores; a
# sweep folder already there is resumed, not re-solved). The sweep gives page one its
# 10-90% ranges and the sensitivity section. Run from anywhere; uses the project's .venv
# unless ENERGYMODEL names another energymodel command. Never edit the outputs by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
EM="${ENERGYMODEL:-.venv/bin/energymodel}"
"$EM" run scenarios/baseline.yaml --out results/baseline
"$EM" run scenarios/china_hard_bargain.yaml --out results/china_hard_bargain
"$EM" sweep run sweeps/baseline_sobol.yaml --out results/baseline_sobol --no-progress
"$EM" sweep analyze results/baseline_sobol
"$EM" report results/baseline results/china_hard_bargain results/baseline_sobol \
    --out reports/sample
