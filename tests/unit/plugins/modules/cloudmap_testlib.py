"""Helpers for the Cloud Map module tests (imported as a plain module: pytest puts this folder on sys.path)."""


def namespace_filters(name, ns_type="DNS_PRIVATE"):
    """The Filters of the ListNamespaces call cloudmap.find_namespace makes for ``name``."""
    return {"Filters": [{"Name": "TYPE", "Values": [ns_type], "Condition": "EQ"},
                        {"Name": "NAME", "Values": [name], "Condition": "EQ"}]}
