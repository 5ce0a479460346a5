"""Molecule's shared config: scenarios run two at a time (tools/molecule_lanes.py), so nothing may install into a
place both lanes share. Molecule's prerun force-installs the collection into ~/.ansible/collections each time; two
at once remove each other's files (a CI run failed that way), so it is off for every scenario."""

import glob
import os

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def test_the_project_config_turns_molecules_prerun_off():
    assert load(os.path.join(REPO, ".config", "molecule", "config.yml")).get("prerun") is False


def test_no_scenario_turns_the_prerun_back_on():
    scenarios = sorted(glob.glob(os.path.join(REPO, "molecule", "*", "molecule.yml")))
    assert scenarios
    on = [path for path in scenarios if load(path).get("prerun", False) is not False]
    assert not on, "these scenarios set prerun; the lanes would race on ~/.ansible/collections: %s" % on
