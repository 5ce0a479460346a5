"""A module_utils comparator as a filter: the same function, its ComparisonError as Ansible's filter error."""

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.stackops.ecs_webstack.plugins.filter.ecs_taskdefinition_drift import FilterModule as TaskDefinitionFilters
from ansible_collections.stackops.ecs_webstack.plugins.module_utils.compare import ComparisonError
from ansible_collections.stackops.ecs_webstack.plugins.plugin_utils.comparison import comparison_filter


def compare(current, wanted):
    """Differences between current and wanted."""
    if wanted is None:
        raise ComparisonError("wanted is missing: give the wanted settings")
    return [] if current == wanted else ["%r, wanted %r" % (current, wanted)]


def test_the_filter_returns_what_the_comparator_returns():
    as_filter = comparison_filter(compare)
    assert as_filter(1, 1) == []
    assert as_filter(1, 2) == ["1, wanted 2"]
    assert as_filter.__name__ == "compare" and as_filter.__doc__ == compare.__doc__


def test_a_comparison_error_becomes_the_filter_error_with_its_message():
    with pytest.raises(AnsibleFilterError, match="^wanted is missing: give the wanted settings$"):
        comparison_filter(compare)(1, None)
    with pytest.raises(AnsibleFilterError, match="^ecs_wanted is missing"):
        comparison_filter(compare, prefix="ecs_")(1, None)


def test_other_errors_are_not_hidden():
    with pytest.raises(TypeError):
        comparison_filter(compare)(1)


def test_a_shipped_filter_is_its_comparator():
    from ansible_collections.stackops.ecs_webstack.plugins.module_utils.ecs_taskdefinition import taskdefinition_drift
    assert TaskDefinitionFilters().filters()["ecs_taskdefinition_drift"].__wrapped__ is taskdefinition_drift
